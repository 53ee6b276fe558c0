"""Time per generation of a run over bits, independent (``Bernoulli``) and with a tree of
dependencies (``BernoulliTree``), as a ratio to drawing the random numbers.

One generation is ``ask()`` plus ``tell()`` with a trivial vectorised objective, at each
family's default population (2 per parameter: 2·dim for independent bits, 2·(2·dim - 1) for
the tree); the floor is ``rng.random((popsize, dim))``, the least any sampler of bits must
do, measured in the same run. Medians over repeated generations, BLAS on one thread. The
tree's extra cost is its fit (the pair moments, a (dim, dim) product, and the spanning tree,
O(dim²)) and a draw that goes bit by bit.

    python benchmarks/bit_overhead.py [--repeats 20]

Writes benchmarks/results/bit-overhead.md.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from timing import median_time  # noqa: E402

from ceopt import Bernoulli, BernoulliTree, CrossEntropy  # noqa: E402

DIMS = [100, 400, 1000]
OUT = Path(__file__).parent / "results" / "bit-overhead.md"


def generation(dist):
    """One ask + tell at the family's default population; returns it and the population."""
    es = CrossEntropy(dist, seed=0, max_iter=10**9, maximize=True)

    def step():
        X = es.ask()
        es.tell(X, X[:, 0].astype(float))  # trivial objective: the loop's own cost dominates

    return step, es.popsize


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for dim in DIMS:
        cells = [f"| {dim} |"]
        for family in (Bernoulli, BernoulliTree):
            step, popsize = generation(family(np.full(dim, 0.5)))
            floor = median_time(lambda: rng.random((popsize, dim)), args.repeats * 3)  # noqa: B023
            spent = median_time(step, args.repeats)
            cells.append(f" {popsize} | {floor * 1e3:.2f} ms | {spent * 1e3:.2f} ms | "
                         f"{spent / floor:.1f}x |")
        rows.append("".join(cells))
        print(rows[-1], flush=True)
    OUT.write_text(
        "# Loop overhead per generation over bits\n\n"
        f"`python benchmarks/bit_overhead.py`: median over {args.repeats} generations of "
        "ask + tell with a trivial vectorised objective at each family's default population, "
        "against the floor `rng.random((popsize, dim))` measured in the same run. BLAS on "
        f"one thread; numpy {np.__version__}, Python {platform.python_version()}, "
        f"{platform.machine()}.\n\n"
        "| dim | Bernoulli: popsize | floor | generation | / floor | BernoulliTree: popsize | "
        "floor | generation | / floor |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n" + "\n".join(rows) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

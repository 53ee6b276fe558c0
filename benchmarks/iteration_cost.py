"""Cost of one iteration (ask + tell) of the full-covariance update at moderate dimensions:
ceopt's default against pycma's CMA-ES at the same population, on a sphere.

From d = 10 on ceopt's default takes CMA-ES's population (4 + 3 ln d), the path control and
the rank-one term, so the two do comparable work per iteration: sampling, a weighted fit
and, for ceopt, one Cholesky factorisation of the new covariance (pycma decomposes its
covariance only every few iterations). Each repeat times ``--iterations`` iterations of each
after 20 of warm-up, the two alternating so that a busy machine slows both alike; the table
gives medians over the repeats and their ratio. BLAS on one thread.

    python benchmarks/iteration_cost.py [--repeats 7] [--iterations 200]

Needs pycma (the ``bench`` extra). Results: ``benchmarks/results/iteration-cost.md``.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import ceopt  # noqa: E402

DIMS = (20, 40, 100)
OUT = Path(__file__).parent / "results" / "iteration-cost.md"


def sphere(X):
    return (np.asarray(X) ** 2).sum(axis=1)


def ceopt_ms(d: int, iterations: int) -> tuple[float, int]:
    """Milliseconds per iteration of ceopt's default, and its population."""
    es = ceopt.CrossEntropy(ceopt.Gaussian(np.ones(d), np.eye(d)), seed=0, max_iter=10**9,
                            tol_fun=0)
    for k in range(20 + iterations):
        if k == 20:
            start = time.perf_counter()
        X = es.ask()
        es.tell(X, sphere(X))
    return (time.perf_counter() - start) / iterations * 1e3, es.popsize


def cma_ms(d: int, iterations: int) -> tuple[float, int]:
    """Milliseconds per iteration of pycma's CMA-ES with its defaults, and its population."""
    import cma

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = cma.CMAEvolutionStrategy(np.ones(d), 1.0, {"verbose": -9, "seed": 1})
        for k in range(20 + iterations):
            if k == 20:
                start = time.perf_counter()
            X = es.ask()
            es.tell(X, list(sphere(X)))
    return (time.perf_counter() - start) / iterations * 1e3, es.popsize


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--iterations", type=int, default=200)
    args = ap.parse_args()
    import cma

    rows = []
    for d in DIMS:
        ours, theirs = [], []
        for _ in range(args.repeats):
            ours.append(ceopt_ms(d, args.iterations))
            theirs.append(cma_ms(d, args.iterations))
        a, b = np.median([t for t, _ in ours]), np.median([t for t, _ in theirs])
        rows.append(f"| {d} | {ours[0][1]} | {a:.3f} | {theirs[0][1]} | {b:.3f} | {a / b:.2f} |")
        print(rows[-1], flush=True)
    OUT.write_text("\n".join([
        "# One iteration of the full-covariance update, ceopt against pycma", "",
        f"`python benchmarks/iteration_cost.py` — median over {args.repeats} repeats of "
        f"{args.iterations} iterations (ask + tell, sphere), the two alternating; BLAS on one "
        f"thread; numpy {np.__version__}, cma {cma.__version__}, Python "
        f"{platform.python_version()}, {platform.machine()}.", "",
        "| d | ceopt population | ceopt ms | pycma population | pycma ms | ceopt / pycma |",
        "|---:|---:|---:|---:|---:|---:|", *rows, ""]))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

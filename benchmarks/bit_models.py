"""Independent bits against a tree of dependencies, and the smoothing of each, on the two
50-bit problems of ``discrete_restarts.py`` (max-cut on G(50, 0.25), ten deceptive 5-bit
traps), 10 instances x 5 seeds, ``max_evals=20000``, restarts as the defaults have them.

Configurations: ``Bernoulli`` at its default smoothing (0.7, the reference) and at 0.3,
``BernoulliTree`` at its default (0.3) and at 0.7, and both with ``improve=True`` (bit-flip
descents of the elites). Reported: the mean best value and its paired difference to the
reference (± standard error over the 50 runs). Written for the choice of the tree's default
smoothing and of Bernoulli's (``ceopt/updates/previous_mean.py``, ``FAMILY_SMOOTHING``).

    python benchmarks/bit_models.py

Writes benchmarks/results/bit-models.md.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import ceopt  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
import discrete_restarts as problems  # noqa: E402

OUT = Path(__file__).parent / "results" / "bit-models.md"
CONFIGS = {
    "Bernoulli, smoothing 0.7 (default)": (ceopt.Bernoulli, {}),
    "Bernoulli, smoothing 0.3": (ceopt.Bernoulli, {"smoothing": 0.3}),
    "Bernoulli, improve=True": (ceopt.Bernoulli, {"improve": True}),
    "BernoulliTree, smoothing 0.3 (default)": (ceopt.BernoulliTree, {}),
    "BernoulliTree, smoothing 0.7": (ceopt.BernoulliTree, {"smoothing": 0.7}),
    "BernoulliTree, improve=True": (ceopt.BernoulliTree, {"improve": True}),
}


def main():
    start = time.perf_counter()
    lines = []
    for title, make in (("max-cut, G(50, 0.25)", problems.max_cut),
                        ("deceptive 5-bit traps", problems.traps)):
        found = {name: [] for name in CONFIGS}
        for instance in range(10):
            f = make(instance)
            for seed in range(5):
                for name, (family, options) in CONFIGS.items():
                    res = ceopt.maximize(f, dist=family(np.full(problems.N, 0.5)),
                                         vectorized=True, max_evals=problems.BUDGET,
                                         seed=seed, **options)
                    found[name].append(res.fun)
        reference = np.array(next(iter(found.values())))
        lines += [f"### {title}", "", "| configuration | mean best | minus the reference's, "
                  "paired (± s.e.) |", "|---|---:|---:|"]
        for name, values in found.items():
            diff = np.array(values) - reference
            lines.append(f"| {name} | {np.mean(values):.2f} | {diff.mean():+.2f} ± "
                         f"{diff.std(ddof=1) / np.sqrt(diff.size):.2f} |")
        lines.append("")
    text = "\n".join([
        "# Bit models and their smoothing (`benchmarks/bit_models.py`)", "",
        f"{problems.N} bits, `max_evals={problems.BUDGET}`, 10 instances x 5 seeds, method "
        f"`\"ce\"` with its restarts; {time.perf_counter() - start:.0f} s.", "", *lines])
    OUT.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()

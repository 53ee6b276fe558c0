"""What the integer margin buys: pure-integer quadratics with and without it, with and without a
budget (the bbob-mixint side of the trade is `mixint.py --solvers ceopt ceopt-margin`).

    python benchmarks/integer_margin.py          # about a minute

Two problems where every coordinate is an integer: a 3-d quadratic in the box [-10, 10]^3, and
a 5-d weighted quadratic started at x0 = 0 without bounds (the case of issue 18: rounding
inside the objective got stuck). For each, 20 seeds with ``margin=True`` and ``margin=False``,
without a budget and with ``max_evals`` 1000 and 3000; a seed counts when ``res.x`` is the
optimum. Writes ``benchmarks/results/integer-margin.md``.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import ceopt  # noqa: E402

SEEDS = range(20)
BUDGETS = (None, 1000, 3000)
TARGET3 = np.array([3, -7, 5])
TARGET5 = np.array([3, -7, 5, 0, 9])


def quadratic3(x):
    return float(np.sum((x - TARGET3) ** 2))


def weighted5(x):
    return float(np.sum((x - TARGET5) ** 2 * np.arange(1, 6)))


PROBLEMS = {
    "3-d quadratic in [-10, 10]^3": (quadratic3, TARGET3,
                                     dict(bounds=[(-10, 10)] * 3, integrality=[True] * 3)),
    "5-d weighted quadratic from x0 = 0, unbounded": (weighted5, TARGET5,
                                                      dict(x0=np.zeros(5),
                                                           integrality=[True] * 5)),
}


def solved(fun, target, setting, margin, budget) -> tuple[int, float]:
    """Seeds of 20 that end at the optimum, and the median evaluations they used."""
    hits, evals = 0, []
    for seed in SEEDS:
        res = ceopt.minimize(fun, seed=seed, margin=margin, max_evals=budget, **setting)
        hits += bool(np.array_equal(res.x, target))
        evals.append(res.nfev)
    return hits, float(np.median(evals))


def main() -> None:
    lines = ["# The integer margin on pure-integer problems", "",
             "Written by `python benchmarks/integer_margin.py`: seeds (of 20) whose `res.x` is "
             "the optimum, and the median evaluations used, with `margin=True` and "
             "`margin=False`. The default is the margin without a budget and none with one.",
             "", "| problem | budget | margin | no margin |", "|---|---|---:|---:|"]
    for name, (fun, target, setting) in PROBLEMS.items():
        for budget in BUDGETS:
            cells = []
            for margin in (True, False):
                hits, evals = solved(fun, target, setting, margin, budget)
                cells.append(f"{hits}/20 ({evals:.0f} evals)")
            label = "none" if budget is None else f"max_evals={budget}"
            lines.append(f"| {name} | {label} | {cells[0]} | {cells[1]} |")
            print(lines[-1], flush=True)
    out = Path(__file__).resolve().parent / "results" / "integer-margin.md"
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

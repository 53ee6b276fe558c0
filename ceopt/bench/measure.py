"""The raw results of a BBOB run and COCO's measure on them.

A run is a dict: solver, dim, function, instance, seed, fopt, budget, evals, starts, best,
seconds, and ``hits``, the evaluations after which each of the ten targets 1e1 ... 1e-8 was
first reached (NaN when it was not). The measure is the fraction of (function, instance,
target) triples reached within a number of evaluations.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

N_TARGETS = 10
HIT_COLUMNS = [f"hit_{k}" for k in range(N_TARGETS)]  # evaluations to reach 1e1, ..., 1e-8

#: The five BBOB function groups.
GROUPS = {
    "separable f1–5": range(1, 6),
    "moderate f6–9": range(6, 10),
    "ill-cond. f10–14": range(10, 15),
    "multimodal f15–19": range(15, 20),
    "weak struct. f20–24": range(20, 25),
}


# -- the raw results ---------------------------------------------------------------------------
def write_runs(path: Path, runs: Sequence[dict]) -> None:
    """One CSV row per run; a target not reached has an empty hit cell."""
    fields = ["solver", "dim", "function", "instance", "seed", "fopt", "budget", "evals",
              "starts", "best", "seconds", *HIT_COLUMNS]
    with open(path, "w", newline="") as f:
        out = csv.DictWriter(f, fields, extrasaction="ignore")
        out.writeheader()
        for run in sorted(runs, key=lambda r: (r["solver"], r["dim"], r["function"],
                                               r["instance"])):
            row = dict(run, best=f"{run['best']:.6e}", seconds=f"{run['seconds']:.4f}")
            row.update({c: "" if math.isnan(h) else int(h)
                        for c, h in zip(HIT_COLUMNS, run["hits"], strict=True)})
            out.writerow(row)


def read_runs(path: Path) -> list[dict]:
    runs = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            run = {k: int(row[k]) for k in ("dim", "function", "instance", "seed", "budget",
                                             "evals", "starts")}
            run.update(solver=row["solver"], fopt=float(row["fopt"]), best=float(row["best"]),
                       seconds=float(row["seconds"]),
                       hits=[float(row[c]) if row[c] else math.nan for c in HIT_COLUMNS])
            runs.append(run)
    return runs


# -- the measure -------------------------------------------------------------------------------
def reached(runs: Iterable[dict], evals_per_dim: float) -> float:
    """Fraction of (run, target) pairs reached within ``evals_per_dim * dim`` evaluations."""
    hits = [(h, r["dim"]) for r in runs for h in r["hits"]]
    if not hits:
        return math.nan
    return sum(h <= evals_per_dim * d for h, d in hits) / len(hits)  # NaN <= x is False


def select(runs, solver=None, dim=None, functions=None):
    return [r for r in runs if (solver is None or r["solver"] == solver)
            and (dim is None or r["dim"] == dim)
            and (functions is None or r["function"] in functions)]


def solvers_of(runs) -> list[str]:
    return sorted({r["solver"] for r in runs})


def dims_of(runs) -> list[int]:
    return sorted({r["dim"] for r in runs})


def budget_per_dim(runs) -> float:
    """The budget as evaluations per dimension (the same for every run of one benchmark)."""
    per_dim = {r["budget"] / r["dim"] for r in runs}
    if len(per_dim) != 1:
        raise ValueError(f"runs with different budgets per dimension: {sorted(per_dim)}")
    return per_dim.pop()


def ranking(runs, evals_per_dim: float) -> list[tuple[str, float]]:
    """Solvers by their fraction reached, averaged over the dimensions, best first."""
    dims = dims_of(runs)
    score = {s: float(np.mean([reached(select(runs, s, d), evals_per_dim) for d in dims]))
             for s in solvers_of(runs)}
    return sorted(score.items(), key=lambda kv: -kv[1])

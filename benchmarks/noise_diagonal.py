"""The noise mode with a diagonal Gaussian (``dist="diag"``, the default from d = 101): the
success rule it had, the mean's paths, and the paths with the second look at each
population's best (its default now, as a full Gaussian's).

Two parts, the three settings in the same run:

- ``--part bbob``: ``benchmarks/noise.py``'s noisy bbob (f1-f24, d = 2, 5, 10, its six noise
  models, instances 1-5, 1000·d), scored by the fraction of targets the noise-free value at
  the recommendation reaches;
- ``--part large``: a shifted sphere and ellipsoid (condition 1e6) at d = 50 and 200, 100·d
  and 1000·d evaluations, under ``benchmarks/noise.py``'s severe noise models (additive
  N(0, 1), multiplicative ``f exp(N(0, 1))`` and bbob-noisy's Cauchy outliers), 5 seeds: the
  median noise-free value at the recommendation.

    python benchmarks/noise_diagonal.py --part bbob
    python benchmarks/noise_diagonal.py --part large
    python benchmarks/noise_diagonal.py --part report

Results: ``benchmarks/results/noise-diagonal.md`` (and ``noise-diagonal-*-runs.csv``).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from multiprocessing import Pool
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bbob_solvers  # noqa: E402
import noise  # noqa: E402

import ceopt  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
#: The settings compared, as ``benchmarks/noise.py`` solver names and as options.
SETTINGS = {
    "success rule (before)": {"scale_control": "success", "rank_one": False, "reevaluate": 0},
    "paths": {"reevaluate": 0},
    "paths + second look (default)": {},
}
LARGE_DIMS = (50, 200)
LARGE_BUDGETS = (100, 1000)
LARGE_NOISES = ("gauss-sev", "mult-sev", "cauchy-sev")  # noise.NOISES
SEEDS = 5


def solver_name(options: dict) -> str:
    """``benchmarks/noise.py``'s name of the noise mode with a diagonal Gaussian and these
    options."""
    extra = "".join(f",{k}={v}" for k, v in options.items())
    return f"ceopt-noise:dist=diag{extra}"


def sphere(X):
    return ((X - 1) ** 2).sum(axis=1)


def ellipsoid(X):
    d = X.shape[1]
    return (10 ** (6 * np.arange(d) / (d - 1)) * (X - 1) ** 2).sum(axis=1)


FUNCTIONS = {"sphere": sphere, "ellipsoid": ellipsoid}


def large_task(task: dict) -> dict:
    f = FUNCTIONS[task["function"]]
    d = task["d"]
    fun = noise.Noisy(lambda x: float(f(x[None])[0]), 0.0, task["noise"], 100 + task["seed"],
                      task["budget"] * d)
    res = ceopt.minimize(fun.batch, np.zeros(d), sigma0=2.0, dist="diag", vectorized=True,
                         noise=True, max_evals=task["budget"] * d, seed=task["seed"],
                         **SETTINGS[task["setting"]])
    return {**task, "true": float(f(res.x[None])[0]), "nfev": res.nfev}


def bbob_task(task: dict) -> dict:
    row = noise.bbob_task({**task, "solver": solver_name(SETTINGS[task["setting"]])})
    return {**task, "score": row["score"], "evals": row["evals"]}


def report() -> None:
    lines = ["# The noise mode with a diagonal Gaussian", "",
             "Made by `benchmarks/noise_diagonal.py` (its docstring has the set-up). "
             "Three settings of `noise=True` with `dist=\"diag\"`: the success rule it had, "
             "the mean's paths (`scale_control=\"path\"`, `rank_one=True`), and the paths "
             "with the second look at each population's best tenth (`reevaluate=0.1`), "
             "its default now.", ""]
    path = RESULTS / "noise-diagonal-bbob-runs.csv"
    if path.exists():
        rows = noise.read_rows(path)
        for r in rows:
            r["solver"] = r["setting"]
        lines += ["## bbob with noise, 1000·d, instances 1–5", "",
                  "Mean fraction of the targets 1e1 … 1e-8 reached by the noise-free value at "
                  "the recommendation (`python benchmarks/noise_diagonal.py --part bbob`).", ""]
        lines += noise._mean_table(rows, lambda r: (int(r["d"]), r["noise"]), list(SETTINGS))
        lines += ["", "By dimension, all noise models:", ""]
        lines += noise._mean_table(rows, lambda r: (int(r["d"]),), list(SETTINGS))
    path = RESULTS / "noise-diagonal-large-runs.csv"
    if path.exists():
        rows = noise.read_rows(path)
        lines += ["", "## Sphere and ellipsoid at d = 50 and 200", "",
                  f"Median noise-free value at the recommendation over {SEEDS} seeds "
                  "(`python benchmarks/noise_diagonal.py --part large`); the best of a row in "
                  "bold.", "", "| function, noise, d, budget | " + " | ".join(SETTINGS) + " |",
                  "|---|" + "---:|" * len(SETTINGS)]
        cells: dict = {}
        for r in rows:
            key = (r["function"], r["noise"], int(r["d"]), int(r["budget"]))
            cells.setdefault(key, {}).setdefault(r["setting"], []).append(float(r["true"]))
        for (f, n, d, b), by in sorted(cells.items()):
            meds = [np.median(by[s]) for s in SETTINGS]
            top = min(meds)
            shown = [f"**{m:.2g}**" if m == top else f"{m:.2g}" for m in meds]
            lines.append(f"| {f}, {n}, {d}, {b}·d | " + " | ".join(shown) + " |")
    out = RESULTS / "noise-diagonal.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("bbob", "large", "report"), default="report")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if args.part == "report":
        report()
        return
    if args.part == "bbob":
        suite = bbob_solvers.suite(list(range(1, 25)), [2, 5, 10], [1, 2, 3, 4, 5])
        fopt = {(p.id_function, p.dimension, p.id_instance): bbob_solvers.fopt_of(p)
                for p in suite}
        tasks = [{"f": f, "d": d, "inst": i, "noise": n, "budget": 1000 * d, "setting": s,
                  "seed": 1000 * i + f, "fopt": fopt[f, d, i]}
                 for d in (2, 5, 10) for n in noise.NOISES for f in range(1, 25)
                 for i in range(1, 6) for s in SETTINGS]
        work = bbob_task
    else:
        tasks = [{"function": f, "noise": n, "d": d, "budget": b, "setting": s, "seed": seed}
                 for f in FUNCTIONS for n in LARGE_NOISES for d in LARGE_DIMS
                 for b in LARGE_BUDGETS for s in SETTINGS for seed in range(SEEDS)]
        work = large_task
    with Pool(args.workers) as pool:
        rows = pool.map(work, tasks, chunksize=4)
    out = RESULTS / f"noise-diagonal-{args.part}-runs.csv"
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {out}")
    report()


if __name__ == "__main__":
    main()

"""How far an evolution strategy gets at a tenth of the BBOB budget (100·d), tuned with hindsight.

Issue 7 asks ceopt to lead every solver at 100·d. The leaders there are Nelder–Mead (d = 2)
and dual annealing (d = 5, 10, 20): local methods that move from the first evaluation.
This script asks whether any setting of a population-based CE method could get there, and
whether pycma could. It runs a grid of settings of each on the bbob suite with a budget of
100·d evaluations (the harness of ``bbob.py``: same problems, recorder, targets and restarts):

- ceopt: a full or diagonal Gaussian, its default population or twice it, and an initial
  spread (``sigma0``) of 0.5, 1, 2 or 3 (the default is 3, 0.3 of the box): 16 settings;
- pycma: its default population, twice it or half of it, and sigma0 0.5, 1, 2 or 3 (the
  harness uses 2): 12 settings.

For each dimension it reports the best single setting, and the **per-function hindsight
best** ("oracle"): for every function, the setting that did best on it, read on the same
instances. The oracle is an optimistic bound on what tuning could buy: no default can beat
it on these runs. The other solvers' fractions at 100·d come from the main runs in
``results/bbob-runs.csv``. Writes ``results/small-budget.md``.

    python benchmarks/small_budget.py [--dims 2 5 10 20] [--instances 1-15] [--jobs 2]
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import bbob_solvers as bs  # noqa: E402
import numpy as np  # noqa: E402
from bbob import int_list  # noqa: E402
from bbob_report import GROUPS, reached, read_runs, select, solvers_of  # noqa: E402

RESULTS = Path(__file__).parent / "results"
SIGMAS = (0.5, 1.0, 2.0, 3.0)
BUDGET = 100  # evaluations per dimension


def settings(solver: str, d: int) -> list[dict]:
    """The grid of one solver at dimension d."""
    small = 4 + int(3 * math.log(d))  # CMA-ES's default population, and ceopt's diagonal one
    if solver == "ceopt":
        families = [("full", None), ("full", 4 * (d + 1)), ("diag", None), ("diag", 2 * small)]
        return [dict(dist=dist, popsize=pop, sigma0=s)
                for (dist, pop), s in itertools.product(families, SIGMAS)]
    return [dict(popsize=pop, sigma0=s)
            for pop, s in itertools.product([None, 2 * small, max(4, small // 2)], SIGMAS)]


def start_for(solver: str, setting: dict):
    """The harness's start of ``solver`` (``bbob_solvers``) with ``setting``."""
    size = {} if setting["popsize"] is None else dict(popsize=setting["popsize"])
    if solver == "ceopt":
        return bs.ceopt_start(setting["dist"], sigma0=setting["sigma0"], **size)
    return bs.cma_start(setting["sigma0"], **size)


def run(task: tuple) -> dict:
    solver, setting, f, d, i, fopt = task
    name = f"{solver} {json.dumps(setting, sort_keys=True)}"
    problem = bs.suite([f], [d], [i])[0]
    rec = bs.Recorder(problem, fopt, BUDGET * d)
    rng = np.random.default_rng([1, f, d, i, zlib.crc32(name.encode())])
    bs.run_with_restarts(start_for(solver, setting), rec, rng)
    problem.free()
    return dict(solver=solver, setting=name, function=f, dim=d, instance=i, hits=rec.hits)


def oracle(runs: list[dict], functions) -> float:
    """Mean over functions of the best setting's fraction on each (hindsight, per function)."""
    by = {}
    for r in runs:
        by.setdefault((r["function"], r["setting"]), []).append(r)
    return float(np.mean([max(reached(rs, BUDGET) for (g, _), rs in by.items() if g == f)
                          for f in functions]))


def best_single(runs: list[dict]) -> tuple[float, str]:
    names = sorted({r["setting"] for r in runs})
    scores = {n: reached([r for r in runs if r["setting"] == n], BUDGET) for n in names}
    name = max(names, key=scores.get)
    return scores[name], name


def report(grid: list[dict], main: list[dict], dims: list[int], instances: list[int],
           seconds: float) -> str:
    main = [r for r in main if r["instance"] in instances]
    lines = [
        "# At a tenth of the budget (100·d): what tuning could buy an evolution strategy",
        "",
        f"Written by `python benchmarks/small_budget.py` in {seconds / 60:.1f} min; bbob f1–24, "
        f"instances {instances[0]}–{instances[-1]}, budget 100·d. Fraction of (function, "
        "instance, target) triples reached, as in `bbob.md`. *Default*: the main runs of "
        "`bbob-runs.csv`, read at 100·d. *Best single*: the best setting of the grid (module "
        "docstring). *Oracle*: each function's best setting, chosen with hindsight on these "
        "runs, an optimistic bound on tuning.",
        "",
        "| d | Nelder–Mead | dual annealing | ceopt default | ceopt best single | "
        "ceopt oracle | pycma default | pycma best single | pycma oracle |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for d in dims:
        def fraction(solver, functions=range(1, 25), d=d):
            return reached(select(main, solver=solver, dim=d, functions=functions), BUDGET)
        row = [f"{fraction('nelder-mead'):.2f}", f"{fraction('dual-annealing'):.2f}"]
        for solver, default in (("ceopt", "ceopt"), ("cma", "cma-ipop")):
            mine = select(grid, dim=d, solver=solver)
            single, name = best_single(mine)
            row += [f"{fraction(default):.2f}", f"{single:.2f}",
                    f"**{oracle(mine, range(1, 25)):.2f}**"]
            notes.append(f"- d = {d}, best single setting of {solver}: `{name.split(' ', 1)[1]}`")
        lines.append(f"| {d} | " + " | ".join(row) + " |")
    lines += ["", *notes, "", "By function group, the oracles against the best solver of the "
              "main runs at 100·d:", ""]
    lines += ["| d | group | ceopt oracle | pycma oracle | best solver at 100·d |",
              "|---:|---|---:|---:|---|"]
    for d in dims:
        for group, functions in GROUPS.items():
            leader = max(solvers_of(main), key=lambda s: reached(
                select(main, solver=s, dim=d, functions=functions), BUDGET))
            lead = reached(select(main, solver=leader, dim=d, functions=functions), BUDGET)
            lines.append(f"| {d} | {group} | "
                         f"{oracle(select(grid, dim=d, solver='ceopt'), functions):.2f} | "
                         f"{oracle(select(grid, dim=d, solver='cma'), functions):.2f} | "
                         f"{leader} {lead:.2f} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dims", type=int, nargs="+", default=[2, 5, 10, 20])
    ap.add_argument("--instances", type=int_list, default=list(range(1, 16)))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    main_runs = read_runs(RESULTS / "bbob-runs.csv")
    fopt = {(r["function"], r["dim"], r["instance"]): r["fopt"] for r in main_runs}
    tasks = [(solver, setting, f, d, i, fopt[f, d, i])
             for d in sorted(args.dims, reverse=True) for solver in ("ceopt", "cma")
             for setting in settings(solver, d) for f in range(1, 25) for i in args.instances]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        grid = list(pool.map(run, tasks, chunksize=16))
    text = report(grid, main_runs, sorted(args.dims), args.instances, time.perf_counter() - t0)
    (RESULTS / "small-budget.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()

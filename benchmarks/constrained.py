"""ceopt on constrained problems against constrained solvers, on COCO's bbob-constrained suite.

    python benchmarks/constrained.py --solvers ceopt-penalty pycma de slsqp cobyla
    python benchmarks/constrained.py --update --solvers ceopt   # ceopt's runs, keep the others'
    python benchmarks/constrained.py --quick    # f1, f20, f50; d = 2, 5; instances 1-2; 100·d
    python benchmarks/constrained.py --report   # the tables again from the CSV in --out

The measure is bbob's (bbob_report.reached): the fraction of (problem, target) pairs reached
within the budget, over the ten targets f - f_opt <= 1e1 ... 1e-8, where only a FEASIBLE point
(every g_i(x) <= 0) can reach a target; COCO's own constrained measure, f - f_opt + sum(g_i+),
would also credit slightly infeasible points. The budget counts objective evaluations; the
constraint calls a solver makes are counted apart and reported, not budgeted (the recorder's
rule, f_opt and every solver's settings: constrained_solvers.py). Each run has one budget,
100·d or 1000·d: runs of their own, as in mixint.py, since solvers plan for their budget.

COBYLA (scipy's PRIMA port, in Python) took 2.3, 2.9 and 5.7 ms of CPU per evaluation at
d = 2, 5 and 10 (instance 1, all 54 functions), against about 0.07 (SLSQP, ceopt-penalty),
0.25 (pycma) and 0.5 ms (DE, most of it in its constraint calls) for the others: its 54 runs
at d = 10 and 1000·d would take some 50 min per instance. So it runs on a subset
(``SUBSETS``: not d = 10 at 1000·d; ``--whole-grid`` lifts it), and a run of it is ended after
60 s of wall time (a guard, which never fired on the subset: at most 24 s); the headline
shows "–" where a solver did not run every problem. The results hold COBYLA's d = 10,
1000·d runs too, made once apart (``--out DIR --dims 10 --budgets 1000 --solvers cobyla
--whole-grid --cobyla-seconds 900``, instance 1; their rows and CPU time added to the
results' CSV and meta) with a 900 s guard, as three processes shared two cores.

Options as mixint.py's: ``--functions`` (1-54), ``--dims`` (2 5 10; cocoex has 2, 3, 5, 10,
20, 40), ``--instances`` (1-15), ``--budgets`` (100 1000), ``--solvers`` (default: all that
can run; ``ceopt`` only when this ceopt takes ``constraints=``), ``--update``, ``--report``,
``--whole-grid``, ``--seed``, ``--out`` (benchmarks/results, or results/quick with --quick),
``--quiet``. One process, one run after another (the machines are shared). Writes
``constrained-runs.csv`` (a row per run: evaluations, the solver's constraint calls, starts,
how the run ended, best feasible f - f_opt, COCO's measure and whether its point was
feasible, feasible evaluations, wall and CPU seconds, hits), ``constrained-meta.json``
(settings, f_opt's check, what each solver ran and its CPU and wall time) and
``constrained.md``.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from importlib.metadata import version  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bbob_report  # noqa: E402
import constrained_solvers as cs  # noqa: E402
from bbob import int_list  # noqa: E402
from bbob_report import HIT_COLUMNS, _duration, _table, dims_of, ranges, reached, select  # noqa: E402
from mixint import (  # noqa: E402
    _budget,
    by_budget,
    ceopt_source,
    complete,
    headline_table,
    settings,
    solvers_ranked,
    subset_tables,
    tasks,
    time_table,
)

RESULTS = Path(__file__).resolve().parent / "results"
PREFIX = "constrained"
DEFAULT = dict(functions=list(range(1, 55)), dims=[2, 5, 10], instances=list(range(1, 16)),
               budgets=[100, 1000])
# the sphere with 1 constraint, the rotated ellipsoid and the rotated Rastrigin with 3
QUICK = dict(functions=[1, 20, 50], dims=[2, 5], instances=[1, 2], budgets=[100])
#: solver -> budget per dimension -> the dimensions it runs there (a budget left out: all).
SUBSETS = {"cobyla": {1000: (2, 5)}}
EXTRA = ["n_constraints", "cevals", "ended", "best_merit", "merit_feasible", "n_feasible",
         "cpu_seconds"]
FIELDS = ["solver", "dim", "function", "instance", "seed", "fopt", "budget", "evals",
          "starts", "best", "seconds", *EXTRA, *HIT_COLUMNS]


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python benchmarks/constrained.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: f1, f20, f50; d = 2, 5; instances 1-2; budget 100·d")
    ap.add_argument("--functions", type=int_list, help="functions, e.g. 1-54 (default)")
    ap.add_argument("--dims", type=int_list, nargs="+", help="dimensions (default 2 5 10)")
    ap.add_argument("--instances", type=int_list, help="instance ids (default 1-15)")
    ap.add_argument("--budgets", type=int_list, nargs="+",
                    help="evaluations per dimension, one set of runs each (default 100 1000)")
    ap.add_argument("--solvers", nargs="+", choices=sorted(cs.SOLVERS),
                    help="default: all (ceopt only when this ceopt has constraints=)")
    ap.add_argument("--whole-grid", action="store_true",
                    help="run every solver on every problem, ignoring SUBSETS")
    ap.add_argument("--update", action="store_true",
                    help="run only --solvers and replace their runs in the CSV in --out")
    ap.add_argument("--report", action="store_true",
                    help="no runs: the tables again from the CSV in --out")
    ap.add_argument("--seed", type=int, default=1, help="seeds every run (default 1)")
    ap.add_argument("--out", type=Path, help="output folder")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    ap.add_argument("--cobyla-seconds", type=float, default=cs.COBYLA_SECONDS,
                    help=f"COBYLA's wall-time guard per run (default {cs.COBYLA_SECONDS:g})")
    args = ap.parse_args(argv)
    cs.RUN_SECONDS["cobyla"] = args.cobyla_seconds
    base = QUICK if args.quick else DEFAULT
    args.functions = args.functions or base["functions"]
    args.dims = sorted({d for group in args.dims for d in group}) if args.dims else base["dims"]
    args.instances = args.instances or base["instances"]
    args.budgets = (sorted({b for group in args.budgets for b in group}) if args.budgets
                    else base["budgets"])
    args.out = args.out or (RESULTS / "quick" if args.quick else RESULTS)
    if args.update and not args.solvers:
        ap.error("--update needs --solvers: the ones to run again")
    if not set(args.functions) <= set(range(1, 55)) or min(args.budgets) < 1:
        ap.error("bbob-constrained functions are 1-54, budgets positive")
    if not args.report:
        args.solvers = args.solvers or list(cs.SOLVERS)
        if any(s in cs.NATIVE for s in args.solvers) and not cs.native_constraints():
            args.solvers = [s for s in args.solvers if s not in cs.NATIVE]
            print("skipping ceopt: this ceopt.minimize has no constraints= yet")
        if not args.solvers:
            ap.error("no solver left to run")
    return args


# -- the runs ----------------------------------------------------------------------------------
def plan(args) -> dict:
    """solver -> budget per dimension -> the dims and instances it runs (all functions)."""
    out = {}
    for s in args.solvers:
        limit = {} if args.whole_grid else SUBSETS.get(s, {})
        out[s] = {b: dict(dims=[d for d in args.dims if d in limit.get(b, args.dims)],
                          instances=args.instances) for b in args.budgets}
        out[s] = {b: cell for b, cell in out[s].items() if cell["dims"]}
    return out


def run(todo: list[dict], quiet: bool) -> tuple[list[dict], float]:
    from tqdm import tqdm
    t0 = time.perf_counter()
    runs = []
    for task in tqdm(todo, unit="run", disable=quiet, smoothing=0.05, mininterval=5):
        runs.append(cs.run_task(task))
    return runs, time.perf_counter() - t0


def write_runs(path: Path, runs) -> None:
    with open(path, "w", newline="") as f:
        out = csv.DictWriter(f, FIELDS, extrasaction="ignore")
        out.writeheader()
        for r in sorted(runs, key=lambda r: (r["solver"], r["budget"] // r["dim"], r["dim"],
                                             r["function"], r["instance"])):
            out.writerow({**r, "fopt": repr(r["fopt"]), "best": f"{r['best']:.6e}",
                          "best_merit": f"{r['best_merit']:.6e}",
                          "seconds": f"{r['seconds']:.4f}",
                          "cpu_seconds": f"{r['cpu_seconds']:.4f}",
                          **{c: "" if math.isnan(h) else int(h)
                             for c, h in zip(HIT_COLUMNS, r["hits"], strict=True)}})


def read_runs(path: Path) -> list[dict]:
    runs = bbob_report.read_runs(path)
    with open(path, newline="") as f:
        for r, row in zip(runs, csv.DictReader(f), strict=True):
            r.update(n_constraints=int(row["n_constraints"]), cevals=int(row["cevals"]),
                     ended=row["ended"],
                     best_merit=float(row["best_merit"]),
                     merit_feasible=int(row["merit_feasible"]),
                     n_feasible=int(row["n_feasible"]), cpu_seconds=float(row["cpu_seconds"]))
    return runs


# -- the report --------------------------------------------------------------------------------
def _groups(runs, d: int) -> dict[str, dict[str, range]]:
    """Columns of the per-dimension tables: by objective (six functions each) and by number
    of constraints (the j-th function of every objective has the j-th number)."""
    counts = {r["function"]: r["n_constraints"] for r in select(runs, dim=d)}
    return {"objective": {name: range(6 * j + 1, 6 * j + 7)
                          for j, name in enumerate(cs.OBJECTIVES)},
            "number of constraints": {
                "/".join(map(str, sorted({counts[f] for f in range(j, 55, 6) if f in counts})))
                or f"none run {j}": range(j, 55, 6) for j in range(1, 7)}}


def group_table(runs, d: int, b: int, columns: dict) -> str:
    """Solvers that ran every problem of (d, b) × function groups, and all."""
    mine = select(by_budget(runs, b), dim=d)
    columns = {k: fs for k, fs in columns.items() if select(mine, functions=fs)}  # those run
    rows = [[s, *(reached(select(mine, s, functions=fs), b) for fs in columns.values()),
             reached(select(mine, s), b)]
            for s in solvers_ranked(runs) if s in complete(runs)[d, b]]
    return _table(["solver", *columns, "all"], rows)


def _cells(runs, value) -> tuple[list[str], list[list]]:
    """A header of (dim, budget) columns and a row per solver of ``value(its runs there)``."""
    dims, budgets = dims_of(runs), sorted({r["budget"] // r["dim"] for r in runs})
    header = [f"d={d}, {_budget(b)}" for b in budgets for d in dims]
    rows = [[s, *(value(select(by_budget(runs, b), s, d)) if select(by_budget(runs, b), s, d)
                  else "–" for b in budgets for d in dims)]
            for s in solvers_ranked(runs)]
    return header, rows


def constraint_table(runs) -> str:
    header, rows = _cells(runs, lambda mine: f"{np.median([r['cevals'] for r in mine]):.0f}")
    return _table(["solver", *header], rows, bold_best=False)


def feasibility_table(runs) -> str:
    """Per solver: runs with a feasible point, runs whose best point by COCO's measure is
    feasible, the share of evaluations at feasible points, and how runs ended."""
    rows = []
    for s in solvers_ranked(runs):
        mine = [r for r in runs if r["solver"] == s]
        ends = {e: sum(r["ended"] == e for r in mine) for e in sorted({r["ended"] for r in mine})}
        rows.append([s, float(np.mean([math.isfinite(r["best"]) for r in mine])),
                     float(np.mean([r["merit_feasible"] for r in mine])),
                     sum(r["n_feasible"] for r in mine) / sum(r["evals"] for r in mine),
                     ", ".join(f"{e}: {n}" for e, n in ends.items())])
    return _table(["solver", "runs with a feasible point",
                   "runs whose best point (COCO's f − f_opt + Σg⁺) is feasible",
                   "feasible evaluations", "runs ended by"], rows, bold_best=False)


def markdown(runs, meta: dict) -> str:
    budgets = sorted({r["budget"] // r["dim"] for r in runs})
    runs_of = meta.get("runs_of", {})
    check = meta.get("fopt_check", {})
    who = [f"  - {s}: {cs.SOLVERS[s][1]}; "
           + "; ".join(f"{b}: {w}" for b, w in runs_of[s]["problems"].items())
           + f" ({_duration(runs_of[s]['cpu_seconds'])} CPU, "
           f"{_duration(runs_of[s]['wall_seconds'])} wall, {runs_of[s]['date']}"
           + (f"; ceopt in {runs_of[s]['ceopt']}" if "ceopt" in runs_of[s] else "") + ")"
           for s in solvers_ranked(runs) if s in runs_of]
    lowest = min(r["best"] for r in runs)
    parts = [
        "# bbob-constrained benchmark: ceopt against constrained solvers",
        "",
        "Written by `python benchmarks/constrained.py` (settings and why: the docstrings of "
        "`benchmarks/constrained.py` and `constrained_solvers.py`).",
        "",
        f"- COCO's `bbob-constrained` suite (cocoex {meta.get('cocoex', '')}): functions "
        f"{meta.get('functions')} (nine bbob objectives × six numbers of constraints), "
        f"dimensions {meta.get('dims')}, instances {meta.get('instances')}, seed "
        f"{meta.get('seed')}, the box [-5, 5]^d.",
        f"- Budgets {', '.join(_budget(b) for b in budgets)} objective evaluations, each a run "
        "of its own. The solvers (what ran, CPU and wall time of all its runs):",
        *who,
        f"- {len(runs)} runs, one process, BLAS on one thread; {meta.get('versions', '')}.",
        "- Each number: the fraction of (function, instance, target) triples reached within "
        "the budget by a **feasible** point (all g_i(x) ≤ 0), over the ten targets "
        "f − f_opt ≤ 1e1, …, 1e-8; the best of each column in bold.",
        f"- f_opt = f(x_opt), x_opt from cocoex's `_best_parameter`: feasible (max g_i(x_opt) "
        f"= {check.get('max_g_at_xopt', math.nan):.1e}), and within "
        f"{check.get('max_relative_difference', math.nan):.0e} (relative) of the Fopt "
        f"cocoex's logger prints. The least best f − f_opt of any run is {lowest:.1e}"
        + (" (a feasible point beats f_opt only by rounding at the boundary of the feasible "
           "set, far below the last target)." if lowest > -1e-9 else
           ": **a feasible point beats f_opt, which is then wrong**."),
        "",
        "## Headline: every solver on the problems it ran in full",
        "",
        headline_table(runs),
        "",
        "“–”: the solver ran only part of those problems (next table) or none.",
        "",
        *(["## The subsets", "", *subset_tables(runs)] if subset_tables(runs) else []),
        "## Constraint evaluations",
        "",
        "Median constraint calls per run made by the solver itself (the recorder's own "
        "evaluations of g at every point whose f is evaluated, for scoring, are not counted):",
        "",
        constraint_table(runs),
        "",
        "## Feasibility",
        "",
        "Over all runs of each solver. A run's best point by COCO's measure f − f_opt + Σ "
        "max(g_i, 0) may be infeasible when a slight violation buys a lower f.",
        "",
        feasibility_table(runs),
        "",
    ]
    for d in dims_of(runs):
        parts += [f"## d = {d}", ""]
        for b in budgets:
            for name, columns in _groups(runs, d).items():
                parts += [f"Budget {_budget(b)}, by {name}:", "",
                          group_table(runs, d, b, columns), ""]
    parts += ["## Time", "", "Median CPU seconds per run, and the CPU time of all of a "
              "solver's runs (wall times in the CSV and the meta):", "", time_table(runs), ""]
    return "\n".join(parts)


def report(runs, meta: dict, out: Path) -> Path:
    path = out / f"{PREFIX}.md"
    path.write_text(markdown(runs, meta))
    return path


# -- main --------------------------------------------------------------------------------------
def main(argv=None) -> Path:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    csv_path, meta_path = args.out / f"{PREFIX}-runs.csv", args.out / f"{PREFIX}-meta.json"
    if args.report:
        path = report(read_runs(csv_path), json.loads(meta_path.read_text()), args.out)
        print(path)
        return path
    old_runs, old_meta = [], {}
    if args.update:
        old_meta = json.loads(meta_path.read_text())
        differ = {k: (old_meta.get(k), v) for k, v in settings(args).items()
                  if old_meta.get(k) != v}
        if differ:
            raise SystemExit(f"--update: the runs in {args.out} have other settings: {differ}")
        old_runs = [r for r in read_runs(csv_path) if r["solver"] not in args.solvers]
    fopt, check = cs.fopts(cs.suite(args.functions, args.dims, args.instances))
    runs_of = plan(args)
    runs, wall = run(tasks(args, runs_of, fopt), args.quiet)
    date = time.strftime("%Y-%m-%d")
    mine = {s: dict(problems={_budget(b): f"d = {ranges(c['dims'])}, instances "
                                          f"{ranges(c['instances'])}" for b, c in by_b.items()},
                    wall_seconds=round(sum(r["seconds"] for r in runs if r["solver"] == s), 1),
                    cpu_seconds=round(sum(r["cpu_seconds"] for r in runs
                                          if r["solver"] == s), 1), date=date)
            for s, by_b in runs_of.items()}
    for s in mine:
        if s.startswith("ceopt"):
            mine[s]["ceopt"] = ceopt_source()
    meta = dict(**settings(args), runs_of={**old_meta.get("runs_of", {}), **mine},
                wall_seconds=round(wall, 1), fopt_check=check, date=date,
                cocoex=version("coco-experiment"),
                machine=f"{platform.machine()}, {os.cpu_count()} cores, Python "
                        f"{platform.python_version()}",
                versions=", ".join(f"{p} {version(p)}" for p in
                                   ("ceopt", "numpy", "scipy", "cma", "coco-experiment")))
    if args.update:
        meta["updates"] = [*old_meta.get("updates", []),
                           dict(solvers=args.solvers, wall_seconds=round(wall, 1), date=date)]
        meta.update(wall_seconds=old_meta["wall_seconds"], date=old_meta["date"])  # the first
    runs = old_runs + runs
    meta_path.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    write_runs(csv_path, runs)
    path = report(runs, meta, args.out)
    print(f"{len(runs) - len(old_runs)} runs in {wall:.0f} s; {path}")
    return path


if __name__ == "__main__":
    main()

"""ceopt with integer variables against mixed-integer solvers on COCO's bbob-mixint suite.

    python benchmarks/mixint.py --solvers pycma-ipop de ceopt-round   # some solvers' runs
    python benchmarks/mixint.py --update --solvers ceopt   # run ceopt, keep the others' runs
    python benchmarks/mixint.py --quick      # 3 functions, d = 5, instances 1-2, 100·d: 30 s
    python benchmarks/mixint.py --report     # tables and plots again from the CSV in --out
    python benchmarks/mixint.py --check-fopt # f_opt from cocoex's logger against f(x_opt)

The measure and the harness are bbob.py's (benchmarks/bbob_solvers.py, bbob_report.py): the
fraction of (function, instance, target) triples reached, over the ten targets
f - f_opt <= 1e1 ... 1e-8, within the budget. Each run has one budget, 100·d or 1000·d
evaluations: the 100·d runs are runs of their own, not the first tenth of the 1000·d runs,
because solvers set themselves up for the budget (population, restarts).

Writes into --out (benchmarks/results, or benchmarks/results/quick with --quick):
``mixint-runs.csv`` (a row per run, with its ``budget``), ``mixint-meta.json`` (settings,
which solver ran which problems, CPU and wall times, versions), ``mixint.md`` (the tables) and
``mixint-ecdf-d<dim>.png``. Why each solver is set as it is: benchmarks/README.md.
"""

import os

# One BLAS thread per process: the machine is shared, and the runs go one after another.
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
from collections import defaultdict  # noqa: E402
from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: E402
from importlib.metadata import version  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bbob_report  # noqa: E402
import mixint_solvers  # noqa: E402
from bbob import int_list  # noqa: E402
from bbob_report import GROUPS, HIT_COLUMNS, ranges, reached, select  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PREFIX = "mixint"
DEFAULT = dict(functions=list(range(1, 25)), dims=[5, 10, 20], instances=list(range(1, 16)),
               budgets=[100, 1000])
QUICK = dict(functions=[1, 10, 21], dims=[5], instances=[1, 2], budgets=[100])  # sphere,
# ellipsoid, Gallagher

#: The problems of the solvers too slow for the whole grid: budget per dimension -> the
#: dimensions and instances they run there (a key left out: all of them; a budget left out:
#: none). Measured on this machine, one core, per evaluation: optuna's TPE 5 ms at d = 5,
#: 13 ms at d = 10 and ~60 ms at d = 20 (it grows with the trials), its CMA-ES 1.5-2 ms,
#: CMAwM 0.2 ms, pycma 0.15 ms, DE 0.09 ms, ceopt-round 0.03 ms. Each solver runs the
#: intersection of these with the command line's choice, unless ``--whole-grid``.
SUBSETS = {
    "cmawm-ipop": {100: {}, 1000: dict(instances=range(1, 4))},
    "optuna-tpe": {100: dict(dims=(5, 10), instances=range(1, 4))},
    "optuna-cmaes": {100: dict(instances=range(1, 4))},
}


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python benchmarks/mixint.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: f1, f10, f21; d = 5; instances 1-2; budget 100·d")
    ap.add_argument("--functions", type=int_list, help="functions, e.g. 1-24 (default)")
    ap.add_argument("--dims", type=int_list, nargs="+",
                    help="dimensions, multiples of 5 (default 5 10 20)")
    ap.add_argument("--instances", type=int_list, help="instance ids (default 1-15)")
    ap.add_argument("--budgets", type=int_list, nargs="+",
                    help="evaluations per dimension, one set of runs each (default 100 1000)")
    ap.add_argument("--solvers", nargs="+", choices=sorted(mixint_solvers.ALL),
                    help="default: all but ceopt's variants (ceopt itself only when this "
                         "ceopt has integrality=)")
    ap.add_argument("--whole-grid", action="store_true",
                    help="run every solver on every problem, ignoring SUBSETS")
    ap.add_argument("--update", action="store_true",
                    help="run only --solvers and replace their runs in the CSV already in "
                         "--out (which must have the same settings)")
    ap.add_argument("--report", action="store_true",
                    help="no runs: the tables and plots again from the CSV in --out")
    ap.add_argument("--check-fopt", action="store_true",
                    help="no runs: compare each problem's f_opt with f(x_opt)")
    ap.add_argument("--seed", type=int, default=1, help="seeds every run (default 1)")
    ap.add_argument("--jobs", type=int, default=1,
                    help="processes (default 1: the machines are shared)")
    ap.add_argument("--out", type=Path, help="output folder")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    base = QUICK if args.quick else DEFAULT
    args.functions = args.functions or base["functions"]
    args.dims = sorted({d for group in args.dims for d in group}) if args.dims else base["dims"]
    args.instances = args.instances or base["instances"]
    args.budgets = (sorted({b for group in args.budgets for b in group}) if args.budgets
                    else base["budgets"])
    if args.update and not args.solvers:
        ap.error("--update needs --solvers: the ones to run again")
    args.out = args.out or (RESULTS / "quick" if args.quick else RESULTS)
    if not set(args.functions) <= set(range(1, 25)):
        ap.error("bbob-mixint functions are 1-24")
    if any(d % 5 for d in args.dims) or min(args.budgets) < 1 or args.jobs < 1:
        ap.error("dimensions must be multiples of 5 (cocoex), budgets and --jobs positive")
    if not args.solvers and not (args.report or args.check_fopt):
        args.solvers = list(mixint_solvers.SOLVERS)
        if not mixint_solvers.native_integrality():
            args.solvers.remove("ceopt")
            print("this ceopt has no integrality= yet: running the other solvers")
    return args


# -- the runs ----------------------------------------------------------------------------------
def plan(args) -> dict[str, dict[int, dict[str, list[int]]]]:
    """solver -> budget per dimension -> the dims and instances it runs (all functions)."""
    out = {}
    for solver in args.solvers:
        limit = None if args.whole_grid else SUBSETS.get(solver)
        out[solver] = {}
        for b in args.budgets:
            if limit is not None and b not in limit:
                continue
            only = {} if limit is None else limit[b]
            cell = {key: [v for v in getattr(args, key) if key not in only or v in only[key]]
                    for key in ("dims", "instances")}
            if all(cell.values()):
                out[solver][b] = cell
    return out


def fopts(args) -> dict:
    problems = mixint_solvers.suite(args.functions, args.dims, args.instances)
    return {(p.id_function, p.dimension, p.id_instance): mixint_solvers.fopt_of(p)
            for p in problems}


def tasks(args, runs_of: dict, fopt: dict) -> list[dict]:
    """One task per (solver, problem, budget); the costly ones first, for load balance."""
    out = [dict(solver=s, function=f, dim=d, instance=i, budget=b * d, seed=args.seed,
                fopt=fopt[f, d, i])
           for s, by_budget in runs_of.items() for b, cell in by_budget.items()
           for d in cell["dims"] for f in args.functions for i in cell["instances"]]
    return sorted(out, key=lambda t: -t["budget"])


def run(todo: list[dict], jobs: int, quiet: bool) -> tuple[list[dict], float]:
    from tqdm import tqdm

    t0 = time.perf_counter()
    runs = []
    bar = tqdm(total=len(todo), unit="run", disable=quiet, smoothing=0.05, mininterval=5)

    def done(result):
        runs.append(result)
        bar.set_postfix_str(f"{result['solver']} d={result['dim']}", refresh=False)
        bar.update()
    if jobs == 1:  # in this process: no pool to start, and a profiler sees the solvers
        for task in todo:
            done(mixint_solvers.run_task(task))
    else:
        with ProcessPoolExecutor(jobs) as pool:
            for future in as_completed([pool.submit(mixint_solvers.run_task, t)
                                        for t in todo]):
                done(future.result())
    bar.close()
    return runs, time.perf_counter() - t0


# -- the CSV: bbob's columns, and the CPU time and n_nonintegral --------------------------
FIELDS = ["solver", "dim", "function", "instance", "seed", "fopt", "budget", "evals", "starts",
          "best", "seconds", "cpu_seconds", "n_nonintegral", *HIT_COLUMNS]


def write_runs(path: Path, runs) -> None:
    with open(path, "w", newline="") as f:
        out = csv.DictWriter(f, FIELDS, extrasaction="ignore")
        out.writeheader()
        for run in sorted(runs, key=lambda r: (r["solver"], r["budget"] // r["dim"], r["dim"],
                                               r["function"], r["instance"])):
            row = dict(run, fopt=repr(run["fopt"]), best=f"{run['best']:.6e}",
                       seconds=f"{run['seconds']:.4f}", cpu_seconds=f"{run['cpu_seconds']:.4f}")
            row.update({c: "" if math.isnan(h) else int(h)
                        for c, h in zip(HIT_COLUMNS, run["hits"], strict=True)})
            out.writerow(row)


def read_runs(path: Path) -> list[dict]:
    runs = bbob_report.read_runs(path)
    with open(path, newline="") as f:
        for run, row in zip(runs, csv.DictReader(f), strict=True):
            run.update(n_nonintegral=int(row["n_nonintegral"]),
                       cpu_seconds=float(row["cpu_seconds"]))
    return runs


# -- the report --------------------------------------------------------------------------------
def per_dim(run) -> int:
    return run["budget"] // run["dim"]


def by_budget(runs, b: int) -> list[dict]:
    return [r for r in runs if per_dim(r) == b]


def _budget(b) -> str:
    return f"{b:g}·d"


def coverage(runs) -> dict:
    """(solver, dim, budget per dim) -> the set of (function, instance) it ran."""
    out = defaultdict(set)
    for r in runs:
        out[r["solver"], r["dim"], per_dim(r)].add((r["function"], r["instance"]))
    return out


def complete(runs) -> dict:
    """(dim, budget) -> the solvers that ran every problem any solver ran there."""
    cov = coverage(runs)
    every = defaultdict(set)
    for (_, d, b), problems in cov.items():
        every[d, b] |= problems
    out = defaultdict(set)
    for (s, d, b), problems in cov.items():
        if problems == every[d, b]:
            out[d, b].add(s)
    return out


def describe(problems) -> str:
    """A set of (function, instance) in words: 'functions 1–24, instances 1–5'."""
    fs = sorted({f for f, _ in problems})
    ins = sorted({i for _, i in problems})
    if len(problems) == len(fs) * len(ins):
        return f"functions {ranges(fs)}, instances {ranges(ins)}"
    return f"{len(problems)} (function, instance) pairs"


def score(runs, solver, d, b, problems=None) -> float:
    mine = [r for r in select(by_budget(runs, b), solver, d)
            if problems is None or (r["function"], r["instance"]) in problems]
    return reached(mine, b)


def headline_table(runs) -> str:
    """Solvers × (budget, dimension) on the problems every row's solver ran: a solver that ran
    fewer has "–" there (its rows are in the subset tables)."""
    dims = bbob_report.dims_of(runs)
    budgets = sorted({per_dim(r) for r in runs})
    full = complete(runs)
    header, rows = ["solver"], []
    for b in budgets:
        header += [*(f"d={d}, {_budget(b)}" for d in dims), f"mean, {_budget(b)}"]
    for s in solvers_ranked(runs):
        row = [s]
        for b in budgets:
            values = [score(runs, s, d, b) if s in full[d, b] else math.nan for d in dims]
            row += [*values, float(np.mean(values))]  # NaN unless every dimension was run
        if not all(math.isnan(v) for v in row[1:]):  # else it is only in the subset tables
            rows.append(row)
    return bbob_report._table(header, rows)


def solvers_ranked(runs) -> list[str]:
    """Best first: by the mean over dimensions at the largest budget, then the next ones."""
    dims = bbob_report.dims_of(runs)
    budgets = sorted({per_dim(r) for r in runs}, reverse=True)
    full = complete(runs)

    def key(s):
        means = [np.mean([score(runs, s, d, b) for d in dims])
                 if all(s in full[d, b] for d in dims) else -1.0 for b in budgets]
        return [-m for m in means]
    return sorted(bbob_report.solvers_of(runs), key=key)


def subset_tables(runs) -> list[str]:
    """For each smaller set of problems some solver ran: every solver on just those problems,
    so that the slow solvers compare with the others on equal terms."""
    cov = coverage(runs)
    full = complete(runs)
    cells = defaultdict(set)  # problem set -> the (budget, dim) where a solver ran only it
    for (s, d, b), problems in cov.items():
        if s not in full[d, b]:
            cells[frozenset(problems)].add((b, d))
    parts = []
    for problems, where in sorted(cells.items(), key=lambda kv: -len(kv[0])):
        where = sorted(where)
        header = ["solver", *(f"d={d}, {_budget(b)}" for b, d in where)]
        rows = []
        for s in solvers_ranked(runs):
            values = [score(runs, s, d, b, problems) if problems <= cov[s, d, b] else math.nan
                      for b, d in where]
            if any(not math.isnan(v) for v in values):
                rows.append([s, *values])
        partial = sorted({s for (s, d, b), p in cov.items() if p == problems
                          and s not in full[d, b]})
        parts += [f"On {describe(problems)} (the problems {', '.join(partial)} ran):", "",
                  bbob_report._table(header, rows), ""]
    return parts


def group_tables(runs, d: int, b: int) -> str:
    """bbob's table by function group, for the solvers that ran every problem of (d, b)."""
    solvers = complete(runs)[d, b]
    mine = [r for r in by_budget(runs, b) if r["solver"] in solvers]
    return bbob_report.group_table(select(mine, dim=d), d, b)


def function_table(runs, d: int, b: int) -> str:
    """Functions × solvers (those that ran every problem of (d, b)), the best of each
    function in bold (bbob_report's table bolds each solver's best function instead)."""
    solvers = [s for s in solvers_ranked(runs) if s in complete(runs)[d, b]]
    mine = select(by_budget(runs, b), dim=d)
    lines = ["| function | " + " | ".join(solvers) + " |", "|---|" + "---:|" * len(solvers)]
    for f in sorted({r["function"] for r in mine}):
        values = [reached(select(mine, s, functions=[f]), b) for s in solvers]
        cells = [f"**{v:.2f}**" if v == max(values) else f"{v:.2f}" for v in values]
        lines.append(f"| f{f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def time_table(runs) -> str:
    """Median CPU seconds per run, and the CPU time of all a solver's runs."""
    dims = bbob_report.dims_of(runs)
    budgets = sorted({per_dim(r) for r in runs})
    header = ["solver", *(f"d={d}, {_budget(b)}" for b in budgets for d in dims),
              "all runs"]
    rows = []
    for s in solvers_ranked(runs):
        cells = []
        for b in budgets:
            for d in dims:
                mine = select(by_budget(runs, b), s, d)
                cells.append(f"{np.median([r['cpu_seconds'] for r in mine]):.2f}"
                             if mine else "–")
        total = sum(r["cpu_seconds"] for r in runs if r["solver"] == s)
        rows.append([s, *cells, bbob_report._duration(total)])
    return bbob_report._table(header, rows, bold_best=False)


def integrality_lines(runs) -> list[str]:
    lines = []
    for s in bbob_report.solvers_of(runs):
        mine = [r for r in runs if r["solver"] == s]
        n = sum(r["n_nonintegral"] for r in mine)
        evals = sum(r["evals"] for r in mine)
        lines.append(f"- {s}: {n} of {evals} evaluated points"
                     + (f" (in {sum(r['n_nonintegral'] > 0 for r in mine)} runs)" if n else ""))
    return lines


def ceopt_lines(runs) -> list[str]:
    """What native integers buy over rounding, and ceopt's rank, when ceopt has runs."""
    names = bbob_report.solvers_of(runs)
    if "ceopt" not in names:
        return []
    dims = bbob_report.dims_of(runs)
    full = complete(runs)
    lines = []
    for b in sorted({per_dim(r) for r in runs}):
        rows = {s: np.mean([score(runs, s, d, b) for d in dims]) for s in names
                if all(s in full[d, b] for d in dims)}
        if "ceopt" not in rows:
            continue
        order = sorted(rows, key=lambda s: -rows[s])
        text = (f"- At {_budget(b)}, ceopt ranks {order.index('ceopt') + 1} of {len(order)} "
                f"(mean fraction {rows['ceopt']:.2f}; best: {order[0]}, {rows[order[0]]:.2f})")
        if "ceopt-round" in rows:
            text += f"; ceopt − ceopt-round: {rows['ceopt'] - rows['ceopt-round']:+.2f}"
        lines.append(text + ".")
    return lines


STYLE = {**bbob_report.STYLE,
         "ceopt-round": dict(color="tab:pink", lw=2.0, ls="--"),
         "pycma-ipop": bbob_report.STYLE["cma-ipop"],
         "cmawm-ipop": dict(color="tab:green", lw=1.4, ls="-."),
         "optuna-tpe": dict(color="tab:purple", lw=1.4, ls=":"),
         "optuna-cmaes": dict(color="tab:olive", lw=1.4, ls=":")}


def plot_dim(runs, d: int, path: Path) -> None:
    """bbob's six panels of runtime ECDFs, from the runs at the largest budget; the separate
    runs at each smaller budget are one marker per solver, at that budget."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    budgets = sorted({per_dim(r) for r in runs})
    top = budgets[-1]
    full = complete(runs)
    panels = {"all functions": range(1, 25), **GROUPS}
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5), sharex=True, sharey=True)
    order = [s for s in solvers_ranked(runs) if s in full[d, top]]
    for ax, (title, fs) in zip(axes.flat, panels.items(), strict=True):
        mine = select(runs, dim=d, functions=fs)
        if not mine:
            ax.set_visible(False)  # a group none of whose functions was run
            continue
        for s in order:
            x, y = bbob_report.ecdf_curve(select(by_budget(mine, top), s), top)
            style = STYLE.get(s, {})
            ax.step(x, y, where="post", label=s, **style)
            for b in budgets[:-1]:
                if s in full[d, b]:
                    ax.plot(math.log10(b), reached(select(by_budget(mine, b), s), b), "o",
                            color=style.get("color"), ms=6, mec="white")
        ax.set_title(title, fontsize=11)
        ax.set_xlim(0, math.log10(top) + 0.05)
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    bbob_report.label_panels(axes)
    n_inst = len({r["instance"] for r in by_budget(select(runs, dim=d), top)})
    dots = (f"; dots: separate runs with budget {', '.join(_budget(b) for b in budgets[:-1])}"
            if len(budgets) > 1 else "")
    fig.suptitle(f"bbob-mixint, d={d}: runtime ECDF over targets 1e1…1e-8, {n_inst} instances, "
                 f"runs of {_budget(top)}{dots}", fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def markdown(runs, meta: dict, plots: dict) -> str:
    dims = bbob_report.dims_of(runs)
    budgets = sorted({per_dim(r) for r in runs})
    runs_of = meta.get("runs_of", {})

    def ran(s):  # what one solver ran, and when
        mine = runs_of[s]
        text = "; ".join(f"{b}: {what}" for b, what in mine["problems"].items())
        when = f"{bbob_report._duration(mine['cpu_seconds'])} of CPU, {mine['date']}"
        if "ceopt" in mine:
            when += f"; ceopt in {mine['ceopt']}"
        return f"  - {s}: {text} ({when})"
    who = [ran(s) for s in solvers_ranked(runs) if s in runs_of]
    parts = [
        "# bbob-mixint benchmark: ceopt with integer variables against mixed-integer solvers",
        "",
        "Written by `python benchmarks/mixint.py` (settings and why: benchmarks/README.md).",
        "",
        f"- COCO's `bbob-mixint` suite (cocoex {meta.get('cocoex', '')}): functions "
        f"{meta.get('functions')}, dimensions {meta.get('dims')}, instances "
        f"{meta.get('instances')}, seed {meta.get('seed')}. In dimension d the first 4d/5 "
        "coordinates are integers (d/5 each in [0, 1], [0, 3], [0, 7], [0, 15]) and the last "
        "d/5 real, in [-5, 5].",
        f"- Budgets {', '.join(_budget(b) for b in budgets)} evaluations, each a run of its "
        "own (solvers set themselves up for their budget). Which solver ran what:",
        *who,
        f"- {len(runs)} runs, one process, BLAS on one thread; {meta.get('versions', '')}.",
        "- Each number: the fraction of (function, instance, target) triples reached within "
        "the budget, over the ten targets f − f_opt ≤ 1e1, 1e0, …, 1e-8; the best of each "
        "column in bold.",
        f"- f_opt from cocoex's `bbob-mixint` logger, to six decimals (bbob-mixint scales "
        f"bbob's functions by 1e-4 to 10, so bbob's two decimals would be wrong for half of "
        f"the problems); it matches f(x_opt) within {meta.get('fopt_check', math.nan):.0e} on "
        "every problem.",
        "",
        "## Headline: every solver on the problems it ran in full",
        "",
        headline_table(runs),
        "",
        "“–”: the solver ran only part of those problems, or none; the solvers that ran "
        "only part of every column are in the next tables only.",
        "",
    ]
    subsets = subset_tables(runs)
    if subsets:
        parts += ["## The slow solvers' problems", "", *subsets]
    standing = ceopt_lines(runs)
    if standing:
        parts += ["## Where ceopt stands", "", *standing, ""]
    parts += ["## Integrality", "",
              "Evaluated points with a non-integral value in an integer coordinate (cocoex "
              "rounds them itself, so they cost nothing; native integer handling should "
              "propose none):", "", *integrality_lines(runs), ""]
    for d in dims:
        parts += [f"## d = {d}", ""]
        for b in budgets:
            parts += [f"Budget {_budget(b)}:", "", group_tables(runs, d, b), ""]
        if d in plots:
            parts += [f"![ECDF of runtimes, d={d}]({plots[d]})", ""]
        parts += [f"<details><summary>Per function, {_budget(budgets[-1])}</summary>", "",
                  function_table(runs, d, budgets[-1]), "", "</details>", ""]
    parts += ["## Time", "",
              "Median CPU seconds per run (one process, BLAS on one thread; the wall times, "
              "longer on a shared machine, are in the CSV), and the CPU time of all of a "
              "solver's runs:", "", time_table(runs), ""]
    return "\n".join(parts)


def report(runs, meta: dict, out: Path) -> Path:
    plots = {}
    for d in bbob_report.dims_of(runs):
        plots[d] = f"{PREFIX}-ecdf-d{d}.png"
        plot_dim(runs, d, out / plots[d])
    path = out / f"{PREFIX}.md"
    path.write_text(markdown(runs, meta, plots))
    return path


# -- main --------------------------------------------------------------------------------------
def settings(args) -> dict:
    return dict(seed=args.seed, functions=ranges(args.functions), dims=ranges(args.dims),
                instances=ranges(args.instances), budgets=args.budgets)


def ceopt_source() -> str:
    """Which ceopt ran: its folder, and the commit when that is a git work tree (ceopt's is
    shared with whoever is changing it, so uncommitted changes are said)."""
    import subprocess

    import ceopt
    where = Path(ceopt.__file__).resolve().parent

    def git(*argv):
        return subprocess.run(["git", "-C", str(where), *argv], capture_output=True,
                              text=True, check=True).stdout.strip()
    try:
        commit, dirty = git("rev-parse", "--short", "HEAD"), git("status", "--porcelain", ".")
    except (OSError, subprocess.CalledProcessError):
        return str(where)
    return f"{where} at {commit}" + (" with uncommitted changes" if dirty else "")


def _previous(args) -> tuple[list[dict], dict]:
    csv_path, meta_path = args.out / f"{PREFIX}-runs.csv", args.out / f"{PREFIX}-meta.json"
    if not (csv_path.exists() and meta_path.exists()):
        raise SystemExit(f"--update: no {csv_path.name} and {meta_path.name} in {args.out}")
    meta = json.loads(meta_path.read_text())
    differ = {k: (meta.get(k), v) for k, v in settings(args).items() if meta.get(k) != v}
    if differ:
        raise SystemExit(f"--update: the runs in {args.out} have other settings: {differ}")
    return read_runs(csv_path), meta


def main(argv=None) -> Path | None:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.report:
        meta = json.loads((args.out / f"{PREFIX}-meta.json").read_text())
        path = report(read_runs(args.out / f"{PREFIX}-runs.csv"), meta, args.out)
        print(path)
        return path
    fopt = fopts(args)
    worst = mixint_solvers.check_fopt(
        mixint_solvers.suite(args.functions, args.dims, args.instances), fopt)
    if args.check_fopt:
        print(f"{len(fopt)} problems: max |f(x_opt) - f_opt| = {worst:.1e}")
        return None
    previous = _previous(args) if args.update else None
    runs_of = plan(args)
    runs, wall = run(tasks(args, runs_of, fopt), args.jobs, args.quiet)
    date = time.strftime("%Y-%m-%d")
    mine = {s: dict(problems={_budget(b): f"d = {ranges(cell['dims'])}, instances "
                                          f"{ranges(cell['instances'])}"
                              for b, cell in by_b.items()},
                    wall_seconds=round(sum(r["seconds"] for r in runs if r["solver"] == s), 1),
                    cpu_seconds=round(sum(r["cpu_seconds"] for r in runs if r["solver"] == s),
                                      1),
                    description=mixint_solvers.ALL[s][1], date=date)
            for s, by_b in runs_of.items()}
    for s in mine:
        if s.startswith("ceopt"):
            mine[s]["ceopt"] = ceopt_source()
    meta = dict(
        **settings(args), jobs=args.jobs, runs_of=mine, wall_seconds=round(wall, 1),
        fopt_check=worst, date=date, cocoex=version("coco-experiment"),
        machine=f"{platform.machine()}, {os.cpu_count()} cores, Python "
                f"{platform.python_version()}",
        versions=", ".join(f"{p} {version(p)}" for p in
                           ("ceopt", "numpy", "scipy", "cma", "cmaes", "optuna",
                            "coco-experiment")))
    if previous is not None:  # the other solvers' runs are kept as they were
        old_runs, old_meta = previous
        runs = [r for r in old_runs if r["solver"] not in args.solvers] + runs
        meta["runs_of"] = {**old_meta.get("runs_of", {}), **mine}
        meta["updates"] = [*old_meta.get("updates", []),
                           dict(solvers=args.solvers, wall_seconds=round(wall, 1), date=date)]
        meta["wall_seconds"] = old_meta["wall_seconds"]
        meta["date"] = old_meta["date"]
    (args.out / f"{PREFIX}-meta.json").write_text(
        json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    write_runs(args.out / f"{PREFIX}-runs.csv", runs)
    path = report(runs, meta, args.out)
    print(f"{sum(r['solver'] in mine for r in runs)} runs in {wall:.0f} s; {path}")
    return path


if __name__ == "__main__":
    main()

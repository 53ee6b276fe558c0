"""Run the BBOB benchmark: its options, the runs spread over processes, and the files it writes.

``ceopt bench`` and ``python benchmarks/bbob.py`` share these options (:func:`add_options`) and
this code; they differ in the default output folder (``./ceopt-bench`` and
``benchmarks/results``) and in that ``ceopt bench`` refuses to replace an earlier run's results
unless told to (``--update`` or ``--force``), where the script refreshes the results kept
under version control. The script also limits BLAS to one thread per process, which only the
environment can do before numpy is loaded (``OPENBLAS_NUM_THREADS=1 ceopt bench``).

Written into the output folder: ``bbob-runs.csv`` (one row per run: evaluations to reach each
target, best f - f_opt, wall time), ``bbob-meta.json`` (settings, versions), ``bbob.md`` (the
tables) and ``bbob-ecdf-d<dim>.png``; with ``--ablation``, ``bbob-ablation-*`` instead.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from importlib.metadata import version
from pathlib import Path

from . import missing_extras
from .measure import read_runs, write_runs
from .report import main as report_from_csv
from .report import ranges, report
from .solvers import ALL, SOLVERS, SUITES, VARIANTS, run_task

QUICK = dict(functions=[1, 8, 10, 15, 21],  # one per group: sphere, Rosenbrock, ellipsoid,
             dims=[2, 5], instances=[1, 2, 3], budget=200)  # Rastrigin, Gallagher
DEFAULT = dict(functions=list(range(1, 25)), dims=[2, 5, 10, 20],
               instances=list(range(1, 16)), budget=1000)


class BenchError(Exception):
    """A run that cannot start as asked; the message says what to change."""


def int_list(text: str) -> list[int]:
    """'1-5,8' or '1-5 8' -> [1, 2, 3, 4, 5, 8]."""
    values: list[int] = []
    for part in text.replace(",", " ").split():
        low, _, high = part.partition("-")
        try:
            values += range(int(low), int(high or low) + 1)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{part!r} is not a number or a range such as 1-5") from None
    if not values:
        raise argparse.ArgumentTypeError(f"no numbers in {text!r}")
    return values


def add_options(ap: argparse.ArgumentParser, results: Path, force: bool) -> None:
    """The benchmark's options, ``results`` the default output folder; ``force`` adds
    ``--force``, for a caller that keeps an earlier run's results unless it is given."""
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: f1, f8, f10, f15, f21; d = 2, 5; instances 1-3; "
                         "budget 200·d")
    ap.add_argument("--suite", choices=sorted(SUITES), default="bbob",
                    help="COCO's suite (default bbob; bbob-largescale has the same functions "
                         "in 20 to 640 dimensions)")
    ap.add_argument("--functions", type=int_list, help="bbob functions, e.g. 1-24 (default)")
    ap.add_argument("--dims", type=int_list, nargs="+", help="dimensions (default 2 5 10 20)")
    ap.add_argument("--instances", type=int_list, help="instances (default 1-15)")
    ap.add_argument("--budget", type=int,
                    help="evaluations per dimension: a run has budget·d (default 1000)")
    ap.add_argument("--solvers", nargs="+", choices=sorted(ALL), metavar="SOLVER",
                    help=f"default: all but ceopt's variants ({', '.join(SOLVERS)})")
    ap.add_argument("--ablation", action="store_true",
                    help="run ceopt's variants instead, into bbob-ablation-* "
                         f"({', '.join(VARIANTS)})")
    ap.add_argument("--update", action="store_true",
                    help="run only --solvers and replace their runs in the CSV already in "
                         "--out (which must have the same problems, budget and seed)")
    if force:
        ap.add_argument("--force", action="store_true",
                        help="replace the results of an earlier run in --out")
    ap.add_argument("--seed", type=int, default=1, help="seeds every run (default 1)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count(),
                    help="processes (default: all cores)")
    ap.add_argument("--out", type=Path,
                    help=f"output folder (default {results}, {results / 'quick'} with --quick)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")


def settle(args: argparse.Namespace, error: Callable[[str], object],
           results: Path) -> argparse.Namespace:
    """Fill in the defaults (``results`` is the default output folder) and check the options;
    ``error`` is the parser's, which exits with the usage line."""
    base = QUICK if args.quick else DEFAULT
    args.functions = args.functions or base["functions"]
    args.dims = sorted({d for group in args.dims for d in group}) if args.dims else base["dims"]
    args.instances = args.instances or base["instances"]
    args.budget = base["budget"] if args.budget is None else args.budget
    if args.ablation and args.solvers and not args.update:
        error("--ablation chooses the solvers itself (unless --update names some)")
    if args.update and not args.solvers:
        error("--update needs --solvers: the ones to run again")
    if args.update and getattr(args, "force", False):
        error("give --update (keep the other solvers' runs) or --force (replace them all), "
              "not both")
    args.solvers = args.solvers or list(VARIANTS if args.ablation else SOLVERS)
    args.prefix = "bbob-ablation" if args.ablation else "bbob"
    args.out = args.out or (results / "quick" if args.quick else results)
    if not set(args.functions) <= set(range(1, 25)):
        error("bbob functions are 1-24")
    if args.budget < 1 or args.jobs < 1:
        error("--budget and --jobs must be positive")
    have = SUITES[args.suite]
    if not set(args.dims) <= set(have):
        error(f"--dims: {args.suite} has the dimensions {', '.join(map(str, have))} only, "
              f"not {', '.join(str(d) for d in args.dims if d not in have)}")
    return args


def earlier_results(args: argparse.Namespace) -> list[Path]:
    """The files of an earlier run with this prefix already in ``args.out``."""
    names = (f"{args.prefix}-runs.csv", f"{args.prefix}-meta.json", f"{args.prefix}.md")
    return [args.out / name for name in names if (args.out / name).exists()]


def tasks(args: argparse.Namespace, fopt: dict) -> list[dict]:
    """One task per (solver, problem); the biggest dimensions first, for load balance."""
    out = [dict(solver=s, function=f, dim=d, instance=i, budget=args.budget * d,
                seed=args.seed, fopt=fopt[f, d, i], suite=args.suite)
           for d in args.dims for f in args.functions for i in args.instances
           for s in args.solvers]
    return sorted(out, key=lambda t: -t["dim"])


def run(args: argparse.Namespace) -> tuple[list[dict], float]:
    """Every run of ``args``, on ``args.jobs`` processes; and the wall time in seconds."""
    from tqdm import tqdm

    from .solvers import fopt_of, suite

    problems = suite(args.functions, args.dims, args.instances, name=args.suite)
    fopt = {(p.id_function, p.dimension, p.id_instance): fopt_of(p, args.suite)
            for p in problems}
    todo = tasks(args, fopt)
    t0 = time.perf_counter()
    runs = []
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run_task, t) for t in todo]
        with tqdm(total=len(futures), unit="run", disable=args.quiet, smoothing=0.05) as bar:
            for future in as_completed(futures):
                runs.append(future.result())
                bar.set_postfix_str(f"{runs[-1]['solver']} d={runs[-1]['dim']}", refresh=False)
                bar.update()
    return runs, time.perf_counter() - t0


def _previous(args: argparse.Namespace) -> tuple[list[dict], dict]:
    """The runs and settings already in --out, checked against this run's settings."""
    csv_path = args.out / f"{args.prefix}-runs.csv"
    meta_path = args.out / f"{args.prefix}-meta.json"
    if not (csv_path.exists() and meta_path.exists()):
        raise BenchError(f"--update: no {csv_path.name} and {meta_path.name} in {args.out}; "
                         "run without --update first")
    meta = json.loads(meta_path.read_text())
    mine = dict(seed=args.seed, budget_per_dim=args.budget, functions=ranges(args.functions),
                dims=ranges(args.dims), instances=ranges(args.instances), suite=args.suite)
    theirs = {"suite": "bbob", **meta}  # (runs from before --suite are bbob's)
    differ = {k: (theirs.get(k), v) for k, v in mine.items() if theirs.get(k) != v}
    if differ:
        raise BenchError(f"--update: the runs in {args.out} have other settings "
                         f"(theirs, yours): {differ}")
    return read_runs(csv_path), meta


def execute(args: argparse.Namespace) -> Path:
    """Run the benchmark as ``args`` (settled) say and write its files; the tables' path."""
    previous = _previous(args) if args.update else None
    args.out.mkdir(parents=True, exist_ok=True)
    runs, wall = run(args)
    n_run = len(runs)
    meta = dict(
        suite=args.suite, seed=args.seed, jobs=args.jobs, budget_per_dim=args.budget,
        functions=ranges(args.functions), dims=ranges(args.dims),
        instances=ranges(args.instances), solvers={s: ALL[s][1] for s in args.solvers},
        wall_seconds=round(wall, 1), date=time.strftime("%Y-%m-%d"),
        machine=f"{platform.machine()}, {os.cpu_count()} cores, Python "
                f"{platform.python_version()}",
        versions=", ".join(f"{p} {version(p)}" for p in
                           ("ceopt", "numpy", "scipy", "cma", "coco-experiment")))
    if previous is not None:  # the other solvers' runs are kept as they were
        old_runs, old_meta = previous
        runs = [r for r in old_runs if r["solver"] not in args.solvers] + runs
        meta["solvers"] = {**old_meta["solvers"], **meta["solvers"]}
        meta["wall_seconds"] = old_meta["wall_seconds"]
        meta["updates"] = [*old_meta.get("updates", []), dict(
            solvers=args.solvers, wall_seconds=round(wall, 1), date=meta["date"])]
        meta["date"] = old_meta["date"]
    (args.out / f"{args.prefix}-meta.json").write_text(
        json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    write_runs(args.out / f"{args.prefix}-runs.csv", runs)
    path = report(runs, meta, args.out, args.prefix)
    print(f"{n_run} runs in {wall:.0f} s; tables in {path}")
    main_csv = args.out / "bbob-runs.csv"
    if args.ablation and main_csv.exists():  # the main report gains the ablation table
        report_from_csv([str(main_csv)])
    return path


def start(args: argparse.Namespace, prog: str, keep_earlier: bool) -> int:
    """Check the extra and the output folder, then run; the exit status (2: nothing was run).

    ``args`` come from :func:`settle`, ``prog`` names the command in messages. With
    ``keep_earlier`` an earlier run's results in ``--out`` are kept unless ``--force`` (which
    ``add_options`` then must have added) or ``--update`` is given.
    """
    missing = missing_extras()
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        return _refuse(prog, f"{' and '.join(missing)} {verb} not installed (the bench extra): "
                             "pip install \".[bench]\" from ceopt's project folder, or pip "
                             "install cma coco-experiment matplotlib tqdm")
    guarded = keep_earlier and not (args.force or args.update)
    earlier = earlier_results(args) if guarded else []
    if earlier:
        return _refuse(prog, f"{args.out} already holds the results of a run "
                             f"({', '.join(p.name for p in earlier)}); give another --out, "
                             "--force to replace them, or --update --solvers ... to rerun some "
                             "solvers into them")
    try:
        execute(args)
    except BenchError as exc:
        return _refuse(prog, str(exc))
    return 0


def _refuse(prog: str, message: str) -> int:
    print(f"{prog}: {message}", file=sys.stderr)
    return 2


def parse_args(argv: Sequence[str] | None = None, prog: str = "python benchmarks/bbob.py",
               results: Path = Path("benchmarks/results"), force: bool = False,
               description: str | None = None) -> argparse.Namespace:
    """The options as the benchmark script reads them (``ceopt bench`` uses its subparser)."""
    ap = argparse.ArgumentParser(prog=prog, description=description,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    add_options(ap, results, force)
    return settle(ap.parse_args(argv), ap.error, results)

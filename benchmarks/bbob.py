"""ceopt against scipy's optimisers and pycma on the COCO bbob suite.

    python benchmarks/bbob.py                # the full default run, about 18 min on 2 cores
    python benchmarks/bbob.py --quick        # 5 functions, d = 2 and 5, about 5 s
    python benchmarks/bbob.py --dims 10 --functions 10-14 --instances 1-3 --budget 200
    python benchmarks/bbob.py --ablation     # ceopt's variants, for the ablation table
    python benchmarks/bbob.py --update --solvers ceopt   # rerun one, keep the others' runs

Writes into --out (default benchmarks/results, or benchmarks/results/quick with --quick):
``bbob-runs.csv`` (one row per run: evaluations to reach each target, best f - f_opt, wall
time), ``bbob-meta.json`` (settings, versions, f_opt of every problem), ``bbob.md`` (the
tables) and ``bbob-ecdf-d<dim>.png``. ``--ablation`` runs ceopt's variants instead and writes
``bbob-ablation-*``; ``bbob.md`` then gains the ablation table. How f_opt is found and why
each solver is set as it is: benchmarks/README.md. Needs the bench extra:
pip install ".[bench]".
"""

import os

# One BLAS thread per process: the runs are spread over the cores instead.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: E402
from importlib.metadata import version  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bbob_report  # noqa: E402
import bbob_solvers  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
QUICK = dict(functions=[1, 8, 10, 15, 21],  # one per group: sphere, Rosenbrock, ellipsoid,
             dims=[2, 5], instances=[1, 2, 3], budget=200)  # Rastrigin, Gallagher
DEFAULT = dict(functions=list(range(1, 25)), dims=[2, 5, 10, 20],
               instances=list(range(1, 16)), budget=1000)


def int_list(text: str) -> list[int]:
    """'1-5,8' or '1-5 8' -> [1, 2, 3, 4, 5, 8]."""
    values = []
    for part in text.replace(",", " ").split():
        low, _, high = part.partition("-")
        values += range(int(low), int(high or low) + 1)
    if not values:
        raise argparse.ArgumentTypeError(f"no numbers in {text!r}")
    return values


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python benchmarks/bbob.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: f1, f8, f10, f15, f21; d = 2, 5; instances 1-3; "
                         "budget 200·d")
    ap.add_argument("--functions", type=int_list, help="bbob functions, e.g. 1-24 (default)")
    ap.add_argument("--dims", type=int_list, nargs="+", help="dimensions (default 2 5 10 20)")
    ap.add_argument("--instances", type=int_list, help="instances (default 1-15)")
    ap.add_argument("--budget", type=int,
                    help="evaluations per dimension: a run has budget·d (default 1000)")
    ap.add_argument("--solvers", nargs="+", choices=sorted(bbob_solvers.ALL),
                    help="default: all but ceopt's variants (see --ablation)")
    ap.add_argument("--ablation", action="store_true",
                    help="run ceopt's variants (bbob_solvers.VARIANTS) into bbob-ablation-*")
    ap.add_argument("--update", action="store_true",
                    help="run only --solvers and replace their runs in the CSV already in "
                         "--out (which must have the same problems, budget and seed)")
    ap.add_argument("--seed", type=int, default=1, help="seeds every run (default 1)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count(),
                    help="processes (default: all cores)")
    ap.add_argument("--out", type=Path, help="output folder")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    base = QUICK if args.quick else DEFAULT
    args.functions = args.functions or base["functions"]
    args.dims = sorted({d for group in args.dims for d in group}) if args.dims else base["dims"]
    args.instances = args.instances or base["instances"]
    args.budget = base["budget"] if args.budget is None else args.budget
    if args.ablation and args.solvers and not args.update:
        ap.error("--ablation chooses the solvers itself (unless --update names some)")
    if args.update and not args.solvers:
        ap.error("--update needs --solvers: the ones to run again")
    args.solvers = args.solvers or list(
        bbob_solvers.VARIANTS if args.ablation else bbob_solvers.SOLVERS)
    args.prefix = "bbob-ablation" if args.ablation else "bbob"
    args.out = args.out or (RESULTS / "quick" if args.quick else RESULTS)
    if not set(args.functions) <= set(range(1, 25)):
        ap.error("bbob functions are 1-24")
    if args.budget < 1 or args.jobs < 1 or min(args.dims) < 2:
        ap.error("--budget and --jobs must be positive, dimensions at least 2")
    return args


def tasks(args, fopt: dict) -> list[dict]:
    """One task per (solver, problem); the biggest dimensions first, for load balance."""
    out = [dict(solver=s, function=f, dim=d, instance=i, budget=args.budget * d,
                seed=args.seed, fopt=fopt[f, d, i])
           for d in args.dims for f in args.functions for i in args.instances
           for s in args.solvers]
    return sorted(out, key=lambda t: -t["dim"])


def run(args) -> tuple[list[dict], float]:
    from tqdm import tqdm

    problems = bbob_solvers.suite(args.functions, args.dims, args.instances)
    fopt = {(p.id_function, p.dimension, p.id_instance): bbob_solvers.fopt_of(p)
            for p in problems}
    todo = tasks(args, fopt)
    t0 = time.perf_counter()
    runs = []
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(bbob_solvers.run_task, t) for t in todo]
        with tqdm(total=len(futures), unit="run", disable=args.quiet, smoothing=0.05) as bar:
            for future in as_completed(futures):
                runs.append(future.result())
                bar.set_postfix_str(f"{runs[-1]['solver']} d={runs[-1]['dim']}", refresh=False)
                bar.update()
    return runs, time.perf_counter() - t0


def _previous(args) -> tuple[list[dict], dict]:
    """The runs and settings already in --out, checked against this run's settings."""
    csv_path = args.out / f"{args.prefix}-runs.csv"
    meta_path = args.out / f"{args.prefix}-meta.json"
    if not (csv_path.exists() and meta_path.exists()):
        raise SystemExit(f"--update: no {csv_path.name} and {meta_path.name} in {args.out}")
    meta = json.loads(meta_path.read_text())
    mine = dict(seed=args.seed, budget_per_dim=args.budget,
                functions=bbob_report.ranges(args.functions),
                dims=bbob_report.ranges(args.dims), instances=bbob_report.ranges(args.instances))
    differ = {k: (meta.get(k), v) for k, v in mine.items() if meta.get(k) != v}
    if differ:
        raise SystemExit(f"--update: the runs in {args.out} have other settings: {differ}")
    return bbob_report.read_runs(csv_path), meta


def main(argv=None) -> Path:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    previous = _previous(args) if args.update else None
    runs, wall = run(args)
    n_run = len(runs)
    meta = dict(
        seed=args.seed, jobs=args.jobs, budget_per_dim=args.budget,
        functions=bbob_report.ranges(args.functions), dims=bbob_report.ranges(args.dims),
        instances=bbob_report.ranges(args.instances), solvers={
            s: bbob_solvers.ALL[s][1] for s in args.solvers},
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
    bbob_report.write_runs(args.out / f"{args.prefix}-runs.csv", runs)
    path = bbob_report.report(runs, meta, args.out, args.prefix)
    print(f"{n_run} runs in {wall:.0f} s; tables in {path}")
    main_csv = args.out / "bbob-runs.csv"
    if args.ablation and main_csv.exists():  # the main report gains the ablation table
        bbob_report.main([str(main_csv)])
    return path


if __name__ == "__main__":
    main()

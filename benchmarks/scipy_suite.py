"""scipy's global-optimisation benchmark functions: ceopt against its peers on a suite it was not
tuned on.

scipy's repository keeps, beside its asv benchmarks, a suite of about 200 test functions for
global optimisers (``benchmarks/benchmarks/go_benchmark_functions``: Ackley to Zirilli, 2 to
17 dimensions, each with its box, known minimum and success test). scipy runs them in its
``BenchGlobal`` benchmark. This script runs the same functions -- every class that
``BenchGlobal`` runs: each subclass of the suite's ``Benchmark`` not named ``Problem*`` -- at
their default dimension and bounds, with the same success test (the suite's
``success(x)``: ``|f(x) - fglob| < 1e-5``), on every solver, in one run.

The project does not copy scipy's code: point ``--scipy-source`` at a checkout of scipy's
repository (``git clone https://github.com/scipy/scipy``; only the folder above is read). Its
suite imports one helper from scipy's asv set-up, ``safe_import`` (an import that may fail); the
loader gives it a stand-in for that one name, so asv is not needed.

Methodology, the same for every solver:

- a budget of ``--budget`` evaluations (10,000) per run, counted by a wrapper that ends the run
  when it is spent, so no solver can overspend it, or when a value within the suite's tolerance
  of ``fglob`` is found (the evaluations it took are reported); a solver that stops by its own
  criteria earlier is started again from a new random point until the budget is spent, except
  ceopt and pycma, which restart on their own (IPOP) within the budget they are given;
- the recommendation of a run is the best point it evaluated, and the run succeeds if the
  suite's test passes there. A point the suite finds *below* its ``fglob`` (its test raises
  ``ValueError``) counts as a success and is listed under the table;
- ``--seeds`` runs per function and solver (3), seeded from (seed, function's name); numpy's
  global generator is seeded too, as two functions (``XinSheYang01`` and ``Stochastic``) draw
  from it.

Solvers (``--solvers``): ``ceopt`` (``ceopt.minimize`` with the bounds and the budget from a
random point in the box, defaults otherwise), ``ceopt-centre`` (the same without a start point:
ceopt then starts at the box's centre and evaluates it first, which is where many of the suite's
functions have their minimum; not in the default set, as no peer gets that head start),
``cma-ipop`` (pycma ``fmin2`` on the box scaled to [0, 1]^d, its
recommended set-up for unequal ranges, sigma0 0.2, IPOP restarts), ``dual-annealing`` and
``de`` (scipy, defaults; DE with ``popsize=20`` as scipy's own benchmark runs it), and
``nelder-mead`` (scipy, adaptive, from a random point) as a local baseline.

    python benchmarks/scipy_suite.py --scipy-source ~/src/scipy [--seeds 3] [--jobs 2]
    python benchmarks/scipy_suite.py --scipy-source DIR --functions Ackley01,Xor --seeds 1

Writes ``results/scipy-suite.md``, ``scipy-suite-runs.csv`` and ``scipy-suite.png``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import csv  # noqa: E402
import importlib  # noqa: E402
import inspect  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402
import warnings  # noqa: E402
import zlib  # noqa: E402
from collections import defaultdict  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from ceopt.bench.solvers import Stop, run_with_restarts  # noqa: E402

RESULTS = Path(__file__).parent / "results"
SUITE = Path("benchmarks", "benchmarks", "go_benchmark_functions")
#: The dimension bands of the table: (label, lowest, highest).
BANDS = (("2-d", 2, 2), ("3-5-d", 3, 5), ("6-17-d", 6, 10**6))
_PACKAGE = "_scipy_go_benchmarks"  # the name the suite is imported under


# -- the suite ---------------------------------------------------------------------------------
def load_suite(source: str | os.PathLike) -> dict[str, type]:
    """The suite's functions from a scipy checkout, by name, as ``BenchGlobal`` selects them.

    Raises ``FileNotFoundError`` naming what to pass if ``source`` is not a scipy checkout.
    """
    folder = Path(source).expanduser() / SUITE
    if not (folder / "__init__.py").is_file():
        raise FileNotFoundError(
            f"--scipy-source {source!s}: no {SUITE}/__init__.py there; pass the root of a "
            f"checkout of scipy's repository (git clone https://github.com/scipy/scipy)")
    loaded = sys.modules.get(_PACKAGE)
    if loaded is not None and loaded.__path__ != [str(folder.parent)]:
        for name in [n for n in sys.modules if n.split(".")[0] == _PACKAGE]:
            del sys.modules[name]  # another source tree: load this one afresh
        loaded = None
    if loaded is None:
        # The parent package of the suite, made here so that scipy's asv set-up (its
        # __init__.py seeds numpy's global generator) does not run, with the one helper the
        # suite imports from it.
        parent = types.ModuleType(_PACKAGE)
        parent.__path__ = [str(folder.parent)]
        common = types.ModuleType(f"{_PACKAGE}.common")
        common.safe_import = lambda: contextlib.suppress(ImportError)
        sys.modules[_PACKAGE] = parent
        sys.modules[common.__name__] = common
    suite = importlib.import_module(f"{_PACKAGE}.go_benchmark_functions")
    base = suite.Benchmark
    return {name: cls for name, cls in inspect.getmembers(suite, inspect.isclass)
            if issubclass(cls, base) and name != "Benchmark" and not name.startswith("Problem")}


class Budget:
    """The objective a solver sees: counts evaluations, keeps the best point, and ends the run
    (raises the BBOB harness's ``Stop`` at the next call) when the budget is spent or a value
    within the suite's tolerance of ``fglob`` has been found (``solved_at`` is then the number
    of evaluations it took). The solver gets that value back and may draw more random numbers
    before its next call (pycma draws from numpy's global generator between populations),
    which the two functions that also draw from it see at the success test: the recorded
    runs were made so."""

    def __init__(self, fun, budget: int, target: float = -np.inf):
        self.fun, self.budget, self.target = fun, budget, target
        self.evals = 0
        self.best_f, self.best_x = np.inf, None
        self.solved_at = None

    def __call__(self, x) -> float:
        if self.evals >= self.budget or self.solved_at is not None:
            raise Stop("budget" if self.solved_at is None else "solved")
        x = np.array(x, dtype=float)
        f = float(self.fun(x))
        self.evals += 1
        if f < self.best_f:  # NaN never compares less: it is never the best point
            self.best_f, self.best_x = f, x
            if f < self.target:
                self.solved_at = self.evals  # the next call ends the run
        return f

    @property
    def remaining(self) -> int:
        return self.budget - self.evals


# -- the solvers: one start each, on (objective, lower, upper, rng) ------------------------------
def ceopt_start(obj: Budget, lo, hi, rng) -> None:
    import ceopt
    ceopt.minimize(obj, rng.uniform(lo, hi), bounds=list(zip(lo, hi, strict=True)),
                   max_evals=obj.remaining, seed=rng)


def ceopt_centre_start(obj: Budget, lo, hi, rng) -> None:
    import ceopt
    ceopt.minimize(obj, bounds=list(zip(lo, hi, strict=True)), max_evals=obj.remaining, seed=rng)


def cma_start(obj: Budget, lo, hi, rng) -> None:
    import cma
    width = hi - lo

    def scaled(u):  # pycma searches [0, 1]^d: one sigma0 suits every coordinate
        return obj(lo + np.asarray(u) * width)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cma.fmin2(scaled, lambda: rng.uniform(0, 1, lo.size), 0.2, restarts=10**6,
                  incpopsize=2,
                  options={"bounds": [0, 1], "seed": int(rng.integers(2**31 - 1)),
                           "maxfevals": obj.remaining, "verbose": -9, "verb_log": 0,
                           "verb_disp": 0})


def dual_annealing_start(obj: Budget, lo, hi, rng) -> None:
    from scipy.optimize import dual_annealing
    dual_annealing(obj, list(zip(lo, hi, strict=True)), maxfun=obj.remaining, seed=rng)


def de_start(obj: Budget, lo, hi, rng) -> None:
    from scipy.optimize import differential_evolution
    differential_evolution(obj, list(zip(lo, hi, strict=True)), popsize=20, seed=rng)


def nelder_mead_start(obj: Budget, lo, hi, rng) -> None:
    from scipy.optimize import minimize
    minimize(obj, rng.uniform(lo, hi), method="Nelder-Mead", bounds=list(zip(lo, hi, strict=True)),
             options=dict(maxfev=obj.remaining, adaptive=True))


#: name -> (one start, description); see also RESTART_THEMSELVES.
SOLVERS = {
    "ceopt": (ceopt_start, "ceopt.minimize(fun, x0, bounds=..., max_evals=budget) from a "
                           "random x0 in the box, defaults otherwise"),
    "ceopt-centre": (ceopt_centre_start, "the same without x0: the search starts at the box's "
                                         "centre, which it evaluates first"),
    "cma-ipop": (cma_start, "pycma fmin2 on the box scaled to [0, 1]^d, sigma0 0.2, "
                            "IPOP restarts (population x2)"),
    "dual-annealing": (dual_annealing_start, "scipy dual_annealing, defaults"),
    "de": (de_start, "scipy differential_evolution, popsize=20 (as scipy's BenchGlobal)"),
    "nelder-mead": (nelder_mead_start, "scipy Nelder-Mead, adaptive, bounds, random start"),
}

#: Solvers that restart within the budget they are given: started once, they may leave less
#: than one population of it unspent.
RESTART_THEMSELVES = {"ceopt", "ceopt-centre", "cma-ipop"}


def run_one(task: dict) -> dict:
    """One run: ``task`` names the source, function, solver, seed and budget."""
    suite = load_suite(task["source"])
    problem = suite[task["function"]]()
    start = SOLVERS[task["solver"]][0]
    seed = zlib.crc32(f"{task['seed']}:{task['function']}".encode())
    rng = np.random.default_rng(seed)
    # Two functions draw from numpy's global generator: seeded, they repeat too.
    np.random.seed(seed % 2**32)  # noqa: NPY002
    lo, hi = (np.array(b, dtype=float) for b in zip(*problem.bounds, strict=True))
    # The suite's test: |f(x) - fglob| < 1e-5 (a lower value is an error in the suite).
    obj = Budget(problem.fun, task["budget"], target=float(problem.fglob) + 1e-5)

    def one_start(rec, rng, k):
        start(rec, lo, hi, rng)
        if task["solver"] in RESTART_THEMSELVES:
            raise Stop("restarts within its budget itself")

    t0 = time.perf_counter()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_with_restarts(one_start, obj, rng)
    seconds = time.perf_counter() - t0
    success, below = judge(problem, obj.best_x)
    return dict(function=task["function"], dim=problem.N, solver=task["solver"],
                seed=task["seed"], success=int(success), below_fglob=int(below),
                best_f=obj.best_f, fglob=float(problem.fglob), evals=obj.evals,
                solved_at=obj.solved_at if success else None,
                seconds=round(seconds, 3))


def judge(problem, x) -> tuple[bool, bool]:
    """(the suite's success test at x, whether x lies below the suite's fglob)."""
    if x is None:
        return False, False
    with np.errstate(all="ignore"):
        try:
            return bool(problem.success(x)), False
        except ValueError:  # the suite's "Found a lower global minimum"
            return True, True


# -- the report --------------------------------------------------------------------------------
def band_of(dim: int) -> str:
    return next(label for label, lo, hi in BANDS if lo <= dim <= hi)


def write_report(rows: list[dict], out: Path, budget: int, seeds: int, source_note: str) -> None:
    solvers = [s for s in SOLVERS if any(r["solver"] == s for r in rows)]
    functions = sorted({r["function"] for r in rows})
    dims = {r["function"]: r["dim"] for r in rows}
    won = defaultdict(list)  # (solver, band) -> success of each run
    for r in rows:
        won[r["solver"], band_of(r["dim"])].append(r["success"])
        won[r["solver"], "all"].append(r["success"])
    bands = [label for label, *_ in BANDS] + ["all"]
    count = {b: sum(1 for f in functions if b == "all" or band_of(dims[f]) == b) for b in bands}
    bands = [b for b in bands if count[b]]

    def pct(solver, band):
        runs = won[solver, band]
        return 100 * np.mean(runs) if runs else np.nan

    lines = [
        "# scipy's global-optimisation suite",
        "",
        f"`python benchmarks/scipy_suite.py --scipy-source DIR --seeds {seeds} --budget "
        f"{budget}`; {source_note}. Every function scipy's `BenchGlobal` runs, at its default "
        f"dimension and bounds; {budget:,} evaluations per run, {seeds} seeds; success is the "
        "suite's own test at the best point evaluated. Per cent of runs solved (best per row "
        "in bold):",
        "",
        "| band | functions | " + " | ".join(solvers) + " |",
        "|---|---:|" + "---:|" * len(solvers),
    ]
    for b in bands:
        cells = [pct(s, b) for s in solvers]
        top = np.nanmax(cells)
        shown = [f"**{c:.1f} %**" if c == top else f"{c:.1f} %" for c in cells]
        lines.append(f"| {b} | {count[b]} | " + " | ".join(shown) + " |")
    lines += ["", "Solvers:", ""]
    lines += [f"- `{s}`: {SOLVERS[s][1]}" for s in solvers]
    by = {(r["function"], r["solver"]): [] for r in rows}
    for r in rows:
        by[r["function"], r["solver"]].append(r["success"])
    peers = [s for s in solvers if not s.startswith("ceopt")]
    if "ceopt" in solvers and peers:
        lines += ["", "Functions that ceopt solves in fewer runs than some peer "
                      "(runs solved out of the seeds, per solver):", "",
                  "| function | d | " + " | ".join(solvers) + " |",
                  "|---|---:|" + "---:|" * len(solvers)]
        for f in functions:
            mine = sum(by.get((f, "ceopt"), []))
            if any(sum(by.get((f, s), [])) > mine for s in peers):
                lines.append(f"| {f} | {dims[f]} | "
                             + " | ".join(str(sum(by.get((f, s), []))) for s in solvers) + " |")
    below = sorted({(r["function"], r["solver"]) for r in rows if r["below_fglob"]})
    if below:
        lines += ["", "Runs that found a point below the suite's `fglob` (counted as solved): "
                  + ", ".join(f"{f} ({s})" for f, s in below) + "."]
    solved_at = defaultdict(list)
    for r in rows:
        if r["solved_at"]:
            solved_at[r["solver"]].append(r["solved_at"])
    lines += ["", "Median evaluations of the solved runs: " + ", ".join(
        f"{s} {np.median(solved_at[s]):,.0f}" for s in solvers if solved_at[s]) + "."]
    wall = defaultdict(float)
    for r in rows:
        wall[r["solver"]] += r["seconds"]
    lines += ["", "Wall time of all runs, one core each: "
              + ", ".join(f"{s} {wall[s] / 60:.1f} min" for s in solvers) + "."]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    plot(solvers, bands, pct, out.with_suffix(".png"))


def plot(solvers, bands, pct, path: Path) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(7, 3.5))
    width = 0.8 / len(solvers)
    for k, s in enumerate(solvers):
        ax.bar(np.arange(len(bands)) + k * width, [pct(s, b) for b in bands], width, label=s)
    ax.set_xticks(np.arange(len(bands)) + 0.4 - width / 2, bands)
    ax.set_ylabel("runs solved (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8, ncol=len(solvers), loc="lower center")
    ax.set_title("scipy's go_benchmark_functions, by dimension")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# -- the command line ----------------------------------------------------------------------------
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scipy-source", required=True,
                        help="root of a checkout of scipy's repository")
    parser.add_argument("--solvers", default=",".join(s for s in SOLVERS if s != "ceopt-centre"))
    parser.add_argument("--functions", default=None,
                        help="comma-separated names (default: the whole suite)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--source-label", default=None,
                        help="which scipy the suite came from, for the report (default: the "
                             "checkout's git commit)")
    parser.add_argument("--out", default=str(RESULTS / "scipy-suite"),
                        help="path of the results without extension (.md, .png, -runs.csv)")
    parser.add_argument("--report", action="store_true",
                        help="write the tables from the runs already in --out's CSV, running "
                             "nothing (--seeds and --source-label describe those runs)")
    args = parser.parse_args(argv)
    args.solvers = args.solvers.split(",")
    unknown = [s for s in args.solvers if s not in SOLVERS]
    if unknown:
        parser.error(f"--solvers: unknown {', '.join(unknown)}; choose from "
                     f"{', '.join(SOLVERS)}")
    return args


def read_runs(path: Path) -> list[dict]:
    """The rows of a runs CSV, with their numbers as numbers."""
    ints = ("dim", "seed", "success", "below_fglob", "evals")
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        for k in ints:
            r[k] = int(r[k])
        r["solved_at"] = int(r["solved_at"]) if r["solved_at"] else None
        for k in ("best_f", "fglob", "seconds"):
            r[k] = float(r[k])
    return rows


def main(argv=None) -> list[dict]:
    args = parse_args(argv)
    out = Path(args.out)
    if args.report:
        rows = read_runs(out.parent / f"{out.name}-runs.csv")
        write_report(rows, out, args.budget, args.seeds,
                     args.source_label or source_note(args.scipy_source))
        return rows
    try:
        suite = load_suite(args.scipy_source)
    except FileNotFoundError as exc:
        raise SystemExit(str(exc)) from None
    names = sorted(suite) if args.functions is None else args.functions.split(",")
    missing = [n for n in names if n not in suite]
    if missing:
        raise SystemExit(f"--functions: not in the suite: {', '.join(missing)}")
    tasks = [dict(source=str(args.scipy_source), function=f, solver=s, seed=k,
                  budget=args.budget)
             for f in names for s in args.solvers for k in range(args.seeds)]
    rows = []
    with ProcessPoolExecutor(args.jobs) as pool:
        for k, row in enumerate(pool.map(run_one, tasks, chunksize=4), 1):
            rows.append(row)
            if k % 50 == 0 or k == len(tasks):
                print(f"{k}/{len(tasks)} runs", file=sys.stderr, flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f"{out.name}-runs.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    label = args.source_label or source_note(args.scipy_source)
    write_report(rows, out, args.budget, args.seeds, label)
    return rows


def source_note(source) -> str:
    """Which scipy the suite came from: its git commit if the checkout has one."""
    import subprocess
    try:
        commit = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        return f"suite from scipy's repository at commit {commit}"
    except (OSError, subprocess.CalledProcessError):
        return "suite from a scipy source tree"


if __name__ == "__main__":
    main()

"""Categorical variables on COCO's bbob functions: ceopt against optuna's TPE, nevergrad,
scipy's differential evolution and pycma.

    python benchmarks/categorical.py                 # every solver that can run here
    python benchmarks/categorical.py --solvers de-index pycma-index optuna-tpe nevergrad
                                                     # the peers: about 40 min of one core
    python benchmarks/categorical.py --quick         # a smoke run of seconds, into results/quick/
    python benchmarks/categorical.py --update --solvers ceopt ceopt-index   # add or rerun
    python benchmarks/categorical.py --report        # the tables again, running nothing

COCO's bbob-mixint suite has integer variables, whose order means something, but no
categorical ones. Here a bbob problem of dimension d gets m = d // 2 categorical coordinates,
the first m: coordinate j takes one of k values, an evenly spaced grid of k points of [-4, 4]
shuffled by a permutation fixed per problem and coordinate, so that a level's index says
nothing about its value. The other coordinates stay continuous in [-5, 5]. The functions are
cocoex's, never re-implemented.

The optimum of such a problem is not bbob's f_opt. The reference f* of a problem is the best
value known: over every run of every solver, over an enumeration of the categorical part when
it has at most --enum-limit combinations (L-BFGS-B on the continuous part from three starts
for each combination), and after polishing the best of these points (L-BFGS-B then
Nelder-Mead on its continuous part). A run scores the ten COCO targets f - f* <= 1e1, ...,
1e-8. Since f* is known only when every run is in, a run records its improvements (its trace)
rather than its hits, and the hits are worked out when the report is written.

Writes into --out (default benchmarks/results, or benchmarks/results/quick with --quick):
``categorical-runs.csv`` (a row per run: best point, trace, hits), ``categorical-meta.json``
(settings, solvers, the reference of every problem) and ``categorical.md`` (the tables).
Needs the bench extra and optuna and nevergrad: pip install ".[bench]" optuna nevergrad.
Settings and why: benchmarks/README.md.
"""

import os

# One BLAS thread: the machines are shared, and the runs go one after another.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
import zlib  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from importlib.metadata import PackageNotFoundError, version  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bbob import int_list  # noqa: E402
from bbob_report import _table, ranges  # noqa: E402
from bbob_solvers import TARGETS, UNLIMITED, Stop, fopt_of, run_with_restarts, suite  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PREFIX = "categorical"
LOW, HIGH = -5.0, 5.0  # the box of the continuous coordinates, as in bbob.py
GRID = (-4.0, 4.0)  # the levels' span: bbob's optima lie in [-4, 4]^d
LEVEL_SEED = 20240  # with the problem's ids, seeds the permutations of the levels

# One function or two per bbob group (separable, moderate, ill-conditioned, multimodal, weak
# structure): all 24 would double the cheap solvers' time and the enumeration, and the slow
# peers, on their subset, could not cover them anyway.
DEFAULT = dict(functions=[1, 2, 3, 6, 7, 8, 10, 15, 16, 20, 21], dims=[5, 10],
               instances=[1, 2, 3, 4, 5], ks=[3, 5, 10, 20], budgets=[100, 1000],
               enum_limit=100)
QUICK = dict(functions=[1, 15], dims=[3], instances=[1], ks=[3, 5], budgets=[10, 50],
             enum_limit=25)
BBOB_DIMS = (2, 3, 5, 10, 20, 40)  # cocoex's bbob suite has no others


# -- problems ----------------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Spec:
    """A categorical problem: bbob function, dimension and instance, k levels per categorical
    coordinate; the first m = dim // 2 coordinates are categorical."""

    function: int
    dim: int
    instance: int
    k: int

    @property
    def m(self) -> int:
        return self.dim // 2

    @property
    def id(self) -> str:
        return f"f{self.function}-d{self.dim}-i{self.instance}-k{self.k}"


def levels_of(spec: Spec) -> np.ndarray:
    """(m, k): row j holds coordinate j's level values, level i being ``levels[j, i]``.

    An evenly spaced grid of [-4, 4], shuffled per coordinate by a permutation fixed by the
    problem (never by a run's seed), so that index-based solvers see no order in the levels.
    The grid does not depend on where bbob's optimum is: that would leak it.
    """
    grid = np.linspace(*GRID, spec.k)
    rng = np.random.default_rng([LEVEL_SEED, spec.function, spec.dim, spec.instance, spec.k])
    return np.array([grid[rng.permutation(spec.k)] for _ in range(spec.m)])


class Problem:
    """The cocoex problem with its first m coordinates restricted to their levels.

    ``problem(x)`` evaluates a full point whose categorical coordinates hold level values;
    ``from_index(z)`` makes such a point from one whose categorical coordinates hold level
    indices (rounded and clipped, for solvers that search the indices as numbers).
    """

    def __init__(self, spec: Spec):
        self.spec = spec
        self.m, self.n, self.k = spec.m, spec.dim - spec.m, spec.k
        self.levels = levels_of(spec)
        self.coco = suite([spec.function], [spec.dim], [spec.instance])[0]

    def __call__(self, x) -> float:
        return float(self.coco(x))

    def from_index(self, z) -> np.ndarray:
        x = np.array(z, dtype=float)
        index = np.clip(np.rint(x[:self.m]), 0, self.k - 1).astype(int)
        x[:self.m] = self.levels[np.arange(self.m), index]
        return x

    def index_of(self, x) -> tuple[int, ...]:
        """The level indices of x's categorical coordinates; ValueError if one is no level."""
        match = self.levels == np.asarray(x[:self.m], dtype=float)[:, None]
        if not match.any(axis=1).all():
            raise ValueError(f"{self.spec.id}: categorical values {x[:self.m]} are not levels")
        return tuple(int(i) for i in match.argmax(axis=1))

    def point(self, index, y) -> np.ndarray:
        """The point with levels ``index`` and continuous part ``y``."""
        return np.concatenate([self.levels[np.arange(self.m), list(index)], y])

    def free(self) -> None:
        self.coco.free()


class Recorder:
    """The objective every solver minimises: counts evaluations, keeps the best point, and
    notes each improvement of the best value (the trace), so that the hits of the targets can
    be worked out once f* is known. Like bbob_solvers.Recorder, it ends the run by raising
    Stop when the budget is spent, so no solver can overspend; unlike it, it cannot stop at
    the last target, since f* is not known while the solvers run.
    """

    def __init__(self, problem: Problem, budget: int):
        self.problem, self.budget = problem, budget
        self.evals = 0
        self.best, self.best_x = math.inf, None
        self.trace: list[tuple[int, float]] = []  # (evaluations, new best value)

    def __call__(self, x) -> float:
        if self.evals >= self.budget:
            raise Stop("budget")
        x = np.asarray(x, dtype=float)
        self.problem.index_of(x)  # a solver passing a value that is no level is a bug
        f = self.problem(x)
        self.evals += 1
        if f < self.best:
            self.best, self.best_x = f, x.copy()
            self.trace.append((self.evals, f))
        return f

    def batch(self, X) -> np.ndarray:
        """Values of the rows of X; a budget that ends inside X ends the run there."""
        return np.array([self(x) for x in np.asarray(X, dtype=float)])

    def index(self, z) -> float:
        """The value of a point whose categorical coordinates are level indices."""
        return self(self.problem.from_index(z))

    @property
    def remaining(self) -> int:
        return self.budget - self.evals

    def kept_trace(self) -> list[tuple[int, float]]:
        """The improvements within the largest target of the run's best: f* <= best, so a
        value above best + 1e1 can reach no target (this keeps the CSV small)."""
        return [(e, f) for e, f in self.trace if f <= self.best + TARGETS[0]]


# -- the solvers: one start each; run_with_restarts repeats a start that ends early -------------
def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


def _index_bounds(p: Problem) -> list[tuple[float, float]]:
    """Level indices 0 .. k-1 for the categorical coordinates, the box for the others."""
    return [(0, p.k - 1)] * p.m + [(LOW, HIGH)] * p.n


def optuna_start(rec: Recorder, rng, k):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    p = rec.problem
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=_seed(rng)))
    choices = [[float(v) for v in row] for row in p.levels]  # the level values, unordered
    while True:  # TPE never stops by itself: the recorder ends the run
        trial = study.ask()
        x = [trial.suggest_categorical(f"c{j}", choices[j]) for j in range(p.m)]
        x += [trial.suggest_float(f"r{j}", LOW, HIGH) for j in range(p.n)]
        study.tell(trial, rec(x))


def nevergrad_start(rec: Recorder, rng, k):
    import nevergrad as ng
    p = rec.problem
    # The continuous coordinates as one bounded Array rather than d - m bounded Scalars, and
    # positional Instrumentation rather than a Dict: NGOpt chooses the same optimiser, and
    # nevergrad's parameter bookkeeping, most of its cost, is a third cheaper (measured).
    param = ng.p.Instrumentation(*(ng.p.Choice([float(v) for v in row]) for row in p.levels),
                                 ng.p.Array(shape=(p.n,), lower=LOW, upper=HIGH))
    param.random_state.seed(_seed(rng))
    optimizer = ng.optimizers.NGOpt(parametrization=param, budget=rec.remaining, num_workers=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pycma inside NGOpt warns about its own internals
        while True:
            candidate = optimizer.ask()
            args, _ = candidate.value
            optimizer.tell(candidate, rec([*args[:-1], *args[-1]]))


def de_index_start(rec: Recorder, rng, k):
    from scipy.optimize import differential_evolution
    p = rec.problem
    # Integer bounds 0 .. k-1: scipy widens them by 0.5 on each side and rounds, so every
    # level is equally likely. tol=0 and a tiny atol as in bbob.py: the default tol is
    # relative to |mean f|, which includes bbob's offset f_opt.
    differential_evolution(rec.index, _index_bounds(p), integrality=[True] * p.m + [False] * p.n,
                           polish=False, maxiter=UNLIMITED, tol=0, atol=1e-12, seed=rng)


def pycma_index_start(rec: Recorder, rng, k):
    import cma
    p = rec.problem
    # Index bounds at -0.5 and k - 0.5, pycma's convention for integer variables (it moves
    # them inwards so that a rounded value stays in range, and rounds what it asks).
    lower = np.array([-0.5] * p.m + [LOW] * p.n)
    upper = np.array([p.k - 0.5] * p.m + [HIGH] * p.n)
    starts = itertools.count()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # sigma0 = 1 times CMA_stds, a fifth of each coordinate's range (bbob.py's sigma0 = 2
        # of the box of 10), so k levels are searched as widely as [-5, 5].
        cma.fmin2(rec.index, lambda: rng.uniform(lower, upper) if next(starts) else
                  (lower + upper) / 2, 1.0, restarts=UNLIMITED, incpopsize=2,
                  options={"bounds": [lower.tolist(), upper.tolist()],
                           "integer_variables": list(range(p.m)),
                           "CMA_stds": ((upper - lower) / 5).tolist(), "seed": _seed(rng),
                           "verbose": -9, "verb_log": 0, "verb_disp": 0,
                           "maxfevals": UNLIMITED})


def _ceopt_budget(rec: Recorder, k: int) -> int:
    """The budget for ceopt's start k: the remaining budget at first, so that ceopt plans its
    own restarts within it. If it still ends early, what is left can be less than a
    population, which ceopt refuses as a budget: a later start gets an unlimited one and
    the recorder ends it, as in bbob.py."""
    return rec.remaining if k == 0 else UNLIMITED


def ceopt_index_start(rec: Recorder, rng, k):
    import ceopt
    p = rec.problem

    def batch(Z):
        return rec.batch([p.from_index(z) for z in np.asarray(Z, dtype=float)])
    ceopt.minimize(batch, bounds=_index_bounds(p), integrality=[True] * p.m + [False] * p.n,
                   vectorized=True, max_evals=_ceopt_budget(rec, k), seed=rng)


def ceopt_start(rec: Recorder, rng, k):
    import ceopt
    p = rec.problem
    space = ([ceopt.Choice([float(v) for v in row]) for row in p.levels]
             + [ceopt.Real(LOW, HIGH) for _ in range(p.n)])

    def batch(columns):  # one array of n values per variable -> the n points as rows
        return rec.batch(np.column_stack([np.asarray(c, dtype=float) for c in columns]))
    ceopt.minimize(batch, space=space, vectorized=True, max_evals=_ceopt_budget(rec, k),
                   seed=rng)


@dataclass(frozen=True)
class Solver:
    start: Callable
    description: str
    # The slow solvers run on a subset of the grid (SUBSET_WHY says why): its first instance
    # only, its smallest budget only, its smallest and largest k only; --no-subsets runs
    # them on all of it.
    first_instance: bool = False
    smallest_budget: bool = False
    extreme_ks: bool = False

    @property
    def subset(self) -> bool:
        return self.first_instance or self.smallest_budget or self.extreme_ks


SOLVERS: dict[str, Solver] = {
    "ceopt": Solver(ceopt_start, "ceopt.minimize(f, space=[Choice(levels_j)..., Real(-5, 5)...], "
                                 "vectorized=True, max_evals=budget): native categoricals"),
    "ceopt-index": Solver(ceopt_index_start, "ceopt.minimize(f, bounds=[(0, k-1)...,(-5, 5)...], "
                                             "integrality=mask, vectorized=True, max_evals="
                                             "budget): level indices as integers"),
    "optuna-tpe": Solver(optuna_start, "optuna TPESampler defaults, ask/tell; "
                                       "suggest_categorical(levels), suggest_float(-5, 5)",
                         first_instance=True, smallest_budget=True),
    "nevergrad": Solver(nevergrad_start, "nevergrad NGOpt(budget), ask/tell; Instrumentation of "
                                         "Choice(levels)... and Array(d-m, bounds -5, 5)",
                        first_instance=True, smallest_budget=True, extreme_ks=True),
    "de-index": Solver(de_index_start, "scipy differential_evolution, integrality on indices "
                                       "0..k-1, polish off, tol 0"),
    "pycma-index": Solver(pycma_index_start, "pycma fmin2, integer_variables on indices "
                                             "[-0.5, k-0.5], IPOP restarts, sigma0 a fifth of "
                                             "each range"),
}
SUBSET_WHY = {
    "optuna-tpe": "TPE's cost per trial grows with the trials: 3 s for a run of 500 trials "
                  "at d = 5, 10-15 s for 1000 at d = 10, and a run of 1000·d would take "
                  "several minutes",
    "nevergrad": "NGOpt costs 15-50 ms per evaluation (nevergrad's parameter bookkeeping): "
                 "10-50 s a run at 100·d, 1-5 min at 1000·d; the two extreme k keep it "
                 "within the hour of the whole run",
}


def unavailable(name: str) -> str | None:
    """Why a solver cannot run here (a missing package, or ceopt without the API its entry
    is written against), or None. ceopt's two entries are tried on a toy problem."""
    modules = {"optuna-tpe": "optuna", "nevergrad": "nevergrad", "pycma-index": "cma"}
    try:
        __import__(modules.get(name, "scipy"))
        import ceopt
        if name == "ceopt":
            ceopt.minimize(lambda v: float(v[0] + v[1] ** 2),
                           space=[ceopt.Choice([0.0, 1.0]), ceopt.Real(-1, 1)],
                           max_evals=20, seed=0)
        elif name == "ceopt-index":
            ceopt.minimize(lambda x: float(x[0] + x[1] ** 2), bounds=[(0, 2), (-1, 1)],
                           integrality=[True, False], max_evals=20, seed=0)
    except Exception as error:  # any failure means: not runnable here, say why
        return f"{type(error).__name__}: {error}"
    return None


# -- runs ----------------------------------------------------------------------------------------
def _extremes(values):
    return (min(values), max(values))


def tasks(args) -> list[dict]:
    """One task per (solver, problem, budget) the solver runs."""
    out = []
    for name in args.solvers:
        solver = SOLVERS[name]
        for b, d, f, i, k in itertools.product(args.budgets, args.dims, args.functions,
                                               args.instances, args.ks):
            if not args.no_subsets and (solver.first_instance and i != args.instances[0]
                                        or solver.smallest_budget and b != args.budgets[0]
                                        or solver.extreme_ks and k not in _extremes(args.ks)):
                continue
            out.append(dict(solver=name, function=f, dim=d, instance=i, k=k, budget=b * d,
                            seed=args.seed))
    return out


def run_task(task: dict) -> dict:
    spec = Spec(task["function"], task["dim"], task["instance"], task["k"])
    problem = Problem(spec)
    rec = Recorder(problem, task["budget"])
    # The solver's name and the budget in the seed: adding a solver changes no other's runs.
    rng = np.random.default_rng([task["seed"], spec.function, spec.dim, spec.instance, spec.k,
                                 task["budget"], zlib.crc32(task["solver"].encode())])
    # CPU time beside the wall time: the machines are shared, and their load varies.
    t0, c0 = time.perf_counter(), time.process_time()
    starts = run_with_restarts(SOLVERS[task["solver"]].start, rec, rng)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    problem.free()
    return dict(task, m=spec.m, evals=rec.evals, starts=starts, seconds=seconds,
                cpu_seconds=cpu, best=rec.best, x=rec.best_x.tolist(), trace=rec.kept_trace())


def spec_of(run: dict) -> Spec:
    return Spec(run["function"], run["dim"], run["instance"], run["k"])


# -- the reference f* ----------------------------------------------------------------------------
ENUM_STARTS = 3  # L-BFGS-B starts per combination: the centre and two random points


def _local(problem: Problem, index, y0, method: str, **options) -> tuple[float, np.ndarray]:
    """A local search on the continuous part with the levels fixed; (f, point)."""
    from scipy.optimize import minimize
    r = minimize(lambda y: problem(problem.point(index, y)), y0, method=method,
                 bounds=[(LOW, HIGH)] * problem.n, options=options)
    return float(r.fun), problem.point(index, r.x)


def enumerate_levels(problem: Problem, limit: int) -> dict | None:
    """The best point over every combination of levels, each with L-BFGS-B from a few starts
    on the continuous part; None when there are more than ``limit`` combinations.

    L-BFGS-B with finite differences is cheap and precise on the smooth functions; on the
    rugged ones (f7's plateaus, f15, f16) it ends in a local optimum, so this is an upper
    bound on the combination's best, like the solvers' values. The starts are the same for
    every combination."""
    k, m = problem.k, problem.m
    if k ** m > limit:
        return None
    rng = np.random.default_rng([LEVEL_SEED, zlib.crc32(problem.spec.id.encode())])
    starts = [np.zeros(problem.n)] + [rng.uniform(LOW, HIGH, problem.n)
                                      for _ in range(ENUM_STARTS - 1)]
    best = (math.inf, None)
    for index in itertools.product(range(k), repeat=m):
        for y0 in starts:
            best = min(best, _local(problem, index, y0, "L-BFGS-B", maxfun=100 * problem.n),
                       key=lambda fx: fx[0])
    return dict(combinations=k ** m, f=best[0], x=best[1].tolist())


def polish(problem: Problem, x) -> tuple[float, np.ndarray]:
    """L-BFGS-B, then Nelder-Mead from its end, on the continuous part of x, its levels
    fixed: so that the solver that found the best point does not get the last targets for
    free, and f - f* <= 1e-8 means converged. (Nelder-Mead for the functions that are not
    smooth; tolerances far below the last target.)"""
    x = np.asarray(x, dtype=float)
    index = problem.index_of(x)
    best = (problem(x), x)
    f, z = _local(problem, index, x[problem.m:], "L-BFGS-B", maxfun=200 * problem.n,
                  ftol=1e-15, gtol=1e-12)
    best = min(best, (f, z), key=lambda fx: fx[0])
    f, z = _local(problem, index, best[1][problem.m:], "Nelder-Mead", maxfev=500 * problem.n,
                  xatol=1e-12, fatol=1e-13, adaptive=True)
    return min(best, (f, z), key=lambda fx: fx[0])


def random_median(problem: Problem, n: int = 1000) -> float:
    """The median value of uniformly random points (levels and box): the scale of a problem."""
    rng = np.random.default_rng([LEVEL_SEED + 1, zlib.crc32(problem.spec.id.encode())])
    return float(np.median([problem(problem.point(rng.integers(problem.k, size=problem.m),
                                                  rng.uniform(LOW, HIGH, problem.n)))
                            for _ in range(n)]))


def references(specs, runs, cache: dict, enum_limit: int, quiet: bool) -> dict:
    """f* of every problem and how it was found, reusing ``cache`` (the previous meta's).

    f* only goes down: the previous f* is a candidate, so rerunning a solver keeps a value
    found by its earlier runs (it is still a value the problem attains). The best candidate is
    polished unless it is the previous f*, which was polished when it was found.
    """
    from tqdm import tqdm
    best_of: dict[Spec, list] = {}
    for r in runs:
        best_of.setdefault(spec_of(r), []).append((r["best"], r["x"], r["solver"]))
    fopts: dict[tuple, float] = {}
    out = {}
    for spec in tqdm(specs, desc="f*", unit="problem", disable=quiet, mininterval=10):
        ref = dict(cache.get(spec.id, {}))
        problem = Problem(spec)
        fid = (spec.function, spec.dim, spec.instance)
        if "fopt" not in ref:
            if fid not in fopts:
                fopts[fid] = fopt_of(problem.coco)
            ref["fopt"] = fopts[fid]
        if "random_median" not in ref:
            ref["random_median"] = random_median(problem)
        if "enumeration" not in ref or (ref["enumeration"] is None
                                        and spec.k ** spec.m <= enum_limit):
            ref["enumeration"] = enumerate_levels(problem, enum_limit)
        # The previous f* first, so that a tie keeps it rather than polishing again.
        candidates = [(ref["fstar"], ref["x"], None)] if "fstar" in ref else []  # polished
        candidates += best_of.get(spec, [])
        if ref["enumeration"]:
            candidates.append((ref["enumeration"]["f"], ref["enumeration"]["x"], "enumeration"))
        f, x, source = min(candidates, key=lambda c: c[0])
        if source is not None:
            fp, xp = polish(problem, x)
            if fp < f:
                f, x, source = fp, xp.tolist(), f"polish of {source}"
            ref.update(fstar=f, x=list(x), source=source)
        problem.free()
        out[spec.id] = ref
    return out


# -- the measure ---------------------------------------------------------------------------------
def hits(run: dict, fstar: float) -> list[float]:
    """Evaluations at which f - f* <= t first held, per target (NaN if never)."""
    out = [math.nan] * len(TARGETS)
    for evals, f in run["trace"]:
        for j, t in enumerate(TARGETS):
            if math.isnan(out[j]) and f - fstar <= t:
                out[j] = evals
    return out


def fraction(runs, refs) -> float:
    """Fraction of (run, target) pairs reached; each run has its own budget."""
    if not runs:
        return math.nan
    reached = sum(not math.isnan(h) for r in runs for h in hits(r, refs[spec_of(r).id]["fstar"]))
    return reached / (len(runs) * len(TARGETS))


# -- CSV -----------------------------------------------------------------------------------------
HIT_COLUMNS = [f"hit_{j}" for j in range(len(TARGETS))]
FIELDS = ["solver", "dim", "function", "instance", "k", "m", "budget", "seed", "evals", "starts",
          "seconds", "cpu_seconds", "best", "fstar", "best_minus_fstar", *HIT_COLUMNS, "x", "trace"]


def write_runs(path: Path, runs, refs) -> None:
    """A row per run. ``x`` is the best point (its categorical coordinates hold level values);
    ``trace`` the improvements ``evaluations:value`` within 1e1 of the run's best; ``fstar``
    and the hits are derived from them and the reference, and are rewritten on every update."""
    with open(path, "w", newline="") as f:
        out = csv.DictWriter(f, FIELDS)
        out.writeheader()
        for r in sorted(runs, key=lambda r: (r["solver"], r["dim"], r["budget"], r["function"],
                                             r["instance"], r["k"])):
            fstar = refs[spec_of(r).id]["fstar"]
            row = {k: r[k] for k in FIELDS[:12]}
            row.update(seconds=f"{r['seconds']:.3f}", cpu_seconds=f"{r['cpu_seconds']:.3f}",
                       best=repr(r["best"]), fstar=repr(fstar),
                       best_minus_fstar=f"{r['best'] - fstar:.3e}",
                       x=" ".join(map(repr, r["x"])),
                       trace=" ".join(f"{e}:{v!r}" for e, v in r["trace"]))
            row.update({c: "" if math.isnan(h) else int(h)
                        for c, h in zip(HIT_COLUMNS, hits(r, fstar), strict=True)})
            out.writerow(row)


def read_runs(path: Path) -> list[dict]:
    runs = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            run = {k: int(row[k]) for k in ("dim", "function", "instance", "k", "m", "budget",
                                             "seed", "evals", "starts")}
            run.update(solver=row["solver"], seconds=float(row["seconds"]),
                       cpu_seconds=float(row["cpu_seconds"]),
                       best=float(row["best"]), x=[float(v) for v in row["x"].split()],
                       trace=[(int(e), float(v)) for e, v in
                              (item.split(":") for item in row["trace"].split())])
            runs.append(run)
    return runs


# -- the report ----------------------------------------------------------------------------------
def _solvers(runs) -> list[str]:
    present = {r["solver"] for r in runs}
    return [s for s in SOLVERS if s in present]


def shared_table(runs, refs, columns: dict[str, Callable], solvers) -> str:
    """Solvers × columns; a column selects runs (``columns[label](run)``), and its cells
    count only the problems every solver with runs in it has run, so they compare alike. The
    last row gives the number of problems behind each column."""
    cells = {s: [] for s in solvers}
    counts = []
    for select in columns.values():
        mine = {s: [r for r in runs if r["solver"] == s and select(r)] for s in solvers}
        present = [s for s in solvers if mine[s]]
        shared = set.intersection(*({(spec_of(r), r["budget"]) for r in mine[s]}
                                    for s in present)) if present else set()
        counts.append(str(len(shared)))
        for s in solvers:
            chosen = [r for r in mine[s] if (spec_of(r), r["budget"]) in shared]
            cells[s].append(fraction(chosen, refs) if chosen else math.nan)
    rows = [[s, *cells[s]] for s in solvers if not all(math.isnan(c) for c in cells[s])]
    return _table(["solver", *columns], rows + [["problems", *counts]])


def _with_runs(runs, columns, solvers) -> list[str]:
    """The solvers that have runs in any of the columns."""
    return [s for s in solvers if any(r["solver"] == s and select(r)
                                      for r in runs for select in columns.values())]


def own_table(runs, refs, columns: dict[str, Callable], solvers) -> str:
    """Solvers × columns over all of each solver's own runs; (n) is its number of runs."""
    rows = []
    for s in solvers:
        row = [s]
        for select in columns.values():
            mine = [r for r in runs if r["solver"] == s and select(r)]
            row.append(f"{fraction(mine, refs):.2f} ({len(mine)})" if mine else "–")
        rows.append(row)
    return _table(["solver", *columns], rows, bold_best=False)


def _by_dim_budget(runs) -> dict[str, Callable]:
    pairs = sorted({(r["dim"], r["budget"] // r["dim"]) for r in runs})
    return {f"d={d}, {b}·d": (lambda r, d=d, b=b: r["dim"] == d and r["budget"] == b * d)
            for d, b in pairs}


def time_table(runs) -> str:
    rows = []
    for s in _solvers(runs):
        mine = [r for r in runs if r["solver"] == s]
        seconds, evals = sum(r["seconds"] for r in mine), sum(r["evals"] for r in mine)
        cpu = sum(r["cpu_seconds"] for r in mine)
        rows.append([s, len(mine), evals, f"{seconds:.1f}", f"{cpu:.1f}",
                     f"{1e3 * cpu / evals:.3f}", f"{np.mean([r['starts'] for r in mine]):.1f}"])
    return _table(["solver", "runs", "evaluations", "wall s", "CPU s", "CPU ms per evaluation",
                   "starts per run"], rows, bold_best=False)


def reference_text(refs, specs, runs) -> str:
    """Where f* came from, how far the best run is from it, and how far f* is from bbob's
    f_opt and from random points."""
    sources: dict[str, int] = {}
    for spec in specs:
        src = refs[spec.id]["source"]
        sources[src] = sources.get(src, 0) + 1
    best_run: dict[str, dict] = {}
    levels_found: dict[str, set] = {}  # the levels of every run's best point
    for r in runs:
        spec = spec_of(r)
        if spec.id not in best_run or r["best"] < best_run[spec.id]["best"]:
            best_run[spec.id] = r
        levels_found.setdefault(spec.id, set()).add(tuple(r["x"][:spec.m]))
    # The best run against f*: how much the polish (or the enumeration) lowered it, and
    # whether the best run had f*'s levels at all.
    buckets = {"0": 0.0, "(0, 1e-8]": 1e-8, "(1e-8, 1e-2]": 1e-2, "(1e-2, 1e1]": 1e1,
               "> 1e1": math.inf}
    counts = {(b, same): 0 for b in buckets for same in (True, False)}
    missed_enumerated = 0
    for spec in specs:
        ref, run = refs[spec.id], best_run[spec.id]
        gap = run["best"] - ref["fstar"]
        same = tuple(run["x"][:spec.m]) == tuple(ref["x"][:spec.m])
        counts[next(b for b, t in buckets.items() if gap <= t), same] += 1
        missed_enumerated += (bool(ref["enumeration"])
                              and tuple(ref["x"][:spec.m]) not in levels_found[spec.id])
    enumerated = sum(bool(refs[s.id]["enumeration"]) for s in specs)
    lines = [f"- f* of the {len(specs)} problems came from: " + ", ".join(
                 f"{src} {n}" for src, n in sorted(sources.items(), key=lambda kv: -kv[1]))
             + " (\"polish of X\": X's best point, polished).",
             f"- {enumerated} problems were enumerated (k^m ≤ the limit); on "
             f"{missed_enumerated} of them no run ended with f*'s levels (the best "
             "combination known).",
             "", "The best run of each problem (any solver, any budget) against f*:", "",
             _table(["best run − f*", "with f*'s levels", "other levels"],
                    [[b, counts[b, True], counts[b, False]] for b in buckets], bold_best=False)]
    functions = sorted({s.function for s in specs})
    rows = []
    for f in functions:
        mine = [s for s in specs if s.function == f]
        gap = [refs[s.id]["fstar"] - refs[s.id]["fopt"] for s in mine]
        scale = [refs[s.id]["random_median"] - refs[s.id]["fstar"] for s in mine]
        rows.append([f"f{f}", f"{np.median(gap):.3g}", f"{np.max(gap):.3g}",
                     f"{np.median(scale):.3g}"])
    lines += ["", "Per function, over its instances, dimensions and k: f* − f_opt (what the "
              "categorical levels cost against bbob's optimum) and the median of random points "
              "above f* (the scale of f − f*):", "",
              _table(["function", "median f* − f_opt", "max f* − f_opt",
                      "median (random median − f*)"], rows, bold_best=False)]
    return "\n".join(lines)


def _run_time(meta: dict) -> str:
    """The first run's wall time, then each ``--update``'s."""
    def duration(seconds):
        return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
    text = duration(meta["wall_seconds"])
    for u in meta.get("updates", []):
        text += f", then {duration(u['wall_seconds'])} for {', '.join(u['solvers'])}"
    return text


def markdown(runs, meta: dict) -> str:
    refs, st = meta["reference"], meta["settings"]
    specs = sorted({spec_of(r) for r in runs})
    solvers = _solvers(runs)
    budgets = sorted({r["budget"] // r["dim"] for r in runs})
    dims = sorted({r["dim"] for r in runs})
    ks = sorted({r["k"] for r in runs})
    full_grid = [s for s in solvers if meta["solvers"][s]["subset"] == "none"]
    parts = [
        "# Categorical variables on bbob: ceopt against optuna, nevergrad, DE and pycma", "",
        f"Written by `python benchmarks/{Path(__file__).name}` (settings and why: "
        "benchmarks/README.md).", "",
        "## The problems", "",
        f"- bbob functions {ranges(st['functions'])}, dimensions {ranges(st['dims'])}, "
        f"instances {ranges(st['instances'])} (cocoex's, never re-implemented); k = "
        f"{', '.join(map(str, st['ks']))} levels; budgets "
        f"{', '.join(f'{b}·d' for b in st['budgets'])}, a separate run each; seed {st['seed']}, "
        "one run per solver, problem and budget.",
        "- The first m = d // 2 coordinates are categorical: coordinate j takes one of k values, "
        "an evenly spaced grid of [-4, 4] shuffled by a permutation fixed per problem and "
        "coordinate, so that a level's index carries no order. The other coordinates are "
        "continuous in [-5, 5]. A problem is (function, d, instance, k).",
        "- The reference f* of a problem is the best value known: over all the runs, an "
        f"enumeration of every combination of levels when there are at most {st['enum_limit']} "
        f"(L-BFGS-B from {ENUM_STARTS} starts on the continuous part of each), and a polish "
        "(L-BFGS-B then Nelder–Mead on the continuous part) of the best of these points.",
        "- Each number: the fraction of (problem, target) pairs reached, over COCO's ten "
        "targets f − f* ≤ 1e1, 1e0, …, 1e-8 (absolute, as bbob.md's, so both read alike); the "
        "best of each column in bold.",
        f"- {len(runs)} runs in {_run_time(meta)}; {meta['versions']}; {meta['machine']}.", "",
        "## The solvers", "",
        _table(["solver", "settings", "problems"], [
            [s, meta["solvers"][s]["description"],
             "all" if meta["solvers"][s]["subset"] == "none" else meta["solvers"][s]["subset"]]
            for s in solvers], bold_best=False, text=True), "",
        "A solver that stops before its budget is restarted; the recorder ends every run "
        "when the budget is spent.", "",
        "## All solvers, on the problems they share", "",
        "Each column counts only the problems that every solver with runs in it has run (the "
        "subset of the slow solvers), so a column compares like with like.", "",
        shared_table(runs, refs, _by_dim_budget(runs), solvers), "",
    ]
    partial = full_grid and full_grid != solvers  # then the whole grid gets tables of its own

    def tables(columns) -> list[str]:
        """All solvers on what they share; then, if that left some problems out, the solvers
        that ran the whole grid on all of it."""
        out = [shared_table(runs, refs, columns, solvers), ""]
        if partial and _with_runs(runs, columns, solvers) != full_grid:
            out += ["On the whole grid, the solvers that ran all of it:", "",
                    shared_table(runs, refs, columns, full_grid), ""]
        return out

    if partial:
        parts += ["## The whole grid", "",
                  "The solvers that ran every problem:", "",
                  shared_table(runs, refs, _by_dim_budget(runs), full_grid), "",
                  "Every solver over all its own runs, (number of runs):", "",
                  own_table(runs, refs, _by_dim_budget(runs), solvers), ""]
    for b in budgets:
        columns = {f"d={d}, k={k}": (lambda r, d=d, k=k, b=b: r["dim"] == d and r["k"] == k
                                     and r["budget"] == b * d) for d in dims for k in ks}
        parts += [f"## Per k, at {b}·d", "", *tables(columns)]
    functions = sorted({r["function"] for r in runs})
    for b in budgets:
        columns = {f"f{f}": (lambda r, f=f, b=b: r["function"] == f and r["budget"] == b * r["dim"])
                   for f in functions}
        parts += [f"<details><summary>Per function at {b}·d, both dimensions and all k</summary>",
                  "", *tables(columns), "</details>", ""]
    parts += ["## The reference f*", "", reference_text(refs, specs, runs), "",
              "## Wall time", "",
              "Over all of each solver's runs, one process, BLAS on one thread, on a machine "
              "shared with other work (so the CPU time is the steadier measure):", "",
              time_table(runs), ""]
    return "\n".join(parts)


# -- main ----------------------------------------------------------------------------------------
def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python benchmarks/categorical.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: f1, f15; d = 3; instance 1; k = 3, 5; "
                         "budgets 10·d and 50·d")
    ap.add_argument("--functions", type=int_list, help="bbob functions (default: 11 of them)")
    ap.add_argument("--dims", type=int_list, nargs="+", help="dimensions (default 5 10)")
    ap.add_argument("--instances", type=int_list, help="instances (default 1-5)")
    ap.add_argument("--ks", type=int_list, nargs="+", help="levels (default 3 5 10 20)")
    ap.add_argument("--budgets", type=int_list, nargs="+",
                    help="evaluations per dimension, a run each (default 100 1000)")
    ap.add_argument("--solvers", nargs="+", choices=list(SOLVERS),
                    help="default: all that can run here")
    ap.add_argument("--no-subsets", action="store_true",
                    help="run the slow solvers (optuna-tpe, nevergrad) on every problem too")
    ap.add_argument("--enum-limit", type=int,
                    help="enumerate the levels of problems with at most this many "
                         "combinations (default 100: d = 5 with k up to 10; an enumeration "
                         "costs 15-80 ms per combination)")
    ap.add_argument("--update", action="store_true",
                    help="run only --solvers and replace their runs in the CSV already in "
                         "--out (same problems, budgets and seed), keeping the others'")
    ap.add_argument("--report", action="store_true",
                    help="write the tables again from the CSV and meta in --out, run nothing")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, help="output folder")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    args = ap.parse_args(argv)
    base = QUICK if args.quick else DEFAULT
    args.functions = args.functions or base["functions"]
    for name in ("dims", "ks", "budgets"):
        values = getattr(args, name)
        setattr(args, name, sorted({v for group in values for v in group}) if values
                else base[name])
    args.instances = args.instances or base["instances"]
    args.enum_limit = base["enum_limit"] if args.enum_limit is None else args.enum_limit
    args.out = args.out or (RESULTS / "quick" if args.quick else RESULTS)
    if args.update and not args.solvers:
        ap.error("--update needs --solvers: the ones to run again or add")
    if not set(args.functions) <= set(range(1, 25)):
        ap.error("bbob functions are 1-24")
    if not set(args.dims) <= set(BBOB_DIMS):
        ap.error(f"bbob's dimensions are {BBOB_DIMS}")
    if min(args.ks) < 2 or min(args.budgets) < 1:
        ap.error("k at least 2, budgets positive")
    return args


def settings_of(args) -> dict:
    return dict(seed=args.seed, functions=args.functions, dims=args.dims,
                instances=args.instances, ks=args.ks, budgets=args.budgets,
                enum_limit=args.enum_limit, m="d // 2", levels="linspace(-4, 4, k), shuffled")


def _versions() -> str:
    out = []
    for p in ("ceopt", "numpy", "scipy", "cma", "optuna", "nevergrad", "coco-experiment"):
        try:
            out.append(f"{p} {version(p)}")
        except PackageNotFoundError:
            pass
    return ", ".join(out)


def _subset(name: str, args) -> str:
    s = SOLVERS[name]
    if args.no_subsets or not s.subset:
        return "none"
    parts = [f"instance {args.instances[0]} only"] if s.first_instance else []
    parts += [f"budget {args.budgets[0]}·d only"] if s.smallest_budget else []
    parts += ["k = {} and {} only".format(*_extremes(args.ks))] if s.extreme_ks else []
    return ", ".join(parts) + f": {SUBSET_WHY[name]}"


def write(args, runs, meta) -> Path:
    specs = sorted({spec_of(r) for r in runs})
    meta["reference"] = references(specs, runs, meta.get("reference", {}), args.enum_limit,
                                   args.quiet)
    (args.out / f"{PREFIX}-meta.json").write_text(
        json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    write_runs(args.out / f"{PREFIX}-runs.csv", runs, meta["reference"])
    path = args.out / f"{PREFIX}.md"
    path.write_text(markdown(runs, meta))
    return path


def main(argv=None) -> Path:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    csv_path, meta_path = args.out / f"{PREFIX}-runs.csv", args.out / f"{PREFIX}-meta.json"
    old_runs, meta = [], {}
    if args.update or args.report:
        if not (csv_path.exists() and meta_path.exists()):
            raise SystemExit(f"no {csv_path.name} and {meta_path.name} in {args.out}")
        meta, old_runs = json.loads(meta_path.read_text()), read_runs(csv_path)
        differ = {k: (meta["settings"].get(k), v) for k, v in settings_of(args).items()
                  if meta["settings"].get(k) != v}
        if differ and args.update:
            raise SystemExit(f"--update: the runs in {args.out} have other settings: {differ}")
    if args.report:
        args.enum_limit = meta["settings"]["enum_limit"]
        path = write(args, old_runs, meta)
        print(f"tables in {path}")
        return path

    named, runnable = args.solvers, []
    for name in named or list(SOLVERS):
        why = unavailable(name)
        if why is None:
            runnable.append(name)
        elif named:  # asked for by name: an error, not a silent skip
            raise SystemExit(f"{name} cannot run here: {why}")
        else:
            print(f"{name}: cannot run here ({why}); skipped. Add its runs later with "
                  f"--update --solvers {name}", file=sys.stderr)
    args.solvers = runnable

    from tqdm import tqdm
    todo = tasks(args)
    t0 = time.perf_counter()
    runs = [run_task(t) for t in tqdm(todo, unit="run", disable=args.quiet, mininterval=10)]
    wall = time.perf_counter() - t0

    now = dict(solvers=args.solvers, wall_seconds=round(wall, 1), date=time.strftime("%Y-%m-%d"))
    solver_meta = {s: dict(description=SOLVERS[s].description, subset=_subset(s, args))
                   for s in args.solvers}
    if args.update:  # the other solvers' runs are kept as they were
        runs = [r for r in old_runs if r["solver"] not in args.solvers] + runs
        meta["solvers"] = {**meta["solvers"], **solver_meta}
        meta["updates"] = [*meta.get("updates", []), now]
    else:
        meta = dict(settings=settings_of(args), solvers=solver_meta, wall_seconds=now[
            "wall_seconds"], date=now["date"], machine=f"{platform.machine()}, "
                    f"{os.cpu_count()} cores (one used), Python {platform.python_version()}")
    meta["versions"] = _versions()
    path = write(args, runs, meta)
    print(f"{len(todo)} runs in {wall:.0f} s; tables in {path}")
    return path


if __name__ == "__main__":
    main()

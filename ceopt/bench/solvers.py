"""The solvers of the BBOB benchmark, and the recorder that measures them.

Every solver minimises a :class:`Recorder`, which wraps one cocoex problem, counts
evaluations, and notes the evaluation at which each target ``f - f_opt <= t`` was first reached.
The recorder ends a run by raising :class:`Stop` when the budget is spent or the last target is
reached, so no solver needs to respect a budget on its own, and none can overspend it.

A solver that ends by its own criteria before the budget is spent is restarted from a new
random point (``run_with_restarts``); only DIRECT, which is deterministic, runs once.
See benchmarks/README.md for the settings and why they were chosen. cma and cocoex (the
``bench`` extra) are imported only inside the functions that need them.
"""

from __future__ import annotations

import functools
import glob
import itertools
import os
import re
import tempfile
import time
import warnings
import zlib
from collections.abc import Callable

import numpy as np

#: Targets on f - f_opt, as COCO uses them: 1e1, 1e0, ..., 1e-8.
TARGETS = tuple(10.0 ** -k for k in range(-1, 9))
LOW, HIGH = -5.0, 5.0  # the starting region [-5, 5]^d, also the bounds of bounded solvers
#: The budget option given to solvers that have one: the recorder, not the solver, ends a run.
UNLIMITED = 10**9


class Stop(Exception):
    """Raised by the recorder to end a run: the budget is spent or the last target reached."""


class Recorder:
    """The objective seen by a solver: ``f(x)`` for one point, ``batch(X)`` for rows of X.

    ``hits[k]`` is the number of evaluations after which ``f - f_opt <= TARGETS[k]`` first
    held (NaN while not reached); ``best`` is the smallest ``f - f_opt`` seen.
    """

    def __init__(self, problem, fopt: float, budget: int):
        self.problem, self.fopt, self.budget = problem, fopt, budget
        self.evals = 0
        self.best = np.inf
        self.hits = [np.nan] * len(TARGETS)
        self._next = 0  # index of the first target not reached yet

    def __call__(self, x) -> float:
        if self.evals >= self.budget:
            raise Stop("budget")
        f = self.problem(x)
        self.evals += 1
        delta = f - self.fopt
        if delta < self.best:
            self.best = delta
            while self._next < len(TARGETS) and delta <= TARGETS[self._next]:
                self.hits[self._next] = self.evals
                self._next += 1
            if self._next == len(TARGETS):
                raise Stop("final target")
        return f

    def batch(self, X) -> np.ndarray:
        """Values of the rows of X; a budget that ends inside X ends the run there."""
        return np.array([self(x) for x in np.asarray(X, dtype=float)])

    @property
    def remaining(self) -> int:
        return self.budget - self.evals


def run_with_restarts(start: Callable[[Recorder, np.random.Generator, int], None],
                      rec: Recorder, rng: np.random.Generator) -> int:
    """Call ``start(rec, rng, k)`` for k = 0, 1, ... until the recorder stops the run.

    Returns the number of starts. A start that evaluates nothing would loop for ever, so it
    ends the run instead (none of our solvers does that, but a wrong setting could).
    """
    k = 0
    while True:
        before = rec.evals
        try:
            start(rec, rng, k)
        except Stop:
            return k + 1
        k += 1
        if rec.evals == before:
            return k


def _box(d: int) -> list[tuple[float, float]]:
    return [(LOW, HIGH)] * d


def _x0(rng: np.random.Generator, d: int, k: int) -> np.ndarray:
    """Start k: the centre of the box (cocoex's initial solution), then random points in it."""
    return np.zeros(d) if k == 0 else rng.uniform(LOW, HIGH, d)


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


# -- the solvers: one start each; run_with_restarts repeats them ------------------------------
def ceopt_start(family: str | None, popsize: int | Callable[[int], int] | None = None,
                told: bool = False, **options):
    """A ceopt start with its default spread (0.3 of the box) about the start point, unless
    ``options`` set ``sigma0``; ``options`` go to ``ceopt.minimize``, and ``popsize`` (a
    number, or ``popsize(d)`` by the dimension), if given, sets the population.

    ``max_evals`` is unlimited, as every solver's own budget is: the recorder ends the run.
    With a budget ceopt restarts (IPOP) until it is spent, so it is started once. ``told``:
    ``max_evals`` is the budget instead, as a user with a small budget would pass it (the
    defaults that depend on it then apply: :mod:`ceopt.local_start`), and the run is not
    started again.
    """
    import ceopt

    def start(rec, rng, k):
        # ceopt's default spread for a box (0.3 of its width) about the start point.
        d = rec.problem.dimension
        sized = ({} if popsize is None else
                 {"popsize": popsize(d) if callable(popsize) else popsize})
        ceopt.minimize(rec.batch, x0=_x0(rng, d, k), bounds=_box(d),
                       dist=family, vectorized=True,
                       max_evals=rec.remaining if told else UNLIMITED, seed=rng,
                       **sized, **options)
        if told:  # it restarted within its budget; what is left holds no population
            raise Stop("ceopt told its budget runs once")
    return start


def twice_d_plus_1(d: int) -> int:
    """Method "adaptive"'s population for a full covariance before it learned from the mean's
    paths from d = 10 on: the fewest elites that fit one alone, twice."""
    return 2 * (d + 1)


def de_start(rec, rng, k):
    from scipy.optimize import differential_evolution
    # tol=0 and a tiny atol: the default tol=0.01 is relative to |mean f|, and f_opt is an
    # offset of up to 1000, so the default would stop long before the precision targets.
    differential_evolution(rec, _box(rec.problem.dimension), polish=False, maxiter=UNLIMITED,
                           tol=0, atol=1e-12, seed=rng)


def dual_annealing_start(rec, rng, k):
    from scipy.optimize import dual_annealing
    dual_annealing(rec, _box(rec.problem.dimension), maxfun=UNLIMITED, seed=rng)


def direct_start(rec, rng, k):
    from scipy.optimize import direct
    # DIRECT is deterministic: a restart would repeat the same points, so it runs once (and
    # may leave budget unspent). Its default tolerances end it long before the budget
    # (vol_tol=1e-16 is a box 1/40 wide at d=10), so they are set to a side of 1e-10; zero
    # tolerances can make it loop without evaluating, hence maxiter. scipy rejects a huge
    # maxfun (SystemError), so it gets the budget.
    d = rec.problem.dimension
    direct(rec, _box(d), maxfun=rec.remaining, maxiter=rec.remaining, vol_tol=1e-10**d,
           len_tol=1e-10)
    raise Stop("DIRECT runs once")


def nelder_mead_start(rec, rng, k):
    from scipy.optimize import minimize
    d = rec.problem.dimension
    # Tolerances far below the default 1e-4, so that a restart happens when the simplex has
    # converged, not when f is within 1e-4 of a target still to reach; adaptive parameters
    # (Gao and Han) because the standard ones stall beyond a few dimensions. The default
    # simplex steps 5% of each coordinate (0.00025 where it is 0, as at the first start): a
    # simplex with edges of 2, like pycma's sigma0, searches as widely as the others.
    x0 = _x0(rng, d, k)
    minimize(rec, x0, method="Nelder-Mead",
             options=dict(maxfev=UNLIMITED, xatol=1e-10, fatol=1e-10, adaptive=True,
                          initial_simplex=np.vstack([x0, x0 + 2 * np.eye(d)])))


def powell_start(rec, rng, k):
    from scipy.optimize import minimize
    # ftol is relative to |f|, which includes the offset f_opt: 1e-14 of it is ~1e-12.
    minimize(rec, _x0(rng, rec.problem.dimension, k), method="Powell",
             options=dict(maxfev=UNLIMITED, xtol=1e-10, ftol=1e-14))


def cma_start(sigma0: float = 2.0, **options):
    """An IPOP-CMA-ES start: restarts with the population doubled each time, from a new random
    x0; step size 2 by default (the optimum lies in [-4, 4]^d). ``options`` go to pycma
    (benchmarks/small_budget.py sets ``popsize``)."""
    def start(rec, rng, k):
        import cma
        d = rec.problem.dimension
        # pycma seeds numpy's global RNG with `seed`.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            starts = itertools.count()  # pycma calls x0 once per start
            cma.fmin2(rec, lambda: _x0(rng, d, next(starts)), sigma0, restarts=UNLIMITED,
                      incpopsize=2,
                      options={"seed": _seed(rng), "verbose": -9, "verb_log": 0, "verb_disp": 0,
                               "maxfevals": UNLIMITED, **options})
    return start


#: name -> (one start, description for the report)
SOLVERS: dict[str, tuple[Callable, str]] = {
    "ceopt": (ceopt_start(None), "ceopt.minimize, defaults (full Gaussian up to d=100, "
                                 "method='adaptive', IPOP restarts within the budget)"),
    "ceopt-diag": (ceopt_start("diag"), "ceopt.minimize, defaults but a diagonal Gaussian"),
    "ceopt-local-start": (ceopt_start(None, local_start=True),
                          "ceopt.minimize, defaults but a local method first "
                          "(local_start=True: Nelder-Mead below d = 4, L-BFGS-B from 4)"),
    "ceopt-bipop": (ceopt_start(None, restarts="bipop"),
                    "ceopt.minimize, defaults but BIPOP restarts (restarts='bipop')"),
    "ceopt-textbook-full": (ceopt_start("full", method="textbook"),
                            "ceopt.minimize, full Gaussian, method='textbook' (no restarts "
                            "of its own)"),
    "ceopt-textbook-diag": (ceopt_start("diag", method="textbook"),
                            "ceopt.minimize, diagonal Gaussian, method='textbook'"),
    "cma-ipop": (cma_start(), "pycma fmin2, IPOP restarts (population x2), sigma0=2"),
    "de": (de_start, "scipy differential_evolution, polish off, tol 0"),
    "dual-annealing": (dual_annealing_start, "scipy dual_annealing, defaults"),
    "direct": (direct_start, "scipy direct, locally biased, tolerances 1e-10, no restarts"),
    "nelder-mead": (nelder_mead_start, "scipy Nelder-Mead, adaptive, simplex edges 2, "
                                       "tolerances 1e-10"),
    "powell": (powell_start, "scipy Powell, xtol 1e-10, ftol 1e-14"),
}


#: ceopt's variants for the ablation of method "adaptive" (issue 7), run by ``--ablation``.
#: The pieces added after the IPOP restarts (issue 7, second and third rounds), off: the earlier
#: variants are pinned to the update they were measured with, and all of them to the update
#: before the mean's paths became the default from d = 10 on (issue 23, ``PATH_VARIANTS``).
_BEFORE_PATHS = dict(popsize=twice_d_plus_1, scale_control="success", rank_one=False)
_BEFORE_KEEP_AND_FLAT = dict(keep_best=False, tol_fun=0, separable=False, **_BEFORE_PATHS)

VARIANTS: dict[str, tuple[Callable, str]] = {
    "ceopt-ce": (ceopt_start("full", method="ce"),
                 "full Gaussian, method='ce' (covariance about the previous mean)"),
    "ceopt-ce-rank": (ceopt_start("full", restarts=0,
                                  **{**_BEFORE_KEEP_AND_FLAT, "scale_control": False}),
                      "rank weights, without the scale control and restarts"),
    "ceopt-no-restarts": (ceopt_start("full", restarts=0, **_BEFORE_KEEP_AND_FLAT),
                          "rank weights and the scale control, without its own restarts "
                          "(the harness restarts it at the same population)"),
    "ceopt-ipop": (ceopt_start("full", **_BEFORE_KEEP_AND_FLAT),
                   "+ IPOP restarts (the default of the first round of issue 7)"),
    "ceopt-ipop-flat": (ceopt_start("full", keep_best=False, separable=False,
                                    **_BEFORE_PATHS),
                        "+ the flat-values stop (tol_fun)"),
    "ceopt-no-sweep": (ceopt_start("full", separable=False, **_BEFORE_PATHS),
                       "the default without the separability test and coordinate sweeps "
                       "(the default of the second round of issue 7)"),
    "ceopt-no-keep": (ceopt_start("full", keep_best=False, **_BEFORE_PATHS),
                      "the default without keeping the best sample"),
    "ceopt-no-flat": (ceopt_start("full", tol_fun=0, **_BEFORE_PATHS),
                      "the default without the flat-values stop (tol_fun)"),
    "ceopt-no-scale": (ceopt_start("full", **{**_BEFORE_PATHS, "scale_control": False}),
                       "the default without the scale control"),
    "ceopt-equal-weights": (ceopt_start("full", weights="equal", **_BEFORE_PATHS),
                            "the default with equal elite weights"),
}

#: Issue 23: what each piece of learning from the mean's paths (the default from d = 10 on)
#: buys, one piece taken back at a time. Run by name (``--solvers``), at d >= 10, where they
#: differ from the default.
PATH_VARIANTS: dict[str, tuple[Callable, str]] = {
    "ceopt-before-paths": (ceopt_start("full", **_BEFORE_PATHS),
                           "the default before: 2(d+1) samples, the success rule, no rank-one "
                           "term"),
    "ceopt-paths-2d-pop": (ceopt_start("full", popsize=twice_d_plus_1),
                           "the default with 2(d+1) samples instead of 4 + 3 ln d"),
    "ceopt-paths-success": (ceopt_start("full", scale_control="success"),
                            "the default with the success rule instead of the path control"),
    "ceopt-paths-no-rank-one": (ceopt_start("full", rank_one=False),
                                "the default without the rank-one term"),
    "ceopt-active": (ceopt_start("full", active=True),
                     "the default with active covariance (the worse half of the samples "
                     "weighted negatively; the default itself from d = 40)"),
}

#: The ablation table: a chain from textbook CE to the default, one change per row (the first
#: four rows restart only through the harness, at the same population), then the default with
#: one piece taken away. (solver, what it changes)
ABLATION_CHAIN = [
    ("ceopt-textbook-full", "textbook CE: elite MLE about the elites' own mean, 10 % elites "
                            "of ≥ 50, smoothing 0.7"),
    ("ceopt-ce", "+ covariance about the previous mean, covariance smoothing 0.3 "
                 "(method 'ce', the update of the default before issue 7)"),
    ("ceopt-ce-rank", "+ rank weights on the better half of 2(d+1) samples, no mean "
                      "smoothing, covariance rate 4 mu_eff/(d+2)^2"),
    ("ceopt-no-restarts", "+ the scale control"),
    ("ceopt-ipop", "+ IPOP restarts within the budget"),
    ("ceopt-ipop-flat", "+ a local search ends when its values are flat (tol_fun 1e-11)"),
    ("ceopt-no-sweep", "+ the previous population's best sample kept for the mean"),
    ("ceopt", "+ a separability test, and coordinate sweeps on a separable objective; from "
              "d = 10, learning from the mean's paths (results/bbob-paths/): the default"),
]
ABLATION_LEAVE_OUT = [
    ("ceopt-no-sweep", "default − the separability test and coordinate sweeps"),
    ("ceopt-no-keep", "default − keeping the best sample"),
    ("ceopt-no-flat", "default − the flat-values stop"),
    ("ceopt-no-scale", "default − scale control"),
    ("ceopt-equal-weights", "default − rank weights (equal weights)"),
    ("ceopt-diag", "default − full covariance (diagonal)"),
]

#: Issue 23: ceopt told the budget (``max_evals``), as a user with a small one would run it
#: (up to 300·d its default starts with a local method: results/bbob-local-start/), and the
#: default without the local start it takes from d = 40.
BUDGET_VARIANTS: dict[str, tuple[Callable, str]] = {
    "ceopt-told": (ceopt_start(None, told=True),
                   "ceopt.minimize, defaults, told the budget (max_evals)"),
    "ceopt-told-no-local": (ceopt_start(None, told=True, local_start=False),
                            "ceopt.minimize told the budget, without the local start"),
    "ceopt-no-local-start": (ceopt_start(None, local_start=False),
                             "ceopt.minimize, defaults but never a local start (the default "
                             "before it, from d = 40)"),
}

ALL = {**SOLVERS, **VARIANTS, **PATH_VARIANTS, **BUDGET_VARIANTS}

# -- problems ----------------------------------------------------------------------------------
#: The suites the harness runs, and the dimensions cocoex has for each: bbob refuses others
#: below 40 and drops those above without a word; bbob-largescale (the same 24 functions,
#: with block-diagonal rotations that keep them cheap in large dimensions) starts at 20.
SUITES = {"bbob": (2, 3, 5, 10, 20, 40), "bbob-largescale": (20, 40, 80, 160, 320, 640)}


def suite(functions, dims, instances, name: str = "bbob"):
    """The problems of these function, dimension and instance ids of the suite ``name``.

    Instances go in the suite's instance argument: its ``instance_indices`` option would
    count positions in the current year's instance list (1-5, 71-80 in cocoex 2.8), not ids.
    """
    import cocoex

    def ids(values):
        return ",".join(map(str, values))
    return cocoex.Suite(name, f"instances:{ids(instances)}",
                        f"dimensions:{ids(dims)} function_indices:{ids(functions)}")


def fopt_of(problem, name: str = "bbob") -> float:
    """f_opt of a problem of the suite ``name``, read from the header COCO's own logger
    writes.

    cocoex does not expose f_opt, but its ``bbob`` observer writes it into every data file
    (``... best noise-free fitness - Fopt (-4.620900000000e+02) ...``), of both suites. Their
    f_opt values are multiples of 0.01, so rounding to two decimals removes the print's
    rounding.
    """
    return logged_fopt(problem, functools.partial(suite, name=name), "bbob", decimals=2)


def logged_fopt(problem, make_suite: Callable, logger: str, decimals: int) -> float:
    """The Fopt that cocoex's ``logger`` writes into the header of its data file for
    ``problem`` (of the suite ``make_suite(functions, dims, instances)`` makes), rounded to
    ``decimals``. One evaluation is logged, on an observed copy of the problem in a temporary
    folder, never on the solver's."""
    import cocoex
    cocoex.log_level("warning")  # not a line per problem about where the data goes
    with tempfile.TemporaryDirectory() as tmp:
        observed = make_suite([problem.id_function], [problem.dimension],
                              [problem.id_instance])
        p = observed.get_problem_by_function_dimension_instance(
            problem.id_function, problem.dimension, problem.id_instance)
        cwd = os.getcwd()
        os.chdir(tmp)  # the observer writes below the working directory
        try:
            observer = cocoex.Observer(logger, "result_folder: fopt")
            p.observe_with(observer)
            p(p.initial_solution)
            p.free()
            folder = observer.result_folder
            del observer
            (data,) = glob.glob(os.path.join(folder, "**", "*.dat"), recursive=True)
            with open(data) as f:
                header = f.readline()
        finally:
            os.chdir(cwd)
    match = re.search(r"Fopt \(([^)]+)\)", header)
    if match is None:
        raise RuntimeError(f"no Fopt in cocoex's data header: {header!r}")
    return round(float(match.group(1)), decimals)


def run_task(task: dict) -> dict:
    """One run: ``task`` names solver, function, dim, instance, budget, seed and f_opt."""
    problem = suite([task["function"]], [task["dim"]], [task["instance"]],
                    name=task.get("suite", "bbob"))[0]
    rec = Recorder(problem, task["fopt"], task["budget"])
    # The solver's name in the seed, as a checksum: adding a solver changes no other's runs.
    rng = np.random.default_rng([task["seed"], task["function"], task["dim"], task["instance"],
                                 zlib.crc32(task["solver"].encode())])
    start, _ = ALL[task["solver"]]
    t0 = time.perf_counter()
    starts = run_with_restarts(start, rec, rng)
    seconds = time.perf_counter() - t0
    problem.free()
    return dict(task, evals=rec.evals, starts=starts, best=rec.best, seconds=seconds,
                hits=rec.hits)

"""The solvers of the mixed-integer benchmark (COCO's ``bbob-mixint``), and its problems.

The harness is bbob's (``bbob_solvers``): every solver minimises a :class:`Recorder`, which
counts evaluations, notes when each target is reached and ends the run by raising ``Stop``; a
solver that ends by its own criteria before the budget is spent is started again
(``run_with_restarts``). What is new here: the suite and its f_opt, a recorder that also counts
evaluated points whose integer coordinates are not integers, and the solvers that know integer
variables. Settings and why: benchmarks/README.md.

A ``bbob-mixint`` problem of dimension d has d - d/5 integer variables first (a fifth each with
2, 4, 8 and 16 values: [0, 1], [0, 3], [0, 7], [0, 15]) and d/5 real ones in [-5, 5] last.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import time
import warnings
import zlib
from collections.abc import Callable

import numpy as np
from bbob_solvers import UNLIMITED, Recorder, logged_fopt, run_with_restarts

SUITE = "bbob-mixint"


# -- problems ----------------------------------------------------------------------------------
def suite(functions, dims, instances):
    """The bbob-mixint problems of these function, dimension and instance ids.

    As in ``bbob_solvers.suite``, the instances go in the suite's instance argument, which takes
    ids (bbob-mixint's default list is 1-15 in cocoex 2.8, but ids say what they mean).
    """
    import cocoex

    def ids(values):
        return ",".join(map(str, values))
    return cocoex.Suite(SUITE, f"instances:{ids(instances)}",
                        f"dimensions:{ids(dims)} function_indices:{ids(functions)}")


def integer_mask(problem) -> np.ndarray:
    """True for the integer coordinates: cocoex puts them first."""
    mask = np.zeros(problem.dimension, dtype=bool)
    mask[:problem.number_of_integer_variables] = True
    return mask


def box(problem) -> list[tuple[float, float]]:
    """The problem's bounds as (low, high) pairs; integer coordinates have integer bounds."""
    return list(zip(problem.lower_bounds.tolist(), problem.upper_bounds.tolist(), strict=True))


def start_point(problem, rng: np.random.Generator, k: int) -> np.ndarray:
    """Start k of a solver that takes one: cocoex's initial solution first (integers near the
    box's centre, 0 for the reals), then uniformly random points with integer coordinates."""
    if k == 0:
        return np.array(problem.initial_solution, dtype=float)
    mask = integer_mask(problem)
    lo, hi = problem.lower_bounds, problem.upper_bounds
    x = rng.uniform(lo, hi)
    x[mask] = rng.integers(lo[mask].astype(int), hi[mask].astype(int), endpoint=True)
    return x


def _widths(problem) -> np.ndarray:
    """Each coordinate's width as a Gaussian sees it: an integer in [l, u] takes u - l + 1
    cells of width one (rounding maps [k - 1/2, k + 1/2) to k), a real one u - l."""
    return problem.upper_bounds - problem.lower_bounds + integer_mask(problem)


def fopt_of(problem) -> float:
    """f_opt of a bbob-mixint problem, from the header cocoex's own logger writes.

    ``bbob_solvers.fopt_of`` cannot be used: it reads the f_opt of the plain ``bbob`` problem,
    and bbob-mixint scales each function's values, f_opt included, by a factor between 1e-4
    (f12) and 10 (f17, f19, f23) (``suite_bbob_mixint_scaling_factors`` in COCO's
    ``suite_bbob_mixint.c``): f3's f_opt is -46.209 where bbob's is -462.09. The scaled f_opt
    is a multiple of 1e-6 (bbob's are multiples of 0.01), so rounding the 13 printed digits
    to six decimals gives it exactly; two decimals, as for bbob, would be off by up to 0.005
    and no run could reach the targets below it. ``check_fopt`` compares it with f(x_opt).

    As in bbob, the ``bbob-mixint`` logger observes a fresh copy of the problem in a temporary
    folder and evaluates it once: never the solver's problem.
    """
    return logged_fopt(problem, suite, SUITE, decimals=6)


def check_fopt(problems, fopt: dict) -> float:
    """The largest |f(x_opt) - f_opt| over ``problems``, x_opt from cocoex's unofficial
    ``_best_parameter("print")`` (a file in the working directory, so in a temporary one).

    It checks two things at once: the f_opt read from the header, and that the optimum lies on
    the integer grid (COCO shifts each function so that it does).
    """
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            for p in problems:
                p._best_parameter("print")
                x_opt = np.loadtxt("._bbob_problem_best_parameter.txt", ndmin=1)
                key = (p.id_function, p.dimension, p.id_instance)
                worst = max(worst, abs(p(x_opt) - fopt[key]))
        finally:
            os.chdir(cwd)
    return worst


class MixintRecorder(Recorder):
    """bbob's recorder, which also counts the evaluated points that have a non-integral value
    in an integer coordinate (``n_nonintegral``).

    cocoex rounds such values itself (half up) and clips them into the bounds, so they cost a
    solver nothing; the count shows whether a solver proposes integers, which native integer
    handling should (the workaround of rounding in the objective hides it from the recorder).
    """

    def __init__(self, problem, fopt: float, budget: int):
        super().__init__(problem, fopt, budget)
        self.n_int = problem.number_of_integer_variables
        self.n_nonintegral = 0

    def __call__(self, x) -> float:
        x = np.asarray(x, dtype=float)
        if self.evals < self.budget:  # else the recorder stops without evaluating x
            # A Python loop: a quarter of numpy's cost on so few values (~1 us a point).
            self.n_nonintegral += not all(v.is_integer() for v in x[:self.n_int].tolist())
        return super().__call__(x)


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


# -- the solvers: one start each; run_with_restarts repeats them ------------------------------
def ceopt_start(**options):
    """ceopt's native integer handling: ``integrality=`` as in scipy's differential_evolution.

    The box's centre and spread (x0 left out) on the first start; ``max_evals`` unlimited as in
    bbob, so that ceopt restarts itself (IPOP) until the recorder ends the run. The harness
    starts it again, from a random point, only if ceopt stops by itself. ``options`` go to
    ``ceopt.minimize`` (the variants in ``CEOPT_VARIANTS``).
    """
    def start(rec, rng, k):
        import ceopt
        p = rec.problem
        ceopt.minimize(rec.batch, x0=None if k == 0 else start_point(p, rng, k), bounds=box(p),
                       integrality=integer_mask(p), vectorized=True, max_evals=UNLIMITED,
                       seed=rng, **options)
    return start


def ceopt_round_start(rec, rng, k):
    """What users of ceopt write today: a continuous search on the problem's box, with the
    integer coordinates rounded inside the objective (np.round, to the nearest even at .5)."""
    import ceopt
    p = rec.problem
    mask = integer_mask(p)

    def rounded(X):
        X = np.array(X, dtype=float)  # a copy: ceopt's own population is left as drawn
        X[:, mask] = np.round(X[:, mask])
        return rec.batch(X)
    ceopt.minimize(rounded, x0=None if k == 0 else start_point(p, rng, k), bounds=box(p),
                   vectorized=True, max_evals=UNLIMITED, seed=rng)


def pycma_start(rec, rng, k):
    """IPOP-CMA-ES with pycma's integer handling (``integer_variables``: a lower bound on the
    integer coordinates' standard deviations and integer centering, Marty et al. 2024; the
    candidates come rounded from ``ask``).

    Bounds: the problem's, widened by 1/2 on the integer coordinates, so that each integer owns
    a cell of width one, as scipy's DE does internally; pycma moves such .5 bounds inward by
    1e-9 so that a repaired point rounds inside. Step sizes: sigma0 = 1 times ``CMA_stds``
    = a quarter of each coordinate's width (pycma's advice is a quarter of the domain; the
    widths run from 2 to 16 here, so one scalar would not do). Restarts as bbob's cma-ipop:
    population doubled, from a random point; the first start is cocoex's initial solution.
    """
    import cma
    p = rec.problem
    mask = integer_mask(p)
    lo, hi = p.lower_bounds - 0.5 * mask, p.upper_bounds + 0.5 * mask
    starts = itertools.count(k)  # pycma calls x0 once per start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cma.fmin2(rec, lambda: start_point(p, rng, next(starts)), 1.0, restarts=UNLIMITED,
                  incpopsize=2,
                  options={"bounds": [lo, hi], "integer_variables": np.flatnonzero(mask).tolist(),
                           "CMA_stds": (hi - lo) / 4, "seed": _seed(rng), "verbose": -9,
                           "verb_log": 0, "verb_disp": 0, "maxfevals": UNLIMITED})


def cmawm_start(rec, rng, k):
    """CMA-ES with margin (cmaes' CMAwM, Hamano et al. 2022), IPOP: start k has the default
    population 4 + floor(3 ln d) times 2^k and begins where ``start_point`` says; a start ends
    when ``should_stop()`` says so.

    CMAwM takes the problem's integer bounds and a step of 1 for the integer coordinates; it
    returns each sample twice: encoded (integers, for the objective) and raw (for ``tell``).
    sigma0 = 1 with an initial covariance diag((width/4)^2): the same per-coordinate scale as
    pycma's. Its default margin 1/(d·popsize).
    """
    from cmaes import CMAwM
    p = rec.problem
    d = p.dimension
    mask = integer_mask(p)
    es = CMAwM(mean=start_point(p, rng, k), sigma=1.0,
               bounds=np.column_stack([p.lower_bounds, p.upper_bounds]),
               steps=mask.astype(float), cov=np.diag((_widths(p) / 4) ** 2),
               population_size=(4 + int(3 * np.log(d))) * 2**k, seed=_seed(rng))
    while True:
        told = []
        for _ in range(es.population_size):
            x_eval, x_tell = es.ask()
            told.append((x_tell, rec(x_eval)))
        es.tell(told)
        if es.should_stop():
            return


def optuna_start(sampler: Callable[[int], object]):
    """An optuna study with ``sampler(seed)``: integer coordinates by ``suggest_int``, real ones
    by ``suggest_float``, on the problem's bounds. The study runs until the recorder raises
    (optuna re-raises an objective's exception); its samplers never stop by themselves.
    """
    def start(rec, rng, k):
        import optuna
        # Not a line per trial, nor the "trial failed" warning of the trial the recorder ends.
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        p = rec.problem
        mask = integer_mask(p)
        lo, hi = p.lower_bounds, p.upper_bounds

        def objective(trial):
            x = [trial.suggest_int(f"x{i}", int(lo[i]), int(hi[i])) if mask[i]
                 else trial.suggest_float(f"x{i}", lo[i], hi[i]) for i in range(p.dimension)]
            return rec(np.array(x, dtype=float))
        with warnings.catch_warnings():  # with_margin is "experimental"
            warnings.simplefilter("ignore")
            study = optuna.create_study(sampler=sampler(_seed(rng)))
            study.optimize(objective)
    return start


def _tpe(seed):
    import optuna
    return optuna.samplers.TPESampler(seed=seed)


def _cmaes_margin(seed):
    import optuna
    return optuna.samplers.CmaEsSampler(with_margin=True, seed=seed)


def de_start(rec, rng, k):
    """scipy's DE with ``integrality``: it widens integer bounds by 1/2 itself and rounds the
    trial vectors before calling the objective. tol=0 and a tiny atol, as in bbob's ``de``:
    the default tol is relative to |mean f|, which contains f_opt."""
    from scipy.optimize import differential_evolution
    p = rec.problem
    differential_evolution(rec, box(p), integrality=integer_mask(p), polish=False,
                           maxiter=UNLIMITED, tol=0, atol=1e-12, seed=rng)


#: name -> (one start, description for the report). ``ceopt`` needs ``integrality=``, which
#: is being written; ``native_integrality()`` says whether this ceopt has it.
SOLVERS: dict[str, tuple[Callable, str]] = {
    "ceopt": (ceopt_start(), "ceopt.minimize(integrality=mask), defaults: box centre, "
                             "IPOP restarts within the budget"),
    "ceopt-round": (ceopt_round_start, "ceopt.minimize on the box, integer coordinates "
                                       "np.round-ed inside the objective (today's workaround)"),
    "pycma-ipop": (pycma_start, "pycma fmin2, integer_variables, integer bounds ± 1/2, "
                                "CMA_stds = width/4, IPOP (population x2)"),
    "cmawm-ipop": (cmawm_start, "cmaes CMAwM (margin), steps 1 on integers, cov = "
                                "diag((width/4)^2), IPOP (population x2) on should_stop()"),
    "de": (de_start, "scipy differential_evolution, integrality, polish off, tol 0"),
    "optuna-tpe": (optuna_start(_tpe), "optuna TPESampler, defaults; suggest_int / "
                                       "suggest_float"),
    "optuna-cmaes": (optuna_start(_cmaes_margin), "optuna CmaEsSampler(with_margin=True), "
                                                  "defaults (no restarts)"),
}

#: ceopt's variants with native integers: name -> options for ceopt.minimize, one line each.
#: Run them by name (``--solvers ceopt-diag``); the default run leaves them out.
CEOPT_VARIANTS: dict[str, dict] = {
    "ceopt-diag": dict(dist="diag"),
    "ceopt-margin": dict(margin=True),  # the integer margin also with a budget
}



def ceopt_family_start(family: str):
    """ceopt with the integers in a discrete family of their own beside a Gaussian over the
    reals (``family``: "ordinal", ceopt.distributions.Ordinal, or "values", a Categorical over
    the values), through ``minimize(dist=Product, bounds=Box)``: the families measured
    against the Gaussian with rounding (docs/spaces.md). The floors are the space's: each
    option's ``choice_floor`` and, for the ordinal law, a decay at which a variable leaves
    its mode with about that probability on either side."""
    def start(rec, rng, k):
        import ceopt
        from ceopt.distributions import Categorical, Gaussian, Product
        from ceopt.distributions.ordinal import Ordinal
        from ceopt.space.space import BOX_SPREAD, choice_floor
        from ceopt.updates import default_popsize
        p = rec.problem
        mask = integer_mask(p)
        lo, hi = p.lower_bounds, p.upper_bounds
        order = np.r_[np.flatnonzero(~mask), np.flatnonzero(mask)]  # reals first
        sizes = (hi[mask] - lo[mask] + 1).astype(np.int64)
        reals = Gaussian(0.5 * (lo[~mask] + hi[~mask]),
                         (BOX_SPREAD * (hi[~mask] - lo[~mask])) ** 2)
        popsize = default_popsize(None, Product([reals, Categorical.uniform(sizes)]))
        floor = np.array([choice_floor(p.dimension, popsize, n) for n in sizes])
        block = (Ordinal.uniform(sizes, min_decay=floor / 2) if family == "ordinal"
                 else Categorical.uniform(sizes, min_prob=floor))
        bounds = ceopt.handlers.Box(np.r_[lo[~mask], np.zeros(mask.sum())],
                                    np.r_[hi[~mask], sizes - 1.0],
                                    np.r_[np.zeros((~mask).sum(), bool), np.ones(mask.sum(), bool)])
        inverse = np.argsort(order)

        def batch(Z):  # encoded rows (reals, then indices) -> the problem's coordinates
            Z = np.asarray(Z, dtype=float)[:, inverse]
            Z[:, mask] += lo[mask]
            return rec.batch(Z)
        ceopt.minimize(batch, dist=Product([reals, block]), bounds=bounds, vectorized=True,
                       max_evals=UNLIMITED, seed=rng)
    return start


FAMILY_VARIANTS = {
    "ceopt-ordinal": (ceopt_family_start("ordinal"), "ceopt, the integers in an Ordinal block "
                                                     "(discrete Laplace) beside the reals' "
                                                     "Gaussian"),
    "ceopt-values": (ceopt_family_start("values"), "ceopt, the integers in a Categorical over "
                                                   "their values beside the reals' Gaussian"),
}

ALL = {**SOLVERS, **FAMILY_VARIANTS, **{name: (ceopt_start(**options),
                            "ceopt.minimize(integrality=mask), "
                            + ", ".join(f"{k}={v!r}" for k, v in options.items()))
                     for name, options in CEOPT_VARIANTS.items()}}
NATIVE = ("ceopt", *CEOPT_VARIANTS)  # the solvers that need ceopt's integrality=


def native_integrality() -> bool:
    """Whether this ceopt takes ``integrality=`` (a tiny run; False on its TypeError)."""
    import ceopt
    try:
        ceopt.minimize(lambda X: np.sum(np.asarray(X) ** 2, axis=1), bounds=[(0, 3), (-1, 1)],
                       integrality=[True, False], vectorized=True, max_evals=20, seed=0)
    except TypeError as error:
        if "integrality" in str(error):
            return False
        raise
    return True


def run_task(task: dict) -> dict:
    """One run: ``task`` names solver, function, dim, instance, budget, seed and f_opt."""
    problem = suite([task["function"]], [task["dim"]], [task["instance"]])[0]
    rec = MixintRecorder(problem, task["fopt"], task["budget"])
    # The budget is in the seed: the 100·d and 1000·d runs are separate runs. The solver's
    # name, as a checksum: adding a solver changes no other's runs.
    rng = np.random.default_rng([task["seed"], task["function"], task["dim"], task["instance"],
                                 task["budget"], zlib.crc32(task["solver"].encode())])
    start, _ = ALL[task["solver"]]
    t0, cpu0 = time.perf_counter(), time.process_time()
    starts = run_with_restarts(start, rec, rng)
    # The CPU time too: on a shared machine the wall time also measures the neighbours.
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    problem.free()
    return dict(task, evals=rec.evals, starts=starts, best=rec.best, seconds=seconds,
                cpu_seconds=cpu, hits=rec.hits, n_nonintegral=rec.n_nonintegral)

"""The solvers of the constrained benchmark (COCO's ``bbob-constrained``), its problems and
its recorder.

The harness is bbob's (``bbob_solvers``): every solver minimises a recorder, which counts
evaluations, notes when each target is reached and ends the run by raising ``Stop``; a solver
that ends by its own criteria before the budget is spent is started again
(``run_with_restarts``). What is new here: the suite and its f_opt, a recorder that knows
constraints, and the solvers that take them.

The problems. ``bbob-constrained`` has 54 functions in each dimension: nine bbob objectives
(``OBJECTIVES``, six functions each) times six numbers of constraints
(``problem.number_of_constraints``: in cocoex 2.8, 1, 3, 9, then 1.5 times 6 + d // 2, 6 + d
and 6 + 3d rounded down, so 1, 3, 9, 16, 24, 54 at d = 10, where COCO's documentation says
1, 2, 6, 6 + d/2, 6 + d, 6 + 3d), linear constraints bent by bbob's
nonlinear transformations, built so that the KKT conditions hold at x_opt, which lies on the
boundary of the feasible set. ``problem.constraint(x)`` gives the constraint values, feasible
when all are <= 0; ``problem.initial_solution`` is feasible; the box is [-5, 5]^d.

f_opt. cocoex does not expose it. Its ``bbob-constrained`` logger writes it into the data
file's header (``best noise-free fitness - Fopt (1.030319347200e+03) + sum g_i+``), so
``bbob_solvers.logged_fopt`` reads it, as for bbob and bbob-mixint; but the values are not on
a grid here (1072.3569958546307), and the 13 printed digits are off by up to 5e-13 |f_opt|,
some 5e-9 when f_opt is near 1e4, half the last target. So ``fopts`` takes f(x_opt), exact in
double, with x_opt from cocoex's unofficial ``Problem._best_parameter("print")``, evaluated on
a copy of the problem, and checks it against the logged value (relative difference at most
1e-12) and that x_opt is feasible (max g(x_opt) <= 0). The report also checks it against the
runs: no feasible point may beat it (``min_best`` in the meta).

The recorder (``ConstrainedRecorder``): the budget is in objective evaluations. The rule:

- ``rec(x)`` evaluates the objective; it counts as one evaluation of the budget. The
  recorder also evaluates the constraints of every such point, for scoring only, and does
  not count them as the solver's: a point counts towards a target only when it is feasible
  (all g_i(x) <= 0), whether or not the solver asked for its constraints.
- ``rec.constraint(x)`` is a constraint call by the solver: it returns g(x) and counts one
  in ``cevals``; it does not spend the budget. Solvers that evaluate f and g separately
  call both, so a point whose f and g the solver wants costs one evaluation and one
  constraint call, and cocoex's own count of constraint evaluations is ``evals + cevals``.
- A run also ends when the solver's constraint calls reach ``CONSTRAINT_CAP`` times the
  budget: scipy's DE evaluates the objective only at feasible points, and a solver that
  never finds one would loop for ever without spending the budget.
- The recorder also keeps what COCO's constrained logger measures, f - f_opt + sum(g_i+)
  (``best_merit``), and whether the point with the least of it was feasible
  (``merit_feasible``): the answer a solver that trades feasibility against f would give.

The solvers, each with its recommended settings, restarted until the budget is spent; start
0 is the problem's feasible initial solution for those that take a start point, later
starts uniformly random points of the box (``mixint_solvers.start_point``):

- ``ceopt-penalty``: what ceopt users write today: ``ceopt.minimize(lambda X: f(X) + 1e6 *
  sum(max(g_i(X), 0)), bounds=box, vectorized=True, max_evals=budget, seed=rng)``; x0 left
  out (the box's centre, 0.3 of its width); the remaining budget as ``max_evals``, so that
  ceopt plans its IPOP restarts within it, and an unlimited one for a later start (what is
  left may be less than a population, which ceopt refuses). The factor 1e6 is a user's
  round guess, not tuned; f is evaluated before g, point by point, so the budget ends
  between points and the constraint calls equal the evaluations.
- ``ceopt``: the same with the objective alone and ``constraints=NonlinearConstraint(g,
  -inf, 0)`` (ceopt's defaults with constraints: each local search cut at 25·d
  evaluations, restarted at the same population, its best point polished by SLSQP);
  ``ceopt-nopolish`` with ``polish=False``, the CE search alone; ``ceopt-uncut`` and
  ``ceopt-ipop`` each without one of the defaults (``search_evals=None``,
  ``restarts="ipop"``), the ablation. Skipped with a message when this ceopt has no
  ``constraints=`` (``native_constraints``). g accepts one point or a 2-D array of points as
  rows.
- ``pycma``: ``cma.fmin_con2`` (pycma's augmented Lagrangian, ``ConstrainedFitnessAL``) with
  IPOP restarts through ``fmin2``'s ``restarts`` and ``incpopsize=2``; sigma0 = 1 with
  ``CMA_stds`` a fifth of each coordinate's width (2 on [-5, 5], as bbob's cma-ipop), the
  box as pycma's bounds (everyone else searches the box). The AL's multipliers and
  penalty factors are reset at each restart (``init_callback``): a restart is a fresh start
  elsewhere, and the coefficients adapted at the previous optimum would not fit there.
- ``de``: ``differential_evolution(f, box, constraints=NonlinearConstraint(g, -inf, 0),
  polish=False, tol=0, atol=1e-12, maxiter=huge)``: tolerances as bbob's ``de``. It uses
  Lampinen's rule: feasible beats infeasible, and f is evaluated only at feasible trials.
- ``slsqp``: ``minimize(f, x0, method="SLSQP", bounds=box, constraints=...)``, ``ftol=1e-12``
  (the default 1e-6 is absolute and would stop it short of the targets below), gradients by
  scipy's forward differences (d + 1 calls of f and of g per gradient).
- ``cobyla``: the same with ``method="COBYLA"`` (scipy's PRIMA port), ``rhobeg=2`` (a fifth
  of the box, as pycma's sigma0), ``tol=1e-10`` (the final trust region radius, default
  1e-4), ``maxiter`` the remaining budget. A run of it is also ended after
  ``COBYLA_SECONDS`` of wall time (a guard; the report counts the runs it ended).
"""

from __future__ import annotations

import contextlib
import itertools
import tempfile
import time
import warnings
import zlib
from collections.abc import Callable

import numpy as np
from bbob_solvers import TARGETS, UNLIMITED, Recorder, Stop, logged_fopt, run_with_restarts
from mixint_solvers import _seed, box, start_point

SUITE = "bbob-constrained"
#: bbob's objectives behind f1-6, f7-12, ..., f49-54 (in the order of COCO's documentation).
OBJECTIVES = ("sphere", "sep. ellipsoid", "linear slope", "rot. ellipsoid", "discus",
              "bent cigar", "diff. powers", "sep. Rastrigin", "rot. Rastrigin")
PENALTY = 1e6
CONSTRAINT_CAP = 10  # a run ends when the solver's constraint calls reach this × budget
COBYLA_SECONDS = 60.0  # wall-time guard on one cobyla run


# -- problems ----------------------------------------------------------------------------------
def suite(functions, dims, instances):
    """The bbob-constrained problems of these function, dimension and instance ids."""
    import cocoex
    return cocoex.Suite(SUITE, "instances:" + ",".join(map(str, instances)),
                        f"dimensions:{','.join(map(str, dims))} "
                        f"function_indices:{','.join(map(str, functions))}")


def fopts(problems) -> tuple[dict, dict]:
    """f_opt = f(x_opt) of each problem, and the check: the largest relative difference from
    the Fopt cocoex's logger prints, and the largest g_i(x_opt) (feasible when <= 0).

    ``problems`` is iterated once (a suite: cocoex frees each problem when it gives the next).
    """
    out, worst_rel, worst_g = {}, 0.0, -np.inf
    # _best_parameter writes its file into the working directory: a temporary one.
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        for p in problems:
            key = (p.id_function, p.dimension, p.id_instance)
            p._best_parameter("print")
            x_opt = np.loadtxt("._bbob_problem_best_parameter.txt", ndmin=1)
            out[key], g = float(p(x_opt)), p.constraint(x_opt)
            worst_g = max(worst_g, float(np.max(g)))
            logged = logged_fopt(p, suite, SUITE, decimals=12)  # no rounding that matters
            worst_rel = max(worst_rel, abs(logged - out[key]) / max(1.0, abs(logged)))
    return out, dict(max_relative_difference=worst_rel, max_g_at_xopt=worst_g)


# -- the recorder ------------------------------------------------------------------------------
class ConstrainedRecorder(Recorder):
    """bbob's recorder, scoring feasible points only, and counting the solver's constraint
    calls apart (the rule is in the module's docstring)."""

    def __init__(self, problem, fopt: float, budget: int, seconds: float = np.inf):
        super().__init__(problem, fopt, budget)
        self.cevals = 0  # the solver's own constraint calls
        self.n_feasible = 0  # objective evaluations at feasible points
        self.best_merit, self.merit_feasible = np.inf, False
        self.deadline = time.perf_counter() + seconds
        self.timed_out = False

    def __call__(self, x) -> float:
        if self.evals >= self.budget:
            raise Stop("budget")
        if time.perf_counter() > self.deadline:
            self.timed_out = True
            raise Stop("wall time")
        x = np.asarray(x, dtype=float)
        violation = float(np.maximum(self.problem.constraint(x), 0).sum())  # for scoring
        if violation == 0:  # all g_i <= 0: bbob's recorder scores it (and may end the run)
            self.n_feasible += 1
            f = super().__call__(x)
        else:
            f = self.problem(x)
            self.evals += 1
        merit = f - self.fopt + violation
        if merit < self.best_merit:
            self.best_merit, self.merit_feasible = merit, violation == 0
        return f

    def constraint(self, x) -> np.ndarray:
        """g(x) for the solver: one point, or a 2-D array of points as rows."""
        x = np.asarray(x, dtype=float)
        if x.ndim == 2:
            return np.array([self.constraint(row) for row in x])
        if self.cevals >= CONSTRAINT_CAP * self.budget:
            raise Stop("constraint calls")
        self.cevals += 1
        return self.problem.constraint(x)


def _nonlinear(rec):
    from scipy.optimize import NonlinearConstraint
    return NonlinearConstraint(rec.constraint, -np.inf, 0)


# -- the solvers: one start each; run_with_restarts repeats them ------------------------------
def _ceopt_budget(rec, k: int) -> int:
    """The remaining budget for the first start, so that ceopt plans its restarts in it;
    unlimited for a later one (the rest may be less than a population), ended by the
    recorder."""
    return rec.remaining if k == 0 else UNLIMITED


def ceopt_penalty_start(rec, rng, k):
    """Today's workaround: a static penalty PENALTY · sum(max(g_i, 0)) added to f."""
    import ceopt

    def penalised(X):  # f, then g, point by point: the budget ends between two points
        return np.array([rec(x) + PENALTY * np.maximum(rec.constraint(x), 0).sum()
                         for x in np.asarray(X, dtype=float)])
    p = rec.problem
    ceopt.minimize(penalised, x0=None if k == 0 else start_point(p, rng, k), bounds=box(p),
                   vectorized=True, max_evals=_ceopt_budget(rec, k), seed=rng)


def ceopt_start(**options):
    """ceopt's own constraint handling (``constraints=``, spelt as scipy's); ``options`` go
    to ``ceopt.minimize`` (``polish=False``: the CE search alone)."""
    def start(rec, rng, k):
        import ceopt
        p = rec.problem
        ceopt.minimize(rec.batch, x0=None if k == 0 else start_point(p, rng, k),
                       bounds=box(p), constraints=_nonlinear(rec), vectorized=True,
                       max_evals=_ceopt_budget(rec, k), seed=rng, **options)
    return start


def _fresh_al(es) -> None:
    """fmin_con2's init_callback: a new start gets new AL coefficients (lambda, mu)."""
    es.objective_function.reset()


def pycma_start(rec, rng, k):
    import cma
    p = rec.problem
    lo, hi = p.lower_bounds, p.upper_bounds
    starts = itertools.count(k)  # pycma calls x0 once per start
    # The AL's loggers make a folder outcmaes/ in the working directory even with logging
    # off: a temporary one takes it.
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as tmp, \
            contextlib.chdir(tmp):
        warnings.simplefilter("ignore")
        cma.fmin_con2(rec, lambda: start_point(p, rng, next(starts)), 1.0,
                      constraints=rec.constraint, restarts=UNLIMITED, incpopsize=2,
                      init_callback=_fresh_al,
                      options={"bounds": [lo.tolist(), hi.tolist()],
                               "CMA_stds": ((hi - lo) / 5).tolist(), "seed": _seed(rng),
                               "verbose": -9, "verb_log": 0, "verb_disp": 0,
                               "maxfevals": UNLIMITED})


def de_start(rec, rng, k):
    from scipy.optimize import differential_evolution
    differential_evolution(rec, box(rec.problem), constraints=_nonlinear(rec), polish=False,
                           maxiter=UNLIMITED, tol=0, atol=1e-12, seed=rng)


def local_start(method: str, options: Callable[[ConstrainedRecorder], dict]):
    """scipy's minimize with ``method`` from start_point k, on the box, with the constraints;
    ``options(rec)`` its options."""
    def start(rec, rng, k):
        from scipy.optimize import minimize
        p = rec.problem
        with warnings.catch_warnings():  # "Values in x were outside bounds" and the like
            warnings.simplefilter("ignore")
            minimize(rec, start_point(p, rng, k), method=method, bounds=box(p),
                     constraints=_nonlinear(rec), options=options(rec))
    return start


#: name -> (one start, description for the report)
SOLVERS: dict[str, tuple[Callable, str]] = {
    "ceopt-penalty": (ceopt_penalty_start, "ceopt.minimize on f + 1e6·sum(max(g, 0)), box, "
                                           "vectorized, max_evals=budget (today's workaround)"),
    "ceopt": (ceopt_start(), "ceopt.minimize(constraints=NonlinearConstraint(g, -inf, 0)), "
                             "box, vectorized, max_evals=budget (the defaults: each local "
                             "search cut at 25·d evaluations and polished by SLSQP)"),
    "ceopt-nopolish": (ceopt_start(polish=False), "the same with polish=False: the CE search "
                                                  "alone (Deb's feasibility rules)"),
    "ceopt-uncut": (ceopt_start(search_evals=None), "the default but search_evals=None: each "
                                                    "local search runs until it converges"),
    "ceopt-ipop": (ceopt_start(restarts="ipop"), "the default but restarts='ipop': each "
                                                 "restart doubles the population"),
    "pycma": (pycma_start, "pycma fmin_con2 (augmented Lagrangian), IPOP (population x2), "
                           "CMA_stds = width/5, box bounds, AL reset per restart"),
    "de": (de_start, "scipy differential_evolution, constraints, polish off, tol 0"),
    "slsqp": (local_start("SLSQP", lambda rec: dict(maxiter=UNLIMITED, ftol=1e-12)),
              "scipy SLSQP, ftol 1e-12, forward-difference gradients, random restarts"),
    "cobyla": (local_start("COBYLA", lambda rec: dict(maxiter=rec.remaining, rhobeg=2.0,
                                                      tol=1e-10)),
               f"scipy COBYLA (PRIMA), rhobeg 2, tol 1e-10, random restarts, "
               f"{COBYLA_SECONDS:g} s wall-time guard per run (900 s for the d = 10, 1000·d "
               f"runs of the results, run apart)"),
}
#: The solvers that need ceopt's constraints=.
NATIVE = ("ceopt", "ceopt-nopolish", "ceopt-uncut", "ceopt-ipop")
RUN_SECONDS = {"cobyla": COBYLA_SECONDS}


def native_constraints() -> bool:
    """Whether this ceopt takes ``constraints=`` (a tiny run; False on its TypeError)."""
    from scipy.optimize import NonlinearConstraint

    import ceopt

    def g(x):
        x = np.asarray(x, dtype=float)
        return x[..., :1] + x[..., 1:]  # one point, or rows
    try:
        ceopt.minimize(lambda X: np.sum(np.asarray(X) ** 2, axis=1), bounds=[(-1, 1)] * 2,
                       constraints=NonlinearConstraint(g, -np.inf, 0), vectorized=True,
                       max_evals=20, seed=0)
    except TypeError as error:
        if "constraints" in str(error):
            return False
        raise
    return True


def run_task(task: dict) -> dict:
    """One run: ``task`` names solver, function, dim, instance, budget, seed and f_opt."""
    problem = suite([task["function"]], [task["dim"]], [task["instance"]])[0]
    rec = ConstrainedRecorder(problem, task["fopt"], task["budget"],
                              RUN_SECONDS.get(task["solver"], np.inf))
    # The budget is in the seed: the 100·d and 1000·d runs are separate runs. The solver's
    # name, as a checksum: adding a solver changes no other's runs.
    rng = np.random.default_rng([task["seed"], task["function"], task["dim"], task["instance"],
                                 task["budget"], zlib.crc32(task["solver"].encode())])
    start, _ = SOLVERS[task["solver"]]
    t0, cpu0 = time.perf_counter(), time.process_time()
    starts = run_with_restarts(start, rec, rng)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    # cocoex counts every constraint evaluation: the solver's and the recorder's own.
    assert problem.evaluations == rec.evals, (problem.evaluations, rec.evals)
    assert problem.evaluations_constraints == rec.evals + rec.cevals
    n_constraints = problem.number_of_constraints
    problem.free()
    ended = ("final target" if rec._next == len(TARGETS) else "wall time" if rec.timed_out
             else "budget" if rec.evals >= rec.budget
             else "constraint calls" if rec.cevals >= CONSTRAINT_CAP * rec.budget
             else "no evaluation")
    return dict(task, n_constraints=n_constraints, evals=rec.evals, cevals=rec.cevals,
                starts=starts, best=rec.best,
                seconds=seconds, cpu_seconds=cpu, hits=rec.hits, n_feasible=rec.n_feasible,
                best_merit=rec.best_merit, merit_feasible=int(rec.merit_feasible), ended=ended)

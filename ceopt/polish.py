"""A local method after each local search: ``minimize(..., polish=True)``.

A population search narrows onto an optimum on a curved constraint slowly: its samples
straddle the boundary, the infeasible half loses, and the search creeps along it
(maximising x + y on the disc x² + y² <= 2 reached 1.9985-1.99998 of 2 in 3000 evaluations).
A local method that models the constraints gets there in tens of evaluations. So a polished
run hands the best point of each local search, when the search ends, to scipy's SLSQP (the
default, with forward-difference gradients) or COBYQA (``polish="cobyqa"``: derivative-free,
for objectives too rough for finite differences), which keeps the bounds and takes the
constraints; its evaluations count in ``nfev``. With constraints a local search also ends
after :data:`SEARCH_EVALS` · d evaluations, so that the budget goes to several searches and
their polishes rather than to one search creeping along the boundary (measured on
bbob-constrained: ``docs/constraints.md``). The last search's best is polished when the run
ends, from evaluations kept out of ``max_evals`` for it.

The local methods may end a hair outside a constraint (1e-12 to 1e-8 on the disc). A point
the constraints call infeasible is never returned: the polish returns the best feasible point
it evaluated, and if its end point is infeasible and better, pulls that back towards the
feasible start by bisection on the segment between them, to the last feasible point found
(constraint evaluations only, then one evaluation of the objective).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, NonlinearConstraint, OptimizeResult
from scipy.optimize import minimize as scipy_minimize

from ._checks import integer
from .constraints import Constraints
from .distributions import Distribution
from .handlers import Box
from .schedules import IPOP

if TYPE_CHECKING:  # only named in annotations (the run imports this module)
    from .cross_entropy import CrossEntropy
    from .evaluation import Evaluator

#: The local methods ``polish=`` takes; True is the first.
METHODS = ("slsqp", "cobyqa")
#: With constraints, a polished run's local searches end after this many evaluations per
#: dimension (``search_evals``), and restart at the same population (not IPOP's doubled one):
#: on bbob-constrained at 1000·d, 10, 25, 50 and 100 did alike, 200 worse (.58 against .64 at
#: d = 5), and the same population reached .53 against .49 at d = 10 (alike at d = 2, 5).
SEARCH_EVALS = 25
#: Bisection steps that pull an infeasible polished point back towards the feasible start.
REPAIR_STEPS = 40


def polish_budget(dim: int) -> int:
    """The most evaluations a polish after a local search may spend in ``dim`` variables (a
    cap on the budget left: SLSQP usually stops far sooner). 100 (d + 1) reached fewer
    targets on bbob-constrained (.86 against .90 at d = 2, .63 against .65 at d = 5)."""
    return 1000 * (dim + 1)


def finish_budget(dim: int) -> int:
    """The evaluations kept out of ``max_evals`` for the polish at the run's end."""
    return 20 * (dim + 1)


class _Spent(Exception):
    """The polish's budget is spent: the local method is stopped where it is."""


class Polish:
    """One local method from a point, with the constraints: ``polish(objective, x, fun,
    spread, budget)`` minimises ``objective`` (one point in, a loss out) from ``x`` (loss
    ``fun``) on at most ``budget`` evaluations and returns the best feasible point it found
    (None if none beats ``x`` by Deb's rules), its loss and constraint values, and the
    evaluations it spent (``nfev``, ``constr_nfev``)."""

    def __init__(self, method: str, constraints: Constraints | None = None, bounds: Any = None):
        self.method, self.constraints = method, constraints
        self.box = None if bounds is None else Bounds(bounds.value_low, bounds.value_high)

    def __call__(self, objective, x: NDArray, fun: float, spread: float, budget: int,
                 anchor: NDArray | None = None) -> OptimizeResult:
        seen = _Seen(objective, self.constraints, budget)
        start_feasible = seen.feasible(x)
        # A feasible point to pull an end a hair outside back towards: the start, else
        # ``anchor`` (the run's best point, if it is feasible).
        anchor = x if start_feasible else anchor
        scipy_constraints = []
        if self.constraints is not None:
            bounds = seen.values(x)
            scipy_constraints = [NonlinearConstraint(lambda z: seen.values(z).values[0],
                                                     bounds.lb, bounds.ub)]
        end = None
        try:
            with warnings.catch_warnings():  # "Values in x were outside bounds" and the like
                warnings.simplefilter("ignore")
                end = scipy_minimize(seen.loss, x, method=self.method, bounds=self.box,
                                     constraints=scipy_constraints,
                                     options=self._options(spread, budget)).x
        except _Spent:
            pass
        z, fz = seen.best()
        if end is not None and not seen.feasible(end) and anchor is not None:
            # An end a hair outside may still be better than every feasible point seen.
            repaired = self._repair(anchor, np.asarray(end, dtype=np.float64), seen)
            if repaired is not None and seen.count_f < budget:
                f_repaired = seen.loss(repaired)
                if f_repaired < fz:
                    z, fz = repaired, f_repaired
        better = z is not None and (fz < fun or not start_feasible)
        constr = None if not better or self.constraints is None else seen.values(z).values[0]
        return OptimizeResult(x=z if better else None, fun=fz, constr=constr,
                              nfev=seen.count_f, constr_nfev=seen.count_c)

    def _options(self, spread: float, budget: int) -> dict:
        if self.method == "cobyqa":
            radius = float(np.clip(spread, 1e-8, 1.0))
            return {"maxfev": budget, "initial_tr_radius": radius,
                    "final_tr_radius": 1e-12 * max(1.0, radius)}
        return {"maxiter": budget, "ftol": 1e-14}

    @staticmethod
    def _repair(feasible: NDArray, outside: NDArray, seen: _Seen) -> NDArray | None:
        """The last feasible point found on the segment from ``feasible`` to ``outside``."""
        low, high = 0.0, 1.0  # fractions of the way: low feasible, high not
        for _ in range(REPAIR_STEPS):
            mid = 0.5 * (low + high)
            if seen.feasible(feasible + mid * (outside - feasible)):
                low = mid
            else:
                high = mid
        return None if low == 0.0 else feasible + low * (outside - feasible)


class _Seen:
    """The objective and constraints as a local method calls them: counted, capped at
    ``budget`` objective evaluations, and remembered, so that the best feasible point
    evaluated is known whenever the method stops (the methods evaluate the constraints where
    they evaluate the objective)."""

    def __init__(self, objective, constraints: Constraints | None, budget: int):
        self.objective, self.constraints, self.budget = objective, constraints, budget
        self.count_f = self.count_c = 0
        self._losses: dict[bytes, tuple[NDArray, float]] = {}
        self._values: dict[bytes, Any] = {}

    def loss(self, z: NDArray) -> float:
        if self.count_f >= self.budget:
            raise _Spent
        z = np.array(z, dtype=np.float64)
        self.count_f += 1
        value = float(self.objective(z))
        self._losses[z.tobytes()] = (z, value)
        return value

    def values(self, z: NDArray):
        z = np.asarray(z, dtype=np.float64)
        key = z.tobytes()
        if key not in self._values:
            self.count_c += 1
            self._values[key] = self.constraints.evaluate(z[None])
        return self._values[key]

    def feasible(self, z: NDArray) -> bool:
        return self.constraints is None or bool(self.values(z).violation[0] == 0)

    def best(self) -> tuple[NDArray | None, float]:
        """The evaluated point of least loss among those the constraints were checked at and
        found feasible (every one without constraints)."""
        best, best_loss = None, np.inf
        for key, (z, value) in self._losses.items():
            known = self.constraints is None or key in self._values
            if known and value < best_loss and self.feasible(z):
                best, best_loss = z, value
        return best, best_loss


# -- what minimize and resume do with it -------------------------------------------------
#: By default, a run polishes only when its budget is at least this many polishes.
POLISH_SHARE = 3


class LocalPhase:
    """What a polished run does besides its searches: polish the best point of each local
    search when it ends (:meth:`after_tell`), and of the last one when the run ends
    (:meth:`finish`, on the evaluations kept for it)."""

    def __init__(self, method: str, constraints: Constraints | None, bounds: Any,
                 maximize: bool):
        self.polish = Polish(method, constraints, bounds)
        self.sign = -1.0 if maximize else 1.0

    def after_tell(self, solver: CrossEntropy, evaluator: Evaluator) -> None:
        """Polish the best point of the local search ``solver`` has just ended, on the
        budget left."""
        if not solver.search_ended or solver.search_best is None:
            return
        budget = polish_budget(solver.dim)
        if solver.max_evals is not None:
            budget = min(budget, solver.max_evals - solver.nfev)
        if budget > solver.dim + 1:  # room for one gradient at least
            self._polish(solver, evaluator, budget)

    def finish(self, solver: CrossEntropy, evaluator: Evaluator) -> None:
        """Polish the last search's best point unless it was."""
        if solver.search_best is not None:
            self._polish(solver, evaluator, finish_budget(solver.dim))

    def _polish(self, solver: CrossEntropy, evaluator: Evaluator, budget: int) -> None:
        start = solver.search_best
        anchor = solver.best_x if solver.best_violation == 0 else None
        def fun(z):
            return self.sign * evaluator(z[None], solver.evaluation_seeds(1))[0]

        done = self.polish(fun, start.x, start.loss, solver.dist.spread, budget, anchor)
        solver.record(done.x, self.sign * done.fun, done.nfev, done.constr_nfev, done.constr)


def polish_method(polish: bool | str | None, constraints: Constraints | None,
                  dist: Distribution, bounds: Any, max_evals: int | None,
                  reserved: bool = False) -> str | None:
    """The local method ``polish`` asks for (None: no polish). Not given, a run polishes with
    constraints, over real numbers (measured on bbob-constrained: docs/constraints.md), when
    its budget holds :data:`POLISH_SHARE` end polishes (``reserved``: ``max_evals`` has the
    end polish taken out already, as a resumed run's has)."""
    if polish is None:
        integral = isinstance(bounds, Box) and bool(bounds.integral.any())
        room = POLISH_SHARE - 1 if reserved else POLISH_SHARE
        polish = (constraints is not None and not dist.discrete and not integral
                  and (max_evals is None or max_evals >= room * finish_budget(dist.dim)))
    if isinstance(polish, (bool, np.bool_)):
        return METHODS[0] if polish else None
    if isinstance(polish, str) and polish.lower() in METHODS:
        return polish.lower()
    raise ValueError(f"polish must be True, False or one of {', '.join(map(repr, METHODS))}, "
                     f"got {polish!r}")


def reserve_polish(dist: Distribution, bounds: Any, integrality: Any,
                   solver_options: dict) -> None:
    """Check that a polish applies, and keep the end polish's evaluations out of
    ``max_evals``."""
    if dist.discrete or integrality is not None or (isinstance(bounds, Box)
                                                    and bounds.integral.any()):
        raise ValueError("polish=True finishes a search over real numbers: leave it out for "
                         "discrete or integer variables")
    if bounds is not None and not isinstance(bounds, Box):
        raise ValueError("polish=True keeps box bounds only: leave it out with a handler of "
                         "your own")
    max_evals = solver_options.get("max_evals")
    if max_evals is not None:
        kept = finish_budget(dist.dim)
        solver_options["max_evals"] = integer("max_evals", max_evals, 1) - kept
        if solver_options["max_evals"] < 1:
            raise ValueError(f"max_evals={max_evals} leaves nothing for the search after the "
                             f"polish's {kept} evaluations")


def constrained_searches(solver_options: dict, dim: int) -> None:
    """A polished constrained run's searches, unless the options say otherwise: each ends
    after ``SEARCH_EVALS * dim`` evaluations, and (under the default method) restarts at the
    same population."""
    solver_options.setdefault("search_evals", SEARCH_EVALS * dim)
    if solver_options.get("restarts") is None and solver_options.get("method") in (
            None, "adaptive"):
        solver_options["restarts"] = IPOP(growth=1)

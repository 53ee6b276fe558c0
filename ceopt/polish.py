"""A local finish from the search's best point: ``minimize(..., polish=True)``.

A population search narrows onto an optimum on a curved constraint slowly: its samples
straddle the boundary, the infeasible half loses, and the search creeps along it
(maximising x + y on the disc x² + y² <= 2 reached 1.9985-1.99998 of 2 in 3000 evaluations).
A local method that models the constraints gets there in tens of evaluations. The polish runs
scipy's COBYQA (derivative-free; it keeps the bounds and takes the constraints) from the best
point, in a trust region no larger than the search's last spread.

COBYQA, as COBYLA, may end a hair outside a constraint (1e-12 to 1e-8 on the disc). A point
the constraints call infeasible is never returned: the polished point is then pulled back
towards the search's best, feasible, point by bisection on the segment between them, to the
last feasible point found (constraint evaluations only, then one evaluation of the
objective). The polish replaces the result only if it is better by the feasibility rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, NonlinearConstraint, OptimizeResult
from scipy.optimize import minimize as scipy_minimize

from ._checks import integer
from .constraints import Constraints
from .distributions import Distribution
from .handlers import Box

if TYPE_CHECKING:  # only named in annotations (the run imports this module)
    from .cross_entropy import CrossEntropy
    from .evaluation import Evaluator


def polish_budget(dim: int) -> int:
    """The evaluations a polish may spend in ``dim`` variables."""
    return 20 * (dim + 1)


#: Bisection steps that pull an infeasible polished point back towards the feasible best.
REPAIR_STEPS = 40


@dataclass(frozen=True)
class Polished:
    """The polish's point (or None: nothing better), its value and constraint values, and the
    evaluations it spent."""

    x: NDArray | None
    fun: float
    constr: NDArray | None
    nfev: int
    constr_nfev: int


def polish(objective, x: NDArray, fun: float, spread: float, budget: int,
           constraints: Constraints | None = None, bounds: Any = None) -> Polished:
    """COBYQA from ``x`` (loss ``fun``; if it is infeasible, any feasible end is better) on at
    most ``budget`` evaluations of ``objective`` (one point in, one value out, a loss to
    minimise; one evaluation is kept for a repaired point). ``spread`` is the search's last
    spread: the trust region starts there."""
    counts = {"f": 0, "c": 0}

    def f(z: NDArray) -> float:
        counts["f"] += 1
        return float(objective(np.asarray(z, dtype=np.float64)))

    def values(z: NDArray):
        counts["c"] += 1
        return constraints.evaluate(np.asarray(z, dtype=np.float64)[None])

    scipy_constraints, start_feasible = [], True
    if constraints is not None:
        first = values(x)
        start_feasible = bool(first.violation[0] == 0)
        scipy_constraints = [NonlinearConstraint(lambda z: values(z).values[0], first.lb,
                                                 first.ub)]
    box = None if bounds is None else Bounds(bounds.value_low, bounds.value_high)
    radius = float(np.clip(spread, 1e-8, 1.0))
    local = scipy_minimize(f, x, method="COBYQA", bounds=box, constraints=scipy_constraints,
                           options={"maxfev": budget - 1, "initial_tr_radius": radius,
                                    "final_tr_radius": 1e-12 * max(1.0, radius)})
    z, fz = np.asarray(local.x, dtype=np.float64), float(local.fun)
    constr = None
    if constraints is not None:
        checked = values(z)
        if checked.violation[0] > 0:  # back towards x, if x is feasible
            z, checked = _repair(x, z, values) if start_feasible else (None, None)
            fz = f(z) if z is not None else np.inf
        constr = None if z is None else checked.values[0]
    # Better by the feasibility rules: feasible (every z kept so far is), and of less value
    # unless the search's best was infeasible.
    better = z is not None and (fz < fun or not start_feasible)
    return Polished(z if better else None, fz, constr if better else None, counts["f"],
                    counts["c"])


def _repair(feasible: NDArray, outside: NDArray, values):
    """The last feasible point found on the segment from ``feasible`` to ``outside``."""
    low, high = 0.0, 1.0  # fractions of the way: low feasible, high not
    best = None
    for _ in range(REPAIR_STEPS):
        mid = 0.5 * (low + high)
        checked = values(feasible + mid * (outside - feasible))
        if checked.violation[0] == 0:
            low, best = mid, checked
        else:
            high = mid
    if best is None:
        return None, None
    return feasible + low * (outside - feasible), best


# -- what minimize and resume do with it -------------------------------------------------
#: By default, a run polishes only when its budget is at least this many polishes.
POLISH_SHARE = 3


def polish_by_default(constraints, dist: Distribution, bounds, max_evals: int | None,
                      reserved: bool = False) -> bool:
    """Whether a run polishes when ``polish`` is not given: with constraints, over real
    numbers (measured on bbob-constrained: docs/constraints.md), and a budget of at least
    :data:`POLISH_SHARE` polishes (``reserved``: ``max_evals`` has the polish taken out
    already, as a resumed run's has)."""
    integral = isinstance(bounds, Box) and bool(bounds.integral.any())
    room = POLISH_SHARE - 1 if reserved else POLISH_SHARE
    return (constraints is not None and not dist.discrete and not integral
            and (max_evals is None or max_evals >= room * polish_budget(dist.dim)))


def reserve_polish(dist: Distribution, bounds, integrality, solver_options: dict) -> None:
    """Check that ``polish=True`` applies, and keep its evaluations out of ``max_evals``."""
    if dist.discrete or integrality is not None or (isinstance(bounds, Box)
                                                    and bounds.integral.any()):
        raise ValueError("polish=True finishes a search over real numbers: leave it out for "
                         "discrete or integer variables")
    if bounds is not None and not isinstance(bounds, Box):
        raise ValueError("polish=True keeps box bounds only: leave it out with a handler of "
                         "your own")
    max_evals = solver_options.get("max_evals")
    if max_evals is not None:
        solver_options["max_evals"] = integer("max_evals", max_evals, 1) - polish_budget(
            dist.dim)
        if solver_options["max_evals"] < 1:
            raise ValueError(f"max_evals={max_evals} leaves nothing for the search after the "
                             f"polish's {polish_budget(dist.dim)} evaluations")


def polish_result(result: OptimizeResult, solver: CrossEntropy, evaluator: Evaluator,
                  constraints: Constraints | None, bounds) -> None:
    """``result`` after the polish: its point and value replaced if it found better, its
    counts and message updated."""
    sign = -1.0 if solver.maximize else 1.0
    with evaluator:
        done = polish(lambda z: sign * evaluator(z[None])[0], result.x, sign * result.fun,
                      solver.dist.spread, polish_budget(solver.dim), constraints, bounds)
    result.nfev += done.nfev
    if constraints is not None:
        result.constr_nfev += done.constr_nfev
    if done.x is None:
        result.message += f"; the polish ({done.nfev} evaluations) found nothing better"
        return
    result.x, result.fun = done.x, sign * done.fun
    result.message += f"; polished by COBYQA ({done.nfev} evaluations)"
    if constraints is not None:
        result.constr, result.constr_violation = done.constr, 0.0
        if "no feasible point found" in result.message:  # success stays the search's
            result.message += ", and the polish found one"

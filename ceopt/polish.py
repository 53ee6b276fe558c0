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
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, NonlinearConstraint
from scipy.optimize import minimize as scipy_minimize

from .constraints import Constraints


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

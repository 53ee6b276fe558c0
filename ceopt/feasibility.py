"""What a run does with its constraints: Deb's feasibility rules as one ranking value per
sample, the best row by the same rules, and the counting (:class:`ConstraintCheck`).

A feasible sample beats an infeasible one; feasible samples rank by their loss, infeasible
ones by their violation (:mod:`ceopt.constraints` measures it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .constraints import Constraints, ConstraintValues

#: With constraints_first, a run stops when its constraint evaluations would pass this many
#: times ``max_evals`` (which then counts the objective's only): else a problem whose samples
#: are never feasible would run for ever.
CONSTRAINT_EVALS_CAP = 10


def feasibility_first(losses: NDArray[np.float64], violation: NDArray[np.float64],
                      offset: float = 0.0) -> NDArray[np.float64]:
    """Deb's rules as one ranking value per sample: a feasible sample ranks by its loss, every
    infeasible one after the worst feasible loss (and after ``offset``), by its violation,

        ranking = loss                                            (feasible)
                = max(offset, worst feasible loss) + violation    (infeasible),

    so that elite selection (by sorting) puts every feasible sample first. NaN losses stay
    NaN (never elites)."""
    feasible = violation == 0
    known = feasible & np.isfinite(losses)
    worst = float(losses[known].max()) if known.any() else -np.inf
    return np.where(feasible, losses, max(offset, worst) + violation)


def best_row(losses: NDArray[np.float64], violation: NDArray[np.float64]) -> int | None:
    """The population's best sample by Deb's rules: the feasible one of least loss, else the
    least infeasible (the first, if tied); None if every loss is NaN."""
    numbers = np.flatnonzero(~np.isnan(losses))
    if not numbers.size:
        return None
    order = np.lexsort((losses[numbers], violation[numbers]))  # violation first, then loss
    return int(numbers[order[0]])


@dataclass(frozen=True)
class Ranked:
    """A population ranked by :meth:`ConstraintCheck.rank`: its ranking values, its best row
    by Deb's rules (None if every loss is NaN), and that row's violation and constraint
    values."""

    ranking: NDArray[np.float64]
    best: int | None
    violation: float = 0.0
    constr: NDArray | None = None
    feasible: NDArray[np.bool_] | None = None  # which rows are (None: no constraints)


class ConstraintCheck:
    """What a run does with its constraints: evaluates them at the points told and counts
    them (``nfev``), and keeps the bounds of their components (known once evaluated) to
    measure a point's violation later."""

    def __init__(self, constraints: Constraints, first: bool = False):
        self.constraints = constraints
        #: ``constraints_first``: the objective is evaluated at feasible samples only.
        self.first = bool(first)
        self.nfev = 0
        self.lb: NDArray | None = None
        self.ub: NDArray | None = None
        #: Where infeasible samples start ranking: the worst finite loss of the first
        #: population. A constant keeps the ranking values of infeasible samples comparable
        #: from one population to the next, which the scale control and the elite threshold's
        #: stagnation test need: with each population's own worst feasible loss, or 0 until a
        #: feasible sample appeared, the threshold wandered and 2 of 5 seeds of a 2-d problem
        #: stopped as stagnant after 130 evaluations. The loss scale of the search's start
        #: keeps violations as small as its last steps above the offset's rounding.
        self.offset: float | None = None

    @classmethod
    def of(cls, constraints: Any, dim: int, first: bool = False) -> ConstraintCheck | None:
        """The check of a run's ``constraints`` (a spec is evaluated point by point); None
        for none (``first``, constraints_first, then refused)."""
        if constraints is None:
            if first:
                raise ValueError("constraints_first=True needs constraints=")
            return None
        if not isinstance(constraints, Constraints):
            constraints = Constraints(constraints, dim)
        return cls(constraints, first)

    def evaluate(self, X: NDArray, chunks: Any = None) -> ConstraintValues:
        """The constraints at the rows of ``X`` (on the workers ``chunks`` maps over), counted."""
        values = self.constraints.evaluate(X, chunks)
        self.nfev += X.shape[0]
        return values

    def over(self, max_evals: int, batch: int) -> bool:
        """Whether evaluating the constraints on ``batch`` more points would pass their cap:
        :data:`CONSTRAINT_EVALS_CAP` times ``max_evals`` with ``constraints_first`` (which
        counts only the feasible points' evaluations in ``max_evals``), none otherwise."""
        return self.first and self.nfev + batch > CONSTRAINT_EVALS_CAP * max_evals

    @staticmethod
    def no_sweeps(separable: Any) -> bool:
        """``separable`` for a constrained run: False (coordinate sweeps ignore constraints)."""
        if separable:
            raise ValueError("separable=True sweeps coordinates one at a time, which "
                             "constraints do not allow: leave separable out")
        return False

    @classmethod
    def restored(cls, saved: dict[str, Any] | None, constraints: Any,
                 dim: int) -> ConstraintCheck | None:
        """The check of a run continued from its ``saved`` state, with its ``constraints``
        given again (functions are not saved)."""
        if (saved is None) != (constraints is None):
            raise ValueError("this run had constraints: pass the same constraints= to continue "
                             "it" if constraints is None else
                             "this run had no constraints: continue it without constraints=")
        check = cls.of(constraints, dim)
        if check is not None:
            check.load_state(saved)
        return check

    def rank(self, X: NDArray, losses: NDArray[np.float64], told: Any = None) -> Ranked:
        """Evaluate the constraints at ``X`` (unless ``told`` gives their values) and rank its
        ``losses`` feasible first (:func:`feasibility_first` from :attr:`offset`, 0 until a
        loss is finite)."""
        if told is None:
            values = self.evaluate(X)
        else:
            values = self.constraints.told(told, X)
        self.lb, self.ub = values.lb, values.ub
        violation = values.violation
        known = np.isfinite(losses)
        if self.offset is None and known.any():
            self.offset = float(losses[known].max())
        ranking = feasibility_first(losses, violation, 0.0 if self.offset is None else
                                    self.offset)
        row = best_row(losses, violation)
        if row is None:
            return Ranked(ranking, None, feasible=violation == 0)
        return Ranked(ranking, row, float(violation[row]), values.values[row], violation == 0)

    def largest_violation(self, constr: NDArray | None) -> float:
        """The largest distance of one point's constraint values outside their bounds (what
        scipy calls ``constr_violation``)."""
        if constr is None or self.lb is None:
            return 0.0
        return float(ConstraintValues(constr[None], self.lb, self.ub).outside.max(initial=0.0))

    def annotate(self, result: Any, best: Any) -> None:
        """scipy's fields of a constrained result, from the run's best point ``best``
        (:class:`ceopt.history.Best`): ``constr`` (the constraints' values at ``x``),
        ``constr_violation`` (their largest violation there) and ``constr_nfev``; a run that
        found no feasible point has not succeeded, and its message says so."""
        result.constr = best.constr
        result.constr_violation = self.largest_violation(best.constr)
        result.constr_nfev = self.nfev
        if best.violation > 0:
            result.success = False
            result.message += (f"; no feasible point found (the least infeasible, returned, "
                               f"violates the constraints by {best.violation:.3g}"
                               f"{self._which(best.constr)})")

    def _which(self, constr: NDArray | None) -> str:
        """Which constraints ``constr`` (one point's values) violates, as a message's end."""
        labels = None if constr is None else self.constraints.labels(constr.size)
        if labels is None or self.lb is None:
            return ""
        outside = ConstraintValues(constr[None], self.lb, self.ub).outside[0]
        named = []
        for j in np.flatnonzero(outside > 0):
            equality = " (an equality, held within 1e-6 of its target: discrete or integer " \
                       "variables may never meet it)" if self.lb[j] == self.ub[j] else ""
            if labels[j] + equality not in named:
                named.append(labels[j] + equality)
        return ": " + ", ".join(named)

    def state(self) -> dict[str, Any]:
        return {"nfev": self.nfev, "lb": self.lb, "ub": self.ub, "offset": self.offset,
                "first": self.first, "n_failed": self.constraints.n_failed,
                "messages": list(self.constraints.messages)}

    def load_state(self, state: dict[str, Any]) -> None:
        self.nfev = int(state["nfev"])
        self.first = bool(state.get("first", False))
        self.constraints.n_failed = int(state.get("n_failed", 0))
        self.constraints.messages = list(state.get("messages", []))
        self.lb = None if state["lb"] is None else np.asarray(state["lb"], dtype=np.float64)
        self.ub = None if state["ub"] is None else np.asarray(state["ub"], dtype=np.float64)
        self.offset = None if state["offset"] is None else float(state["offset"])

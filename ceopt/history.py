"""What a run remembers of itself: its best point, and one row of numbers per iteration."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

FIELDS = ("nfev", "gamma", "best", "mean", "spread", "feasible", "search")

#: The ``search`` of iterations that a checkpoint from before it was recorded does not place
#: (the run had restarted by then, and it did not say where).
UNKNOWN_SEARCH = -1


class Best:
    """The best point told so far and its loss (``x`` None before the first tell); with
    constraints, also its ``violation`` (0: feasible) and constraint values ``constr``, and
    "best" is Deb's: any feasible point beats any infeasible one, which rank by violation."""

    def __init__(self) -> None:
        self.x: NDArray | None = None
        self.loss = np.inf
        self.violation = 0.0
        self.constr: NDArray | None = None

    def note(self, X: NDArray, losses: NDArray, row: int | None, violation: float = 0.0,
             constr: NDArray | None = None) -> None:
        """Row ``row`` of X becomes the best point if it beats it (or is the first told).
        ``row`` is None when every value is NaN: then X[0] becomes the first best point, at
        loss inf, as a population of infinities would make it."""
        if row is None:
            if self.x is None:
                self.loss, self.x = np.inf, X[0].copy()
            return
        if (self.x is None or violation < self.violation
                or (violation == self.violation and losses[row] < self.loss)):
            self.loss = float(losses[row])
            self.x = np.array(X[row], copy=True)
            self.violation = float(violation)
            self.constr = None if constr is None else np.array(constr, copy=True)

    def state(self) -> dict[str, Any]:
        return {"x": self.x, "loss": self.loss, "violation": self.violation,
                "constr": self.constr}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Best:
        best = cls()
        best.x = None if state["x"] is None else np.array(state["x"])
        best.loss = float(state["loss"])
        best.violation = float(state.get("violation", 0.0))  # none before constraints
        best.constr = None if state.get("constr") is None else np.array(state["constr"])
        return best


class History:
    """Per iteration: evaluations so far, the elite threshold, the best value so far, the mean
    of the population's finite values (all in the user's sign), the distribution's spread,
    the fraction of the population that was feasible (1 without constraints), and the local
    search the iteration belongs to (the restarts made before it: 0 until the first)."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def append(self, nfev: int, gamma: float, best: float, mean: float, spread: float,
               feasible: float = 1.0, search: int = 0) -> None:
        self.rows.append((nfev, gamma, best, mean, spread, feasible, search))

    @property
    def last_gamma(self) -> float:
        return self.rows[-1][1] if self.rows else np.nan

    def columns(self) -> dict[str, NDArray]:
        """One array per field (what ``result().history`` holds)."""
        if not self.rows:
            return {name: np.array([]) for name in FIELDS}
        return {name: np.array(col) for name, col in zip(FIELDS, zip(*self.rows, strict=True),
                                                        strict=True)}

    def state(self) -> dict[str, Any]:
        return self.columns()

    @classmethod
    def from_state(cls, state: dict[str, Any], nrestarts: int | None = None) -> History:
        """The history :meth:`state` saved; ``nrestarts``, the run's restarts when it was
        saved, places the iterations of a checkpoint that predates the ``search`` column."""
        history = cls()
        n = len(state["nfev"])
        # Older checkpoints lack the later columns. Without "feasible" (before constraints)
        # every sample was. Without "search", a run that had not restarted was in its first
        # search throughout; one that had did not record where, so none of its rows is placed.
        missing = {"feasible": np.ones(n),
                   "search": np.full(n, 0 if nrestarts == 0 else UNKNOWN_SEARCH)}
        columns = [np.asarray(state[name]) if name in state else missing[name]
                   for name in FIELDS]
        history.rows = list(zip(*columns, strict=True))
        return history

"""Why a run stops, and when a local search has ended.

:class:`~ceopt.CrossEntropy` checks its stopping criteria in a fixed order. The first ones end
the run whatever happens: a callback, ``ftarget``, the budget, ``max_iter`` and divergence.
The last three, :meth:`LocalSearchRecord.ended`, only say that the current local search has
converged; while restarts remain, that starts the next local search instead of stopping the
run.

Each reason is a :class:`StopReason`; ``result().status`` is its code. ``success`` is
overridden by ``ftarget`` when one is given (see ``CrossEntropy.result``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .distributions import Distribution


@dataclass(frozen=True)
class StopReason:
    """Why a run stopped: ``status`` is ``result().status``, ``message`` what ``stop()`` says."""

    status: int
    success: bool
    message: str


FTARGET = StopReason(0, True, "ftarget reached")
COLLAPSED = StopReason(1, True, "converged: the distribution's spread fell below tol_spread")
STAGNATED = StopReason(2, True, "converged: the elite threshold has not improved for "
                                "`patience` iterations")
MAX_EVALS = StopReason(3, False, "max_evals reached: the next population would exceed the "
                                 "budget")
MAX_ITER = StopReason(4, False, "max_iter reached")
CALLBACK = StopReason(5, False, "stopped by the callback")
DIVERGED = StopReason(6, False, "diverged: the spread grew past 1e100 (is the objective "
                                "unbounded?)")
FLAT = StopReason(7, True, "converged: the values of the population and of the recent best "
                           "lie within tol_fun")
#: A local search of BIPOP's small-population regime used its share of the budget; a run that
#: stops there has spent its budget on restarts (status 3, as ``MAX_EVALS``).
SHARE_SPENT = StopReason(3, True, "max_evals reached: the last restart spent its share of the "
                                  "budget, and no further restart fits")
#: A local search spent ``search_evals`` evaluations (a constrained run's searches are cut so,
#: to leave room for a local method after each: :mod:`ceopt.polish`) and no restart fits.
SEARCH_SPENT = StopReason(8, True, "search_evals reached: the last local search spent its "
                                   "evaluations, and no further restart fits")
#: With ``constraints_first``, the constraint evaluations reached their cap (a multiple of
#: max_evals) before the objective's did.
CONSTRAINT_EVALS = StopReason(3, False, "max_evals reached: the constraint evaluations would "
                                        "exceed their cap (constraints_first)")
RUNNING = StopReason(-1, False, "running: no stopping criterion has been met")

#: Spread beyond which the run stops as diverged, long before float64 overflows (~1e154 for a
#: standard deviation). The previous-mean update grows the spread on an unbounded slope.
MAX_SPREAD = 1e100


def flat_window(dim: int, popsize: int) -> int:
    """How many iterations' best values ``tol_fun`` compares: ``10 + ceil(30 d / popsize)``
    (pycma's), so that a small population is watched over more iterations."""
    return 10 + math.ceil(30 * dim / popsize)


@dataclass(frozen=True)
class Convergence:
    """When a local search has converged (the settings; :class:`LocalSearchRecord` the
    record). ``spread_tol`` is absolute: ``tol_spread`` times the initial spread above the
    family's floor; ``search_evals`` (None: no limit) ends a local search after that many
    evaluations."""

    spread_tol: float
    patience: int
    tol_fun: float
    search_evals: int | None = None


class LocalSearchRecord:
    """What the end of one local search is judged by; a restart starts a new record.

    - ``best_gamma``, ``since_gamma_improved``: the best elite threshold (a loss) and how many
      iterations ago it last improved (stagnation);
    - ``recent_best``, ``value_range``: the best loss of each recent iteration, and the range
      of the last population's values (flat values, ``tol_fun``).
    """

    def __init__(self) -> None:
        self.best_gamma = np.inf
        self.since_gamma_improved = 0
        self.recent_best: list[float] = []
        self.value_range = np.inf

    def note(self, gamma: float, finite: NDArray, window: int) -> None:
        """One more iteration: its elite threshold ``gamma`` and its finite losses, and how
        many iterations' best losses ``tol_fun`` compares (:func:`flat_window`)."""
        if gamma < self.best_gamma:
            self.best_gamma = float(gamma)
            self.since_gamma_improved = 0
        else:
            self.since_gamma_improved += 1
        if finite.size:
            self.value_range = float(finite.max() - finite.min())
            self.recent_best.append(float(np.min(finite)))
            del self.recent_best[:-window]

    def ended(self, dist: Distribution, convergence: Convergence,
              window: int) -> StopReason | None:
        """The reason the local search sampling from ``dist`` has ended, or None."""
        # Collapse: the spread left above the family's floor is negligible.
        if dist.spread_above_floor <= convergence.spread_tol:
            return COLLAPSED
        # Stagnation: the elite threshold (not the best value, which can improve by luck) has
        # not improved for `patience` iterations; typical of converged discrete problems.
        if self.since_gamma_improved >= convergence.patience:
            return STAGNATED
        # Flat values: the population and the best of each of the last `window` iterations
        # differ by less than tol_fun, so the values no longer guide the search.
        recent = self.recent_best
        if (convergence.tol_fun > 0 and len(recent) >= window
                and max(self.value_range, max(recent) - min(recent)) <= convergence.tol_fun):
            return FLAT
        return None

    def state(self) -> dict[str, Any]:
        return {"best_gamma": self.best_gamma, "since_gamma_improved": self.since_gamma_improved,
                "recent_best": list(self.recent_best), "value_range": self.value_range}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> LocalSearchRecord:
        record = cls()
        record.best_gamma = float(state["best_gamma"])
        record.since_gamma_improved = int(state["since_gamma_improved"])
        record.recent_best = [float(v) for v in state["recent_best"]]
        record.value_range = float(state["value_range"])
        return record

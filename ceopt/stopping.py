"""Why a run stops, and when a local search has ended.

:class:`~ceopt.CrossEntropy` checks its stopping criteria in a fixed order (its ``_reason``).
The first ones end the run whatever happens: a callback, ``ftarget``, the budget, ``max_iter``
and divergence. The last three, :meth:`LocalSearchRecord.ended`, only say that the current
local search has converged. While restarts remain, that starts the next local search instead
of stopping the run.

Each reason is a ``(status, success, message)`` triple; ``result().status`` is its code.
``success`` is overridden by ``ftarget`` when one is given (see ``CrossEntropy.result``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .distributions import Distribution

FTARGET = (0, True, "ftarget reached")
COLLAPSED = (1, True, "converged: the distribution's spread fell below tol_spread")
STAGNATED = (2, True, "converged: the elite threshold has not improved for `patience` iterations")
MAX_EVALS = (3, False, "max_evals reached: the next population would exceed the budget")
MAX_ITER = (4, False, "max_iter reached")
CALLBACK = (5, False, "stopped by the callback")
DIVERGED = (6, False, "diverged: the spread grew past 1e100 (is the objective unbounded?)")
FLAT = (7, True, "converged: the values of the population and of the recent best lie within "
        "tol_fun")
RUNNING = (-1, False, "running: no stopping criterion has been met")

#: Spread beyond which the run stops as diverged, long before float64 overflows (~1e154 for a
#: standard deviation). The previous-mean update grows the spread on an unbounded slope.
MAX_SPREAD = 1e100


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

    def note(self, gamma: float, finite: NDArray, sign: float, window: int) -> None:
        """One more iteration: its elite threshold ``gamma`` (a loss), its finite values in
        the user's sign (``sign * finite`` are losses), and how many iterations' best values
        ``tol_fun`` compares (:func:`ceopt.adaptation.flat_window`)."""
        if gamma < self.best_gamma:
            self.best_gamma = float(gamma)
            self.since_gamma_improved = 0
        else:
            self.since_gamma_improved += 1
        if finite.size:
            self.value_range = float(finite.max() - finite.min())
            self.recent_best.append(float(np.min(sign * finite)))
            del self.recent_best[:-window]

    def ended(self, dist: Distribution, spread_tol: float, *, patience: int, tol_fun: float,
              window: int) -> tuple | None:
        """The reason the local search sampling from ``dist`` has ended, or None."""
        # Collapse: the spread left above the family's floor is negligible.
        if dist.spread - dist.min_spread <= spread_tol:
            return COLLAPSED
        # Stagnation: the elite threshold (not the best value, which can improve by luck) has
        # not improved for `patience` iterations; typical of converged discrete problems.
        if self.since_gamma_improved >= patience:
            return STAGNATED
        # Flat values: the population and the best of each of the last `window` iterations
        # differ by less than tol_fun, so the values no longer guide the search.
        recent = self.recent_best
        if (tol_fun > 0 and len(recent) >= window
                and max(self.value_range, max(recent) - min(recent)) <= tol_fun):
            return FLAT
        return None

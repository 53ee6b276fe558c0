"""BIPOP: IPOP's doubling populations alternated with small, narrow restarts (Hansen, 2009).

After the first run, each restart is in one of two regimes, whichever has spent fewer
evaluations so far (the first run counts for neither):

- **large**: the k-th such restart has ``2^k`` times the initial population and the initial
  spread, as IPOP's k-th restart;
- **small**: a population between the initial one and the last large one,
  ``popsize0 * (large / popsize0) ** (u**2)`` with ``u`` uniform in [0, 1) (small ones are
  likelier), the spread times ``10 ** (-2 v)`` with ``v`` uniform (a location-scale family;
  others keep theirs), and at most half of the last large restart's evaluations.

Every restart starts about a uniformly random point of a finite box. The large regime finds
the global structure of a multimodal function; the small one refines many local basins
cheaply, which helps where the landscape is weakly structured.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..distributions import LocationScale
from ..local_search import Search
from .base import Progress, Schedule


class BIPOP(Schedule):
    name = "bipop"

    def __init__(self, *, max_restarts: int | None = None):
        super().__init__(max_restarts=max_restarts)
        self.large_restarts = 0  # restarts in the large regime so far
        self.budget_large = 0  # evaluations spent in each regime
        self.budget_small = 0
        self.regime = "first"  # of the running local search
        self.started_at = 0  # the run's evaluations when it started
        self.last_large = 0  # evaluations of the last large restart

    def first(self, progress: Progress) -> Search:
        self.regime, self.started_at = "first", progress.nfev
        return super().first(progress)

    def _budgets(self, progress: Progress) -> tuple[int, int, int]:
        """The regimes' budgets and the last large restart's evaluations, counting the
        running local search's."""
        spent = progress.nfev - self.started_at
        large, small, last = self.budget_large, self.budget_small, self.last_large
        if self.regime == "large":
            large, last = large + spent, spent
        elif self.regime == "small":
            small += spent
        return large, small, last

    def can_restart(self, ended: Search, progress: Progress) -> bool:
        large, small, _ = self._budgets(progress)
        if small < large:  # the small population is drawn later: it is at least popsize
            return progress.fits(self.popsize)
        return progress.fits(self.popsize * 2 ** (self.large_restarts + 1))

    def restart(self, ended: Search, progress: Progress, rng: np.random.Generator) -> Search:
        self.budget_large, self.budget_small, self.last_large = self._budgets(progress)
        self.started_at = progress.nfev
        dist = self.start_anywhere(rng)
        if self.budget_small < self.budget_large:
            self.regime = "small"
            largest = self.popsize * 2 ** self.large_restarts
            popsize = int(self.popsize * (largest / self.popsize) ** (rng.uniform() ** 2))
            popsize = max(self.popsize, min(popsize, int(progress.evals_left)))
            n_elite = min(popsize - 1, max(self.n_elite,
                                           round(popsize * self.n_elite / self.popsize)))
            narrower = 10.0 ** (-2.0 * rng.uniform())
            if isinstance(dist, LocationScale):
                dist = dist.scaled(narrower)
            share = max(self.last_large // 2, popsize)
            return self.settings.local(dist, popsize, n_elite, max_evals=share)
        self.regime = "large"
        self.large_restarts += 1
        growth = 2 ** self.large_restarts
        return self.settings.local(dist, self.popsize * growth, self.n_elite * growth)

    _COUNTERS = ("large_restarts", "budget_large", "budget_small", "started_at", "last_large")

    def state(self) -> dict[str, Any]:
        return {**super().state(), "regime": self.regime,
                **{name: getattr(self, name) for name in self._COUNTERS}}

    def load_state(self, state: dict[str, Any]) -> None:
        self.regime = str(state["regime"])
        for name in self._COUNTERS:
            setattr(self, name, int(state[name]))

"""IPOP: restart from the initial spread with twice the population (Auger & Hansen, 2005).

When a local search converges and the budget holds a population twice as large, the run
starts again from the initial distribution, about a uniformly random point of a finite box
(at the initial mean without one), with the population and the number of elites doubled. The
best point so far is the run's and survives every restart. A larger population sees more of a
multimodal landscape's global structure; doubling spends at most about half of the budget on
the searches before the last one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import integer
from ..local_search import Search
from .base import Progress, Schedule

#: Each restart multiplies the population (and the number of elites) by this.
GROWTH = 2


class IPOP(Schedule):
    """``growth``: the factor of each restart's population (1: restarts of the same size)."""

    name = "ipop"

    def __init__(self, *, max_restarts: int | None = None, growth: int = GROWTH):
        super().__init__(max_restarts=max_restarts)
        self.growth = integer("growth", growth, 1)

    def can_restart(self, ended: Search, progress: Progress) -> bool:
        return progress.fits(ended.popsize * self.growth)

    def restart(self, ended: Search, progress: Progress, rng: np.random.Generator) -> Search:
        return self.settings.local(self.start_anywhere(rng), ended.popsize * self.growth,
                                   ended.n_elite * self.growth)

    def state(self) -> dict[str, Any]:
        return {**super().state(), "growth": self.growth}

    @classmethod
    def from_state(cls, state: dict[str, Any], settings) -> IPOP:
        schedule = super().from_state(state, settings)
        schedule.growth = int(state["growth"])
        return schedule

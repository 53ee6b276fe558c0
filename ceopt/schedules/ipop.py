"""IPOP: restart from the initial spread with twice the population (Auger & Hansen, 2005).

When a local search converges and the budget holds a population twice as large, the run
starts again from the initial distribution, about a uniformly random point of a finite box
(at the initial mean without one), with the population and the number of elites doubled. The
best point so far is the run's and survives every restart. A larger population sees more of a
multimodal landscape's global structure; doubling spends at most about half of the budget on
the searches before the last one.
"""

from __future__ import annotations

import numpy as np

from ..local_search import Search
from .base import Progress, Schedule

#: Each restart multiplies the population (and the number of elites) by this.
GROWTH = 2


class IPOP(Schedule):
    name = "ipop"

    def can_restart(self, ended: Search, progress: Progress) -> bool:
        return progress.fits(ended.popsize * GROWTH)

    def restart(self, ended: Search, progress: Progress, rng: np.random.Generator) -> Search:
        return self.settings.local(self.start_anywhere(rng), ended.popsize * GROWTH,
                                   ended.n_elite * GROWTH)

"""How many episodes each candidate of policy search plays: a fixed number, or ``"auto"``.

A candidate's score is the mean return of its episodes. Where returns are noisy (FrozenLake's
slippery ice pays 0 or 1), one episode ranks candidates almost at random, and the elites are
the lucky ones. Under ``"auto"`` a population is not told until its ranking is mostly signal:
the mean within-candidate variance ``w`` of the returns over the episodes ``e`` is the noise in
a score, and the variance of the scores across candidates is the signal ``s`` plus that noise.
While noise is more than :data:`NOISE_SHARE` of it, the candidates play more episodes, up to
``w (1 - share) / (share s)`` (doubling while no signal shows), at most ``maximum``; every
episode played counts in the score. The next population starts with the episodes this one
needed (fewer when it needed less than half), never below :data:`MIN_EPISODES`, the fewest
that measure the noise. Deterministic returns (no within-candidate variance, different
scores) need the fewest.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from .._checks import integer

#: The largest share of noise in the variance of the scores a population is told with.
NOISE_SHARE = 0.25
#: The fewest episodes of ``"auto"``: two measure the within-candidate variance.
MIN_EPISODES = 2
#: The most episodes of ``"auto"`` by default.
MAX_EPISODES = 64


class EpisodeCount:
    """``count`` episodes per candidate to start a population with; under ``"auto"``
    (``adaptive``) :meth:`more` says how many to add before it is told."""

    def __init__(self, episodes: int | str, maximum: int = MAX_EPISODES):
        self.adaptive = episodes == "auto"
        if self.adaptive:
            self.count = MIN_EPISODES
            self.maximum = integer("max_episodes", maximum, MIN_EPISODES)
        elif isinstance(episodes, str):
            raise ValueError(f"episodes must be a positive int or 'auto', got {episodes!r}")
        else:
            self.count = self.maximum = integer("episodes", episodes, 1)

    def more(self, returns: NDArray) -> int:
        """Episodes each candidate should add to its ``returns`` (shape ``(candidates,
        episodes)``) before the population is told; 0 when it is ready, and then the next
        population's start is set."""
        n, e = returns.shape
        if not self.adaptive or n < 2:
            return 0
        if not np.all(np.isfinite(returns)):
            raise ValueError("episode returns must be finite to choose the episodes "
                             "(episodes='auto')")
        wanted = self._wanted(returns)
        if wanted > e and e < self.maximum:
            return min(wanted, self.maximum) - e
        self.count = e if wanted >= e / 2 else max(wanted, MIN_EPISODES)
        return 0

    @staticmethod
    def _wanted(returns: NDArray) -> int:
        """The episodes at which noise is :data:`NOISE_SHARE` of the scores' variance."""
        e = returns.shape[1]
        within = float(returns.var(axis=1, ddof=1).mean())  # one episode's noise
        total = float(returns.mean(axis=1).var(ddof=1))
        signal = total - within / e
        if within == 0:  # deterministic, or no return differs yet: then look harder
            return MIN_EPISODES if total > 0 else 2 * e
        if signal <= 0:  # nothing but noise
            return 2 * e
        return math.ceil(within * (1 - NOISE_SHARE) / (NOISE_SHARE * signal))

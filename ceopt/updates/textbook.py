"""Method ``"textbook"``: the plain CE update, kept as the baseline it is.

    q_fit = argmax_q sum_{elites} w_k log q(x_k)          (the family's own weighted MLE)
    q_new = smoothing * q_fit + (1 - smoothing) * q

For a Gaussian the spread is fitted about the elites' own mean ("EMNA"), which shrinks every
iteration and converges prematurely on curved or ill-conditioned problems
(``docs/ce-method.md``, "Why textbook CE stalls"). Presets: 10 % elites of at least 50
samples, equal weights, smoothing 0.7.
"""

from __future__ import annotations

from numpy.typing import NDArray

from ..distributions import Distribution
from .base import UpdateRule


class Textbook(UpdateRule):
    name = "textbook"

    def _step(self, dist: Distribution, X: NDArray, elites: NDArray,
              ranking: NDArray) -> Distribution:
        fitted = dist.fit(X[elites], self.elite_weights)
        return dist.smooth(fitted, self.smoothing, **self._spread_terms(ranking, dist, fitted))

"""The standard normal moved to another mean, ``N(mean, I)``: importance sampling's classic
proposal in the standard space of reliability analysis.

Only the mean is fitted (the weighted MLE of a mean with a known unit covariance is the
weighted sample mean), so the fit needs ``d`` parameters where a diagonal Gaussian needs ``2d``
and a full one ``d(d+3)/2``. In hundreds of dimensions that is what a budget can pay for:
the likelihood ratio against ``N(0, I)`` is ``exp(-mean·u + |mean|^2 / 2)``, whose spread
depends on the shift alone, not on the dimension, while a fitted spread in every coordinate
multiplies small errors across all of them (``docs/reliability.md``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._base import (
    Distribution,
    check_alpha,
    check_same_family,
    check_samples,
    frozen,
    normalized_weights,
    short,
)
from ._normal import LOG_2PI, mean_vector


class ShiftedNormal(Distribution):
    """``N(mean, I)``: independent unit-variance normals about ``mean``.

    Example
    -------
    >>> import numpy as np
    >>> q = ShiftedNormal(np.zeros(3))
    >>> x = q.sample(100_000, np.random.default_rng(0)) + [1.0, 2.0, 3.0]
    >>> np.round(q.fit(x).mean, 1)
    array([1., 2., 3.])
    """

    __slots__ = ("_mean",)

    def __init__(self, mean: ArrayLike):
        self._mean = frozen(mean_vector(mean))

    @property
    def mean(self) -> NDArray[np.float64]:
        return self._mean

    @property
    def dim(self) -> int:
        return self._mean.size

    @property
    def spread(self) -> float:
        return 1.0

    @property
    def mode(self) -> NDArray[np.float64]:
        return self._mean

    def sample(self, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
        return self._mean + rng.standard_normal((n, self.dim))

    def log_prob(self, x: ArrayLike) -> NDArray[np.float64]:
        dev = check_samples(x, self.dim).astype(np.float64, copy=False) - self._mean
        return -0.5 * (np.einsum("ij,ij->i", dev, dev) + self.dim * LOG_2PI)

    def fit(self, x: ArrayLike, weights: ArrayLike | None = None) -> ShiftedNormal:
        x = check_samples(x, self.dim).astype(np.float64, copy=False)
        if not np.all(np.isfinite(x)):
            raise ValueError("samples to fit must be finite")
        return ShiftedNormal(normalized_weights(weights, x.shape[0]) @ x)

    def smooth(self, new: ShiftedNormal, alpha: float) -> ShiftedNormal:
        check_same_family(self, new)
        a = check_alpha(alpha)
        return ShiftedNormal(a * new.mean + (1 - a) * self._mean)

    def support(self) -> NDArray[np.bool_]:
        return np.ones((self.dim, 2), dtype=bool)

    def entropy(self) -> float:
        return 0.5 * self.dim * (1.0 + LOG_2PI)

    def state(self) -> dict[str, Any]:
        return {"mean": self._mean}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ShiftedNormal:
        return cls(state["mean"])

    def __repr__(self) -> str:
        return f"ShiftedNormal(dim={self.dim}, mean={short(self._mean)})"

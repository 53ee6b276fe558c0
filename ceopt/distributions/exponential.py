"""Independent exponential variables: the family of the CE method's network examples.

Coordinate ``j`` has density ``exp(-x / mean_j) / mean_j`` on ``x >= 0``. The weighted MLE of
each mean is the weighted sample mean,

    mean_j = sum_k w_k x_kj / sum_k w_k,

and smoothing mixes the means linearly. A floor ``min_mean`` keeps a coordinate whose elites
are all (near) zero from collapsing onto a point mass at 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._checks import float_array
from ._base import (
    Distribution,
    check_alpha,
    check_same_family,
    check_samples,
    frozen,
    normalized_weights,
    short,
)

#: Default floor of every mean.
DEFAULT_MIN_MEAN = 1e-12


class Exponential(Distribution):
    """``dim`` independent exponential variables with means ``mean`` (scale, not rate).

    Example
    -------
    >>> import numpy as np
    >>> e = Exponential([0.25, 0.4, 0.1])
    >>> x = e.sample(100_000, np.random.default_rng(0))
    >>> np.round(e.fit(x).mean, 2)                  # the MLE is the sample mean
    array([0.25, 0.4 , 0.1 ])
    """

    __slots__ = ("_mean", "_min_mean")

    def __init__(self, mean: ArrayLike, *, min_mean: float = DEFAULT_MIN_MEAN):
        mean = float_array("mean", mean)
        if mean.ndim != 1 or mean.size == 0:
            raise ValueError(f"mean must be a non-empty 1-D array, got shape {mean.shape}")
        min_mean = float(min_mean)
        if not (np.isfinite(min_mean) and min_mean >= 0):
            raise ValueError(f"min_mean must be finite and non-negative, got {min_mean}")
        if not np.all(np.isfinite(mean) & (mean >= 0)):
            raise ValueError("mean must hold finite non-negative numbers (exponential means)")
        mean = np.maximum(mean, min_mean)
        if np.any(mean == 0):
            raise ValueError("a mean of 0 is a point mass, not an exponential: make it "
                             "positive or give min_mean > 0")
        self._mean = frozen(mean)
        self._min_mean = min_mean

    @property
    def dim(self) -> int:
        return self._mean.size

    @property
    def mean(self) -> NDArray[np.float64]:
        return self._mean

    @property
    def std(self) -> NDArray[np.float64]:
        """An exponential's standard deviation equals its mean."""
        return self._mean

    @property
    def mode(self) -> NDArray[np.float64]:
        return np.zeros(self.dim)

    @property
    def min_mean(self) -> float:
        return self._min_mean

    @property
    def spread(self) -> float:
        return float(self._mean.max())

    @property
    def min_spread(self) -> float:
        return self._min_mean

    @property
    def n_params(self) -> int:
        return self.dim

    @property
    def min_fit_samples(self) -> int:
        return 1

    def sample(self, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
        return rng.exponential(self._mean, size=(n, self.dim))

    def log_prob(self, x: ArrayLike) -> NDArray[np.float64]:
        """Log density; a row with a negative coordinate has log density ``-inf``."""
        x = check_samples(x, self.dim).astype(np.float64)
        terms = -np.log(self._mean) - x / self._mean
        return np.where(np.all(x >= 0, axis=1), terms.sum(axis=1), -np.inf)

    def fit(self, x: ArrayLike, weights: ArrayLike | None = None) -> Exponential:
        x = check_samples(x, self.dim).astype(np.float64)
        if not np.all(np.isfinite(x) & (x >= 0)):
            raise ValueError("Exponential samples must be finite and non-negative")
        w = normalized_weights(weights, x.shape[0])
        mean = w @ x
        if self._min_mean == 0 and np.any(mean == 0):
            raise ValueError("degenerate fit: every weighted sample of a coordinate is 0 "
                             "(give min_mean > 0 to keep a floor)")
        return Exponential(np.maximum(mean, self._min_mean), min_mean=self._min_mean)

    def smooth(self, new: Exponential, alpha: float) -> Exponential:
        check_same_family(self, new)
        a = check_alpha(alpha)
        return Exponential(a * new.mean + (1 - a) * self._mean, min_mean=self._min_mean)

    def moved(self, mean: ArrayLike) -> Exponential:
        """The exponentials with means ``mean`` (an exponential's location is its scale)."""
        mean = float_array("mean", mean)
        if mean.shape != (self.dim,):
            raise ValueError(f"mean must have shape ({self.dim},), got {mean.shape}")
        return Exponential(mean, min_mean=self._min_mean)

    def support(self) -> NDArray[np.bool_]:
        return np.tile([False, True], (self.dim, 1))

    def state(self) -> dict[str, Any]:
        return {"mean": self._mean, "min_mean": self._min_mean}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Exponential:
        return cls(state["mean"], min_mean=state["min_mean"])

    def entropy(self) -> float:
        return float((1.0 + np.log(self._mean)).sum())

    def __repr__(self) -> str:
        return f"Exponential(dim={self.dim}, mean={short(self._mean)})"

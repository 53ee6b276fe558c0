"""Independent categorical variables over the values ``0 .. k-1``.

The weighted MLE is the weighted frequency of each value. A floor ``min_prob`` keeps every
probability away from 0, so that a value the elites have not shown yet can still be drawn:
the fitted frequencies are mixed with the uniform distribution,

    p = min_prob + (1 - k * min_prob) * frequency        (k values per variable),

which keeps each row a probability vector. Smoothing mixes the probabilities linearly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import xlogy

from .._checks import float_array
from ._base import (
    Distribution,
    check_alpha,
    check_floor,
    check_same_family,
    check_samples,
    frozen,
    normalized_weights,
    short,
)


class Categorical(Distribution):
    """``dim`` independent categorical variables over the values ``0 .. k-1``.

    ``probs`` has shape ``(dim, k)``, each row summing to 1; samples are integer indices of
    shape ``(n, dim)``. ``min_prob`` is the floor of the module docstring, by default
    ``1e-3 / (k - 1)`` (so each variable keeps probability 1e-3 of leaving its mode).

    Example
    -------
    >>> import numpy as np
    >>> c = Categorical(np.full((3, 4), 0.25))
    >>> c.sample(2, np.random.default_rng(0)).shape
    (2, 3)
    """

    discrete = True
    __slots__ = ("_probs", "_min_prob")

    def __init__(self, probs: ArrayLike, *, min_prob: float | None = None):
        probs = float_array("probs", probs)
        if probs.ndim != 2 or probs.shape[0] == 0 or probs.shape[1] < 2:
            raise ValueError(
                "probs must have shape (dim, k) with k >= 2 values per variable, got "
                f"{probs.shape} (for a single variable use probs[None, :])")
        if not np.all(np.isfinite(probs) & (probs >= 0)):
            raise ValueError("probs must be finite and non-negative")
        sums = probs.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1) > 1e-8)
        if bad.size:
            raise ValueError(f"each row of probs must sum to 1; row {bad[0]} sums to "
                             f"{sums[bad[0]]:.10g}")
        self._probs = frozen(probs / sums[:, None])
        self._min_prob = check_floor(min_prob, probs.shape[1])

    @property
    def dim(self) -> int:
        return self._probs.shape[0]

    @property
    def k(self) -> int:
        """Number of values each variable takes."""
        return self._probs.shape[1]

    @property
    def probs(self) -> NDArray[np.float64]:
        return self._probs

    @property
    def mode(self) -> NDArray[np.int64]:
        return self._probs.argmax(axis=1)

    @property
    def min_prob(self) -> float:
        return self._min_prob

    @property
    def spread(self) -> float:
        return float((1 - self._probs.max(axis=1)).max())

    @property
    def min_spread(self) -> float:
        return (self.k - 1) * self._min_prob

    @property
    def n_params(self) -> int:
        return self.dim * (self.k - 1)

    @property
    def min_fit_samples(self) -> int:
        return 1

    def sample(self, n: int, rng: np.random.Generator) -> NDArray[np.int64]:
        # Inverse CDF for all variables at once: the value is the number of cumulative
        # probabilities (excluding the last, which may round below 1) that u has passed.
        cum = np.cumsum(self._probs, axis=1)[:, :-1]
        u = rng.random((n, self.dim, 1))
        return (u >= cum).sum(axis=2, dtype=np.int64)

    def _valid(self, x: NDArray) -> NDArray[np.bool_]:
        return (x == np.round(x)) & (x >= 0) & (x < self.k)

    def log_prob(self, x: ArrayLike) -> NDArray[np.float64]:
        """Log mass; a row with a value outside ``0 .. k-1`` has log mass ``-inf``."""
        x = check_samples(x, self.dim)
        valid = self._valid(x)
        idx = np.where(valid, x, 0).astype(np.int64)
        with np.errstate(divide="ignore"):
            terms = np.log(self._probs)[np.arange(self.dim), idx]
        return np.where(valid, terms, -np.inf).sum(axis=1)

    def fit(self, x: ArrayLike, weights: ArrayLike | None = None) -> Categorical:
        x = check_samples(x, self.dim)
        if not np.all(self._valid(x)):
            raise ValueError(f"Categorical samples must be integers in 0 .. {self.k - 1}")
        w = normalized_weights(weights, x.shape[0])
        # Weighted counts of every (variable, value) pair in one bincount over flat indices.
        flat = (x.astype(np.int64) + self.k * np.arange(self.dim)).ravel()
        freq = np.bincount(flat, weights=np.repeat(w, self.dim),
                           minlength=self.dim * self.k).reshape(self.dim, self.k)
        probs = self._min_prob + (1 - self.k * self._min_prob) * freq
        return Categorical(probs / probs.sum(axis=1, keepdims=True), min_prob=self._min_prob)

    def smooth(self, new: Categorical, alpha: float) -> Categorical:
        check_same_family(self, new)
        if new.k != self.k:
            raise ValueError(f"cannot smooth {self.k}-valued with {new.k}-valued variables")
        a = check_alpha(alpha)
        return Categorical(a * new.probs + (1 - a) * self._probs, min_prob=self._min_prob)

    def support(self) -> NDArray[np.bool_]:
        return self._probs > 0

    def state(self) -> dict[str, Any]:
        return {"probs": self._probs, "min_prob": self._min_prob}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Categorical:
        # Not through the constructor: it normalises the rows again, which may move their
        # last bits.
        probs = frozen(state["probs"])
        if probs.ndim != 2 or probs.shape[1] < 2:
            raise ValueError(f"probs must have shape (dim, k), got {probs.shape}")
        restored = object.__new__(cls)
        restored._probs, restored._min_prob = probs, check_floor(state["min_prob"], probs.shape[1])
        return restored

    def entropy(self) -> float:
        return float(-xlogy(self._probs, self._probs).sum())

    def __repr__(self) -> str:
        return (f"Categorical(dim={self.dim}, k={self.k}, mode={short(self.mode)}, "
                f"p(mode)={short(self._probs.max(axis=1), 3)})")

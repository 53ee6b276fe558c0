"""Discrete families: independent Bernoulli bits and independent categorical variables.

The weighted MLE is the weighted frequency of each value. A floor ``min_prob`` keeps every
probability away from 0 so that a value the elites have not shown yet can still be drawn: the
fitted frequencies are mixed with the uniform distribution,

    p = min_prob + (1 - k * min_prob) * frequency        (k values per variable),

which keeps each row a probability vector. Smoothing mixes the probabilities linearly.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import xlogy

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

#: Default total probability each variable keeps for leaving its mode: ``(k - 1) * min_prob``.
DEFAULT_FLOOR = 1e-3


def _check_floor(min_prob: float | None, k: int) -> float:
    """``min_prob`` validated; ``None`` gives the default ``DEFAULT_FLOOR / (k - 1)``."""
    if min_prob is None:
        return DEFAULT_FLOOR / (k - 1)
    min_prob = float(min_prob)
    if not (np.isfinite(min_prob) and 0 <= min_prob < 1.0 / k):
        raise ValueError(f"min_prob must be in [0, 1/{k}) for {k} values, got {min_prob}")
    return min_prob


class Bernoulli(Distribution):
    """``dim`` independent bits, bit ``j`` equal to 1 with probability ``p[j]``.

    Samples are ``bool`` arrays. ``min_prob`` (default ``1e-3``) is the floor described in the
    module docstring; pass 0 to let bits freeze.

    Example
    -------
    >>> import numpy as np
    >>> b = Bernoulli(np.full(4, 0.5))
    >>> b.sample(2, np.random.default_rng(0)).dtype
    dtype('bool')
    """

    discrete = True
    __slots__ = ("_p", "_min_prob")

    def __init__(self, p: ArrayLike, *, min_prob: float | None = None):
        p = float_array("p", p)
        if p.ndim != 1 or p.size == 0:
            raise ValueError(f"p must be a non-empty 1-D array, got shape {p.shape}")
        if not np.all(np.isfinite(p) & (p >= -1e-12) & (p <= 1 + 1e-12)):
            raise ValueError("p must hold probabilities in [0, 1]")
        self._p = frozen(np.clip(p, 0.0, 1.0))  # weighted sums may round a hair past 1
        self._min_prob = _check_floor(min_prob, 2)

    @property
    def dim(self) -> int:
        return self._p.size

    @property
    def p(self) -> NDArray[np.float64]:
        return self._p

    @property
    def mean(self) -> NDArray[np.float64]:
        return self._p

    @property
    def mode(self) -> NDArray[np.bool_]:
        return self._p > 0.5

    @property
    def min_prob(self) -> float:
        return self._min_prob

    @property
    def spread(self) -> float:
        return float(np.minimum(self._p, 1 - self._p).max())

    @property
    def min_spread(self) -> float:
        return self._min_prob

    @property
    def n_params(self) -> int:
        return self.dim

    @property
    def min_fit_samples(self) -> int:
        return 1

    def sample(self, n: int, rng: np.random.Generator) -> NDArray[np.bool_]:
        return rng.random((n, self.dim)) < self._p

    def log_prob(self, x: ArrayLike) -> NDArray[np.float64]:
        """Log mass; a row with a value other than 0/1 has log mass ``-inf``."""
        x = check_samples(x, self.dim)
        with np.errstate(divide="ignore"):
            terms = np.where(x == 1, np.log(self._p), np.log1p(-self._p))
        terms = np.where((x == 0) | (x == 1), terms, -np.inf)
        return terms.sum(axis=1)

    def fit(self, x: ArrayLike, weights: ArrayLike | None = None) -> Bernoulli:
        x = check_samples(x, self.dim)
        if not np.all((x == 0) | (x == 1)):
            raise ValueError("Bernoulli samples must be 0/1 or bool")
        w = normalized_weights(weights, x.shape[0])
        freq = w @ x.astype(np.float64)
        return Bernoulli(self._min_prob + (1 - 2 * self._min_prob) * freq,
                         min_prob=self._min_prob)

    def smooth(self, new: Bernoulli, alpha: float) -> Bernoulli:
        check_same_family(self, new)
        a = check_alpha(alpha)
        return Bernoulli(a * new.p + (1 - a) * self._p, min_prob=self._min_prob)

    def entropy(self) -> float:
        p = self._p
        return float(-(xlogy(p, p) + xlogy(1 - p, 1 - p)).sum())

    def __repr__(self) -> str:
        return f"Bernoulli(dim={self.dim}, p={short(self._p, 3)})"


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
        self._min_prob = _check_floor(min_prob, probs.shape[1])

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

    def entropy(self) -> float:
        return float(-xlogy(self._probs, self._probs).sum())

    def __repr__(self) -> str:
        return (f"Categorical(dim={self.dim}, k={self.k}, mode={short(self.mode)}, "
                f"p(mode)={short(self._probs.max(axis=1), 3)})")

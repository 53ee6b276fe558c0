"""Independent categorical variables, variable ``j`` over the values ``0 .. k_j - 1``.

The weighted MLE is the weighted frequency of each value. A floor ``min_prob`` keeps every
probability away from 0, so that a value the elites have not shown yet can still be drawn:
the fitted frequencies are mixed with the uniform distribution,

    p = min_prob + (1 - k_j * min_prob) * frequency        (k_j values of variable j),

which keeps each row a probability vector. Smoothing mixes the probabilities linearly.
Variables may have different numbers of values (``sizes``): the rows of ``probs`` are then
padded with zeros up to the largest.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import xlogy

from .._checks import float_array
from ._base import (
    DEFAULT_FLOOR,
    Distribution,
    check_alpha,
    check_same_family,
    check_samples,
    frozen,
    normalized_weights,
    short,
)


class Categorical(Distribution):
    """``dim`` independent categorical variables, variable ``j`` over ``0 .. k_j - 1``.

    ``probs`` has shape ``(dim, k)``, each row summing to 1; samples are integer indices of
    shape ``(n, dim)``. ``sizes`` (default: ``k`` for every variable) gives each variable's
    number of values ``k_j``; row ``j`` must be zero beyond it. ``min_prob`` is the floor of
    the module docstring, one for all or one per variable, by default ``1e-3 / (k_j - 1)``
    (so each variable keeps probability 1e-3 of leaving its mode).
    :meth:`uniform` makes the uniform distribution over given sizes.

    Example
    -------
    >>> import numpy as np
    >>> c = Categorical(np.full((3, 4), 0.25))
    >>> c.sample(2, np.random.default_rng(0)).shape
    (2, 3)
    >>> Categorical.uniform([2, 3]).probs
    array([[0.5       , 0.5       , 0.        ],
           [0.33333333, 0.33333333, 0.33333333]])
    """

    discrete = True
    __slots__ = ("_probs", "_min_prob", "_sizes")

    def __init__(self, probs: ArrayLike, *, min_prob: ArrayLike | None = None,
                 sizes: ArrayLike | None = None):
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
        self._sizes = check_sizes(sizes, probs.shape)
        beyond = np.arange(probs.shape[1]) >= self._sizes[:, None]
        if np.any(probs[beyond] > 0):
            j = int(np.flatnonzero((probs * beyond).any(axis=1))[0])
            raise ValueError(f"variable {j} has {self._sizes[j]} values, but probs[{j}] puts "
                             f"mass beyond them")
        self._probs = frozen(probs / sums[:, None])
        self._min_prob = floors(min_prob, self._sizes)

    @classmethod
    def uniform(cls, sizes: ArrayLike, *, min_prob: ArrayLike | None = None) -> Categorical:
        """Every variable uniform over its ``sizes[j]`` values."""
        sizes = np.asarray(sizes)
        if sizes.ndim != 1 or sizes.size == 0 or sizes.dtype.kind not in "iu":
            raise ValueError(f"sizes must be a non-empty list of integers, got {sizes!r}")
        if np.any(sizes < 2):
            raise ValueError(f"every variable needs at least 2 values, got sizes {sizes}")
        probs = (np.arange(sizes.max()) < sizes[:, None]) / sizes[:, None]
        return cls(probs, min_prob=min_prob, sizes=sizes)

    @property
    def dim(self) -> int:
        return self._probs.shape[0]

    @property
    def k(self) -> int:
        """The largest number of values a variable takes (all take it unless ``sizes``
        differ)."""
        return self._probs.shape[1]

    @property
    def sizes(self) -> NDArray[np.int64]:
        """Each variable's number of values."""
        return self._sizes

    @property
    def probs(self) -> NDArray[np.float64]:
        return self._probs

    @property
    def mode(self) -> NDArray[np.int64]:
        return self._probs.argmax(axis=1)

    @property
    def min_prob(self) -> float | NDArray[np.float64]:
        """The floor: one number when every variable has the same, else one per variable."""
        floor = self._min_prob
        return float(floor[0]) if np.all(floor == floor[0]) else floor

    @property
    def spread(self) -> float:
        return float((1 - self._probs.max(axis=1)).max())

    @property
    def min_spread(self) -> float:
        return float(((self._sizes - 1) * self._min_prob).max())

    @property
    def spread_above_floor(self) -> float:
        return float(((1 - self._probs.max(axis=1)) - (self._sizes - 1) * self._min_prob).max())

    @property
    def n_params(self) -> int:
        return int((self._sizes - 1).sum())

    @property
    def min_fit_samples(self) -> int:
        return 1

    def sample(self, n: int, rng: np.random.Generator) -> NDArray[np.int64]:
        # Inverse CDF for all variables at once: the value is the number of cumulative
        # probabilities (excluding the last, which may round below 1) that u has passed.
        cum = np.cumsum(self._probs, axis=1)[:, :-1]
        u = rng.random((n, self.dim, 1))
        values = (u >= cum).sum(axis=2, dtype=np.int64)
        if self._ragged:  # a padded row's cumulative sum may round a hair below 1
            np.minimum(values, self._sizes - 1, out=values)
        return values

    @property
    def _ragged(self) -> bool:
        return bool(np.any(self._sizes != self.k))

    def _valid(self, x: NDArray) -> NDArray[np.bool_]:
        return (x == np.round(x)) & (x >= 0) & (x < self._sizes)

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
        valid = self._valid(x)
        if not np.all(valid):
            j = int(np.flatnonzero(~valid.all(axis=0))[0])
            raise ValueError(f"Categorical samples must be integers in 0 .. "
                             f"{self._sizes[j] - 1} in column {j}")
        w = normalized_weights(weights, x.shape[0])
        # Weighted counts of every (variable, value) pair in one bincount over flat indices.
        flat = (x.astype(np.int64) + self.k * np.arange(self.dim)).ravel()
        freq = np.bincount(flat, weights=np.repeat(w, self.dim),
                           minlength=self.dim * self.k).reshape(self.dim, self.k)
        floor = self._min_prob[:, None]
        probs = floor + (1 - self._sizes[:, None] * floor) * freq
        if self._ragged:
            probs[np.arange(self.k) >= self._sizes[:, None]] = 0.0
        return self._like(probs / probs.sum(axis=1, keepdims=True))

    def smooth(self, new: Categorical, alpha: float) -> Categorical:
        check_same_family(self, new)
        if not np.array_equal(new.sizes, self._sizes):
            raise ValueError(f"cannot smooth variables of sizes {self._sizes} with ones of "
                             f"sizes {new.sizes}")
        a = check_alpha(alpha)
        return self._like(a * new.probs + (1 - a) * self._probs)

    def _like(self, probs: NDArray) -> Categorical:
        """A Categorical with these probabilities and this one's sizes and floor."""
        return Categorical(probs, min_prob=self._min_prob,
                           sizes=self._sizes if self._ragged else None)

    def support(self) -> NDArray[np.bool_]:
        return self._probs > 0

    def state(self) -> dict[str, Any]:
        state = {"probs": self._probs, "min_prob": self.min_prob}
        if self._ragged:
            state["sizes"] = self._sizes
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Categorical:
        # Not through the constructor: it normalises the rows again, which may move their
        # last bits.
        probs = frozen(state["probs"])
        if probs.ndim != 2 or probs.shape[1] < 2:
            raise ValueError(f"probs must have shape (dim, k), got {probs.shape}")
        restored = object.__new__(cls)
        restored._probs = probs
        restored._sizes = check_sizes(state.get("sizes"), probs.shape)
        restored._min_prob = floors(state["min_prob"], restored._sizes)
        return restored

    def entropy(self) -> float:
        return float(-xlogy(self._probs, self._probs).sum())

    def __repr__(self) -> str:
        k = f"sizes={short(self._sizes)}" if self._ragged else f"k={self.k}"
        return (f"Categorical(dim={self.dim}, {k}, mode={short(self.mode)}, "
                f"p(mode)={short(self._probs.max(axis=1), 3)})")


def check_sizes(sizes: ArrayLike | None, shape: tuple[int, int]) -> NDArray[np.int64]:
    """Each variable's number of values, read-only: ``k`` for all when ``sizes`` is None."""
    dim, k = shape
    if sizes is None:
        out = np.full(dim, k, dtype=np.int64)
    else:
        out = np.asarray(sizes)
        if out.shape != (dim,) or out.dtype.kind not in "iu":
            raise ValueError(f"sizes must be {dim} integers, got {sizes!r}")
        if np.any(out < 2) or np.any(out > k):
            raise ValueError(f"sizes must lie in 2 .. {k} (the columns of probs), got {sizes!r}")
        out = out.astype(np.int64)
    out.setflags(write=False)
    return out


def floors(min_prob: ArrayLike | None, sizes: NDArray[np.int64]) -> NDArray[np.float64]:
    """The floor of each variable (read-only), checked against its number of values: None
    gives the default ``DEFAULT_FLOOR / (k_j - 1)``."""
    if min_prob is None:
        out = DEFAULT_FLOOR / (sizes - 1.0)
    else:
        out = np.broadcast_to(np.asarray(min_prob, dtype=np.float64), sizes.shape).copy() \
            if np.ndim(min_prob) in (0, 1) and np.size(min_prob) in (1, sizes.size) else None
        if out is None:
            raise ValueError(f"min_prob must be a number or one per variable ({sizes.size}), "
                             f"got shape {np.shape(min_prob)}")
        bad = np.flatnonzero(~(np.isfinite(out) & (out >= 0) & (out < 1.0 / sizes)))
        if bad.size:
            j = bad[0]
            raise ValueError(f"min_prob must be in [0, 1/{sizes[j]}) for {sizes[j]} values, "
                             f"got {out[j]}")
    out.setflags(write=False)
    return out

"""Permutations as assignments: ``Q[i, j]``, the probability that item ``j`` takes place ``i``.

The CE model for assignment problems (Rubinstein & Kroese, *The Cross-Entropy Method*,
ch. 4, the "placement" matrix): a sample fills its places one at a time, each from its row
of ``Q`` among the items still free. Filling places in a fixed order would favour the first
ones (the last place takes whatever is left); each sample fills them in its own random order
instead. The weighted MLE is the weighted frequency of each item at each place, floored as
:class:`Categorical` is:

    Q[i, j] = min_prob + (1 - n min_prob) * freq(item j at place i).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

from .._checks import float_array
from ._base import (
    check_alpha,
    check_floor,
    check_same_family,
    check_samples,
    frozen,
    normalized_weights,
    short,
)
from ._permutation import (
    PermutationModel,
    Remaining,
    RowSampler,
    check_n,
    check_permutations,
    floored,
)


class PositionMatrix(PermutationModel):
    """Permutations of ``0 .. n-1`` with ``x[i] = j`` drawn from ``probs[i, j]``.

    ``probs`` is ``(n, n)`` with rows summing to 1; ``min_prob`` is the floor of every entry
    (default ``1e-3 / (n - 1)``).

    Example
    -------
    >>> import numpy as np
    >>> d = PositionMatrix.uniform(4)
    >>> d.fit(np.array([[2, 0, 3, 1]] * 5)).mode
    array([2, 0, 3, 1])
    """

    __slots__ = ("_probs", "_min_prob")

    def __init__(self, probs: ArrayLike, *, min_prob: float | None = None):
        probs = float_array("probs", probs)
        if probs.ndim != 2 or probs.shape[0] != probs.shape[1] or probs.shape[0] < 2:
            raise ValueError(f"probs must be a square (n, n) matrix with n >= 2, got shape "
                             f"{probs.shape}")
        if not np.all(np.isfinite(probs) & (probs >= 0)):
            raise ValueError("probs must hold finite, non-negative probabilities")
        sums = probs.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1) > 1e-8)
        if bad.size:
            raise ValueError(f"row {bad[0]} of probs must sum to 1, sums to "
                             f"{sums[bad[0]]:.10g}")
        self._probs = frozen(probs / sums[:, None])
        self._min_prob = check_floor(min_prob, probs.shape[0])

    @classmethod
    def uniform(cls, n: int, *, min_prob: float | None = None) -> PositionMatrix:
        """Every permutation equally likely."""
        n = check_n(n)
        return cls(np.full((n, n), 1.0 / n), min_prob=min_prob)

    @property
    def n(self) -> int:
        return self._probs.shape[0]

    @property
    def probs(self) -> NDArray[np.float64]:
        return self._probs

    @property
    def n_params(self) -> int:
        return self.n * (self.n - 1)

    @property
    def spread(self) -> float:
        return float((1 - self._probs.max(axis=1)).max())

    @property
    def min_spread(self) -> float:
        return (self.n - 1) * self._min_prob

    @property
    def mode(self) -> NDArray[np.int64]:
        """The likeliest assignment, ``argmax sum_i log Q[i, x_i]`` over permutations (a
        linear assignment problem)."""
        with np.errstate(divide="ignore"):
            cost = -np.log(self._probs)
        cost[~np.isfinite(cost)] = 1e300
        places, items = linear_sum_assignment(cost)
        return items[np.argsort(places)].astype(np.int64)

    def affinity(self, x: ArrayLike) -> NDArray[np.float64]:
        """``sum_i log Q[i, x_i]``: each place's log-probability of its item (the model's
        log mass up to the normaliser of the draw, which depends on the place order)."""
        x = check_samples(x, self.n).astype(np.intp, copy=False)
        with np.errstate(divide="ignore"):
            return np.log(self._probs)[np.arange(self.n), x].sum(axis=1)

    def _draw(self, n: int, rng: np.random.Generator) -> NDArray[np.int64]:
        m = self.n
        x = np.empty((n, m), dtype=np.int64)
        if n == 0:
            return x
        rows = np.arange(n)
        left = Remaining(n, m)
        order = rng.permuted(np.tile(np.arange(m), (n, 1)), axis=1)
        sampler = RowSampler(self._probs)
        for t in range(m):
            place = order[:, t]
            item = sampler.draw(place, left, rng)
            x[rows, place] = item
            left.take(item)
        return x

    def fit(self, x: ArrayLike, weights: ArrayLike | None = None) -> PositionMatrix:
        x = check_permutations(x, self.n)
        w = normalized_weights(weights, x.shape[0])
        n = self.n
        flat = (x + n * np.arange(n)).ravel()
        freq = np.bincount(flat, weights=np.repeat(w, n), minlength=n * n).reshape(n, n)
        return PositionMatrix(floored(freq, None, self._min_prob), min_prob=self._min_prob)

    def smooth(self, new: PositionMatrix, alpha: float) -> PositionMatrix:
        check_same_family(self, new)
        a = check_alpha(alpha)
        return PositionMatrix(a * new.probs + (1 - a) * self._probs, min_prob=self._min_prob)

    def state(self) -> dict[str, Any]:
        return {"probs": self._probs, "min_prob": self._min_prob}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PositionMatrix:
        restored = object.__new__(cls)
        restored._probs, restored._min_prob = frozen(state["probs"]), float(state["min_prob"])
        return restored

    def __repr__(self) -> str:
        return f"PositionMatrix(n={self.n}, mode={short(self.mode)}, spread={self.spread:.3g})"

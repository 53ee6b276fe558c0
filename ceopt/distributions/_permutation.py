"""What the permutation models share: the base class, the checks, and drawing a population
item by item without repeats (:class:`RowSampler`). The models and the factory
:func:`~ceopt.distributions.permutation.Permutation` are in their own files."""

from __future__ import annotations

from abc import abstractmethod

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._checks import integer
from ._base import Distribution, check_samples


class PermutationModel(Distribution):
    """What the permutation models share: ``n`` items, integer samples, the checks."""

    discrete = True
    _min_prob: float

    @property
    @abstractmethod
    def n(self) -> int:
        """The number of items."""

    @property
    def min_prob(self) -> float:
        """The model's floor (see each model)."""
        return self._min_prob

    @property
    def dim(self) -> int:
        return self.n

    @property
    def min_fit_samples(self) -> int:
        return 1

    @property
    @abstractmethod
    def mode(self) -> NDArray[np.int64]:
        """The most likely permutation (or, where that is hard to find, a greedy one)."""

    def sample(self, n: int, rng: np.random.Generator) -> NDArray[np.int64]:
        """``n`` permutations, shape ``(n, self.n)``."""
        return self._draw(integer("n", n, 0), rng)

    @abstractmethod
    def _draw(self, n: int, rng: np.random.Generator) -> NDArray[np.int64]:
        """``n`` permutations (``n`` checked)."""

    @abstractmethod
    def affinity(self, x: ArrayLike) -> NDArray[np.float64]:
        """The summed log-probabilities of each row's parts under the model (see each
        model), for rows that are permutations (not checked: a local search asks it of
        thousands of neighbours)."""

    def support(self) -> NDArray[np.bool_]:
        """Every item may take every place (the floors keep all probabilities positive)."""
        return np.ones((self.n, self.n), dtype=bool)


def permutation_rows(x: NDArray, n: int) -> NDArray[np.bool_]:
    """Which rows of the ``(m, n)`` array ``x`` are permutations of ``0 .. n-1``."""
    ok = (x == np.round(x)) & (x >= 0) & (x < n)
    seen = np.zeros(x.shape, dtype=bool)
    np.put_along_axis(seen, np.where(ok, x, 0).astype(np.int64), True, axis=1)
    return ok.all(axis=1) & seen.all(axis=1)


def check_permutations(x: ArrayLike, n: int, name: str = "x") -> NDArray[np.int64]:
    """``x`` as an ``(m, n)`` integer array whose rows are permutations of ``0 .. n-1``."""
    x = check_samples(x, n, name)
    rows_ok = permutation_rows(x, n)
    if not rows_ok.all():
        row = int(np.flatnonzero(~rows_ok)[0])
        raise ValueError(f"row {row} of {name} is not a permutation of 0 .. {n - 1}: "
                         f"{x[row].tolist()}")
    return x.astype(np.int64)


def check_n(n) -> int:
    return integer("n", n, 2)


def floored(freq: NDArray[np.float64], allowed: NDArray[np.bool_] | None,
            min_prob: float) -> NDArray[np.float64]:
    """Rows of weighted frequencies mixed with the uniform over their allowed values,
    ``p = min_prob + (1 - k * min_prob) * freq`` (``k`` allowed values); a row the samples
    never reached (all zero) becomes uniform."""
    k = freq.shape[1] if allowed is None else allowed.sum(axis=1, keepdims=True)
    total = freq.sum(axis=1, keepdims=True)
    uniform = np.ones_like(freq) if allowed is None else allowed.astype(np.float64)
    freq = np.where(total > 0, freq / np.where(total > 0, total, 1.0), uniform / k)
    probs = min_prob + (1 - k * min_prob) * freq
    if allowed is not None:
        probs = np.where(allowed, probs, 0.0)
    return probs / probs.sum(axis=1, keepdims=True)


#: Draws from a whole row before a sample's remaining ones are drawn among its free items.
TRIES = 4


class Remaining:
    """The items each of ``m`` samples has not drawn yet: a mask, and a compact list.

    Every sample has drawn as many items as the others, so the lists have one length ``k``:
    ``items[s, :k]`` are sample ``s``'s free items (in no order), ``at[s, j]`` is where item
    ``j`` sits in that list.
    """

    def __init__(self, m: int, n: int):
        self.free = np.ones((m, n), dtype=bool)
        self.items = np.tile(np.arange(n), (m, 1))
        self.at = self.items.copy()
        self.k = n
        self._rows = np.arange(m)

    def take(self, item: NDArray[np.int64]) -> None:
        """Strike out one item per sample: the list's last item moves into its slot."""
        rows, last = self._rows, self.k - 1
        self.free[rows, item] = False
        slot = self.at[rows, item]
        moved = self.items[rows, last]
        self.items[rows, slot] = moved
        self.at[rows, moved] = slot
        self.k = last


class RowSampler:
    """Draws from the rows of a probability matrix restricted to each sample's free items.

    A draw from the whole row, kept if the item is free, is a draw from the row restricted
    to the free items (rejection sampling): one binary search per sample instead of a pass
    over the row. Samples still rejected after :data:`TRIES` draws (late in a permutation,
    while the rows are still flat) draw among their ``k`` free items by inverse CDF.
    """

    def __init__(self, probs: NDArray[np.float64]):
        self.probs = probs
        self.n = probs.shape[1]
        cum = np.cumsum(probs, axis=1)
        cum /= cum[:, -1:]  # each row ends at exactly 1, so row r's values lie in [r, r + 1]
        self.flat = (cum + np.arange(probs.shape[0])[:, None]).ravel()

    def draw(self, rows: NDArray[np.int64], left: Remaining,
             rng: np.random.Generator) -> NDArray[np.int64]:
        """One item per sample ``s``: from row ``rows[s]`` among its free items."""
        out = np.empty(rows.size, dtype=np.int64)
        todo = np.arange(rows.size)
        for _ in range(TRIES):
            r = rows[todo]
            item = np.searchsorted(self.flat, r + rng.random(todo.size), side="right") \
                - r * self.n
            np.clip(item, 0, self.n - 1, out=item)
            ok = left.free[todo, item]
            out[todo[ok]] = item[ok]
            todo = todo[~ok]
            if todo.size == 0:
                return out
        free_items = left.items[todo, :left.k]
        masses = self.probs[rows[todo][:, None], free_items]
        out[todo] = free_items[np.arange(todo.size), inverse_cdf(masses, rng.random(todo.size))]
        return out


def inverse_cdf(masses: NDArray[np.float64], u: NDArray[np.float64]) -> NDArray[np.int64]:
    """One column per row, drawn with probability proportional to ``masses`` (uniformly
    where a row's masses are all zero, possible only with a zero floor) by the uniforms
    ``u``."""
    cum = np.cumsum(masses, axis=1)
    dead = cum[:, -1] <= 0
    if dead.any():
        cum[dead] = np.arange(1, masses.shape[1] + 1)
    # The first column whose cumulative mass passes u * total (strictly, so that a column of
    # zero mass is never drawn).
    pick = (cum <= (u * cum[:, -1])[:, None]).sum(axis=1)
    return np.minimum(pick, masses.shape[1] - 1)

"""Neighbourhoods for local improvement (``improve=``): the points one move away from a point.

A move set numbers the moves from a point ``0 .. count(n) - 1`` and makes the neighbours a
batch of points reaches by the moves asked for, so that a local search evaluates many of them
in one call of a vectorised objective:

| name | space | a neighbour | neighbours of one point |
|---|---|---|---|
| ``"2opt"`` | permutations | ``x[i..j]`` reversed (a tour: two edges replaced) | n (n - 1) / 2 |
| ``"swap"`` | permutations | two items exchanged | n (n - 1) / 2 |
| ``"insert"`` | permutations | one item moved to another place, the rest shifted | (n - 1)² |
| ``"flip"`` | bits | one bit flipped | n |

The permutation moves rearrange places, the same way for every point: each set is a table of
places, ``(n_moves, n)``, and move ``m`` takes ``x`` to ``x[table[m]]``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from ._registry import Registry
from .distributions import Bernoulli, Distribution, PermutationModel


class Moves(ABC):
    """A neighbourhood: :meth:`neighbours` of a batch of points, for the families it suits."""

    #: The name ``improve=`` takes.
    name: ClassVar[str]

    @abstractmethod
    def suits(self, dist: Distribution) -> bool:
        """Whether the moves apply to samples of ``dist``."""

    @abstractmethod
    def count(self, n: int) -> int:
        """The number of moves from a point of ``n`` coordinates."""

    @abstractmethod
    def neighbours(self, X: NDArray, which: NDArray[np.intp]) -> NDArray:
        """The neighbours of each row ``X[a]`` by the moves ``which[a]``: ``X`` is ``(m,
        n)``, ``which`` ``(m, c)``, the result ``(m, c, n)``."""


class Rearrangement(Moves):
    """Moves that rearrange the places of a permutation by a fixed table."""

    def __init__(self) -> None:
        self._tables: dict[int, NDArray[np.intp]] = {}

    def suits(self, dist: Distribution) -> bool:
        return isinstance(dist, PermutationModel)

    def _table(self, n: int) -> NDArray[np.intp]:
        if n not in self._tables:
            self._tables[n] = self.table(n)
        return self._tables[n]

    def count(self, n: int) -> int:
        return self._table(n).shape[0]

    def neighbours(self, X: NDArray, which: NDArray[np.intp]) -> NDArray:
        places = self._table(X.shape[1])[which]                # (m, c, n)
        return np.take_along_axis(X[:, None, :], places, axis=2)

    @staticmethod
    @abstractmethod
    def table(n: int) -> NDArray[np.intp]:
        """``(n_moves, n)``: row ``m`` lists which place each place takes its item from."""


class TwoOpt(Rearrangement):
    name = "2opt"

    @staticmethod
    def table(n: int) -> NDArray[np.intp]:
        i, j = np.triu_indices(n, k=1)
        places = np.arange(n)
        inside = (places >= i[:, None]) & (places <= j[:, None])
        # Place p inside [i, j] takes the item from i + j - p: the stretch reversed.
        return np.where(inside, i[:, None] + j[:, None] - places, places)


class Swap(Rearrangement):
    name = "swap"

    @staticmethod
    def table(n: int) -> NDArray[np.intp]:
        i, j = np.triu_indices(n, k=1)
        out = np.tile(np.arange(n), (i.size, 1))
        rows = np.arange(i.size)
        out[rows, i], out[rows, j] = j, i
        return out


class Insert(Rearrangement):
    name = "insert"

    @staticmethod
    def table(n: int) -> NDArray[np.intp]:
        # The item at place i moves to place j != i; moving it one place on is the same as
        # moving its neighbour one place back, so those duplicates (j = i - 1) are left out.
        i, j = np.nonzero(~np.eye(n, dtype=bool))
        keep = j != i - 1
        i, j = i[keep], j[keep]
        places = np.arange(n)
        forward = (places >= i[:, None]) & (places < j[:, None])    # i < j: shift back
        backward = (places > j[:, None]) & (places <= i[:, None])   # j < i: shift on
        out = np.where(forward, places + 1, np.where(backward, places - 1, places))
        out[np.arange(i.size), j] = i
        return out


class Flip(Moves):
    name = "flip"

    def suits(self, dist: Distribution) -> bool:
        return isinstance(dist, Bernoulli)

    def count(self, n: int) -> int:
        return n

    def neighbours(self, X: NDArray, which: NDArray[np.intp]) -> NDArray:
        return X[:, None, :].astype(bool) ^ np.eye(X.shape[1], dtype=bool)[which]


#: The move sets by name.
MOVES = Registry("move set", Moves, "ceopt.moves", parts=(TwoOpt, Swap, Insert, Flip))

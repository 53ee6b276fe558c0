"""Neighbourhoods for local improvement (``improve=``): the points one move away from a point.

A move set numbers the moves from a point ``0 .. count(n) - 1`` and makes the neighbours a
batch of points reaches by the moves asked for, so that a local search evaluates many of them
in one call of a vectorised objective:

============  ============  =================================================  ====================
name          space         a neighbour                                        neighbours per point
============  ============  =================================================  ====================
``"2opt"``    permutations  ``x[i..j]`` reversed (a tour: two edges replaced)  n (n - 1) / 2
``"swap"``    permutations  two items exchanged                                n (n - 1) / 2
``"insert"``  permutations  one item moved to another place, the rest shifted  (n - 1)²
``"oropt"``   permutations  a stretch of 1-3 items moved, in its order         about 3 n²
``"flip"``    bits          one bit flipped                                    n
============  ============  =================================================  ====================

Names joined by ``+`` combine permutation moves (``"2opt+oropt"``: :class:`Combined`). The
permutation moves rearrange places, the same way for every point: each set is a table of
places, ``(n_moves, n)``, and move ``m`` takes ``x`` to ``x[table[m]]``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from ._registry import Registry
from .distributions import Bernoulli, BernoulliTree, Distribution, PermutationModel


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
        self._adjacencies: dict[int, tuple[NDArray, NDArray, NDArray]] = {}

    def suits(self, dist: Distribution) -> bool:
        return isinstance(dist, PermutationModel)

    def _table(self, n: int) -> NDArray[np.intp]:
        # Built once per size (``table`` may take a while: or-opt at n = 100, 0.1 s).
        if n not in self._tables:
            self._tables[n] = self.table(n)
        return self._tables[n]

    def count(self, n: int) -> int:
        return self._table(n).shape[0]

    def neighbours(self, X: NDArray, which: NDArray[np.intp]) -> NDArray:
        places = self._table(X.shape[1])[which]                # (m, c, n)
        return np.take_along_axis(X[:, None, :], places, axis=2)

    def new_adjacencies(self, n: int) -> tuple[NDArray[np.intp], NDArray[np.intp],
                                               NDArray[np.bool_]]:
        """The pairs of places each move makes adjacent that were not: ``(first, second,
        valid)``, each ``(n_moves, w)``. Move ``m`` puts the items of places ``first[m, e]``
        and ``second[m, e]`` next to each other where ``valid[m, e]``; the tour is read as
        closed (the last place next to the first) and in either direction, so a stretch
        reversed by 2-opt brings two new adjacencies, not one per item."""
        if n not in self._adjacencies:
            table = self._table(n)
            after = np.roll(table, -1, axis=1)           # the place next in the new order
            old = (after == (table + 1) % n) | (table == (after + 1) % n)
            width = max(1, int((~old).sum(axis=1).max()))
            pick = np.argsort(old, axis=1, kind="stable")[:, :width]  # the new ones first
            self._adjacencies[n] = (np.take_along_axis(table, pick, axis=1),
                                    np.take_along_axis(after, pick, axis=1),
                                    ~np.take_along_axis(old, pick, axis=1))
        return self._adjacencies[n]

    @abstractmethod
    def table(self, n: int) -> NDArray[np.intp]:
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


class OrOpt(Rearrangement):
    """A stretch of one to three items moved elsewhere, in its order (Or's moves: nothing is
    reversed, which suits asymmetric tours)."""

    name = "oropt"
    LENGTHS = (1, 2, 3)

    @staticmethod
    def table(n: int) -> NDArray[np.intp]:
        rows = []
        for length in OrOpt.LENGTHS:
            for i in range(n - length + 1):
                stretch = np.arange(i, i + length)
                rest = np.delete(np.arange(n), stretch)
                for p in range(n - length + 1):
                    if p != i:
                        rows.append(np.concatenate([rest[:p], stretch, rest[p:]]))
        # Some moves coincide (a stretch moved on by one = its neighbour moved back).
        return np.unique(np.array(rows, dtype=np.intp).reshape(-1, n), axis=0)


class Combined(Rearrangement):
    """The moves of several rearrangements together: ``improve="2opt+oropt"``."""

    def __init__(self, parts: list[Rearrangement]):
        super().__init__()
        self.parts = parts
        self.name = "+".join(part.name for part in parts)

    def table(self, n: int) -> NDArray[np.intp]:
        return np.unique(np.vstack([part.table(n) for part in self.parts]), axis=0)


class Flip(Moves):
    name = "flip"

    def suits(self, dist: Distribution) -> bool:
        return isinstance(dist, (Bernoulli, BernoulliTree))

    def count(self, n: int) -> int:
        return n

    def neighbours(self, X: NDArray, which: NDArray[np.intp]) -> NDArray:
        return X[:, None, :].astype(bool) ^ np.eye(X.shape[1], dtype=bool)[which]


#: The move sets by name.
MOVES = Registry("move set", Moves, "ceopt.moves", parts=(TwoOpt, Swap, Insert, OrOpt, Flip))


def moves_named(name: str) -> Moves:
    """The move set ``name`` names; permutation moves joined by ``+`` are combined."""
    names = name.split("+")
    unknown = [part for part in names if part not in MOVES]
    if unknown or (len(names) > 1 and not all(issubclass(MOVES[p], Rearrangement)
                                               for p in names)):
        raise ValueError(f"improve must be one of {tuple(MOVES)}, permutation moves joined "
                         f"by '+' (e.g. '2opt+oropt'), or a ceopt.moves.Moves; got {name!r}")
    if len(names) == 1:
        return MOVES[name]()
    return Combined([MOVES[part]() for part in names])

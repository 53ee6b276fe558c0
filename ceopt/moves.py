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

``"or3opt"`` completes Or's moves to every 3-opt move that reverses nothing: a closed tour cut
in three stretches ``A B C`` becomes ``A C B``, where Or's moves only move a stretch of one to
three items. Such moves keep the direction of travel, which is what an asymmetric tour needs,
but there are too many to try in turn (133,771 at n = 100), so a set that holds them marks
them *wide* (:attr:`Moves.wide`): a descent over candidate moves
(``improve_order="candidates"``) tries them only among its candidates, and its rounds over
every move leave them out (:meth:`Rearrangement.narrow`).
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
    #: Too many moves to try all of them after each gain: tried only among candidates.
    wide: ClassVar[bool] = False

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


def adjacencies_of(table: NDArray[np.intp]) -> tuple[NDArray[np.intp], NDArray[np.intp],
                                                     NDArray[np.bool_]]:
    """:meth:`Rearrangement.new_adjacencies` of the moves a table of places makes."""
    n = table.shape[1]
    after = np.roll(table, -1, axis=1)                   # the place next in the new order
    old = (after == (table + 1) % n) | (table == (after + 1) % n)
    width = max(1, int((~old).sum(axis=1).max(initial=0)))
    pick = np.argsort(old, axis=1, kind="stable")[:, :width]    # the new ones first
    return (np.take_along_axis(table, pick, axis=1), np.take_along_axis(after, pick, axis=1),
            ~np.take_along_axis(old, pick, axis=1))


class Rearrangement(Moves):
    """Moves that rearrange the places of a permutation by a fixed table."""

    def __init__(self) -> None:
        self._tables: dict[int, NDArray[np.intp]] = {}
        self._adjacencies: dict[int, tuple[NDArray, NDArray, NDArray]] = {}
        self._pair_index: dict[int, NDArray[np.intp]] = {}

    def suits(self, dist: Distribution) -> bool:
        return isinstance(dist, PermutationModel)

    def _table(self, n: int) -> NDArray[np.intp]:
        # Built once per size (``table`` may take a while: or-opt at n = 100, 0.1 s).
        if n not in self._tables:
            self._tables[n] = self.table(n)
        return self._tables[n]

    def count(self, n: int) -> int:
        return self._table(n).shape[0]

    def narrow(self, n: int) -> int:
        """How many moves a round over every move tries: the first ``narrow(n)``, which
        leaves out the :attr:`~Moves.wide` ones that a set combines after the others."""
        return self.count(n)

    def places(self, n: int, which: NDArray[np.intp]) -> NDArray[np.intp]:
        """``which.shape + (n,)``: for each move asked for, which place each place takes
        its item from (rows of :meth:`table`)."""
        return self._table(n)[which]

    def neighbours(self, X: NDArray, which: NDArray[np.intp]) -> NDArray:
        places = self.places(X.shape[1], which)                # (m, c, n)
        return np.take_along_axis(X[:, None, :], places, axis=2)

    def new_adjacencies(self, n: int) -> tuple[NDArray[np.intp], NDArray[np.intp],
                                               NDArray[np.bool_]]:
        """The pairs of places each move makes adjacent that were not: ``(first, second,
        valid)``, each ``(n_moves, w)``. Move ``m`` puts the items of places ``first[m, e]``
        and ``second[m, e]`` next to each other where ``valid[m, e]``; the tour is read as
        closed (the last place next to the first) and in either direction, so a stretch
        reversed by 2-opt brings two new adjacencies, not one per item."""
        if n not in self._adjacencies:
            self._adjacencies[n] = adjacencies_of(self._table(n))
        return self._adjacencies[n]

    def pair_index(self, n: int) -> NDArray[np.intp]:
        """:meth:`new_adjacencies` as ``(w, n_moves)`` flat indices into an ``(n, n)`` array
        of pairs of places, ``p * n + q``, and ``n * n`` where there is no new pair: one
        look-up per column tells which moves join only pairs marked in the array (with one
        more element, True, at its end)."""
        if n not in self._pair_index:
            first, second, valid = self.new_adjacencies(n)
            self._pair_index[n] = np.ascontiguousarray(
                np.where(valid, first * n + second, n * n).T)
        return self._pair_index[n]

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


class OrThreeOpt(Rearrangement):
    """Two neighbouring stretches exchanged, ``A B C`` to ``A C B`` read as a closed tour,
    but for the exchanges that move one stretch of three items or fewer, which are Or's
    moves (:class:`OrOpt`). Move ``m`` cuts before the places ``cuts[m] = (i, j, k)``:
    ``B = x[i:j]``, ``C = x[j:k]``, and ``A`` is the rest, ``x[k:]`` then ``x[:i]`` round the
    closed tour. The moves are not kept as a table of places (that would be 100 MB at n =
    100) but made from their cuts."""

    name = "or3opt"
    wide = True
    SHORTEST = 4

    def __init__(self) -> None:
        super().__init__()
        self._cuts: dict[int, NDArray[np.intp]] = {}

    def cuts(self, n: int) -> NDArray[np.intp]:
        """``(n_moves, 3)``: the places ``0 < i < j < k`` each move cuts before (``k = n``:
        the end, where the closed tour goes back to place 0)."""
        if n not in self._cuts:
            s = self.SHORTEST
            j, k = np.triu_indices(n + 1, k=s)           # C = x[j:k] holds s items or more
            blocks = [np.zeros((0, 3), dtype=np.intp)]
            # A cut before place 0 is the cut before place n (the tour is closed): i >= 1.
            for i in range(1, n + 1):
                # Or's moves move B, C, or the rest x[:i] if it is short, but not a rest
                # that wraps round the end (k < n): those stay here, however short.
                keep = (j - i >= s) & ((n - k + i >= s) | (k < n))
                blocks.append(np.stack([np.full(keep.sum(), i), j[keep], k[keep]], axis=1))
            self._cuts[n] = np.concatenate(blocks).astype(np.intp)
        return self._cuts[n]

    def count(self, n: int) -> int:
        return self.cuts(n).shape[0]

    def places(self, n: int, which: NDArray[np.intp]) -> NDArray[np.intp]:
        """``which.shape + (n,)``: which place each place takes its item from."""
        i, j, k = np.moveaxis(self.cuts(n)[which], -1, 0)
        i, j, k = i[..., None], j[..., None], k[..., None]
        p = np.arange(n)
        moved = i + (k - j)                             # where B starts after the exchange
        # [i, moved) takes C = [j, k); [moved, k) takes B = [i, j); the rest stays.
        return np.where((p >= i) & (p < moved), p - i + j,
                        np.where((p >= moved) & (p < k), p - moved + i, p))

    def table(self, n: int) -> NDArray[np.intp]:
        return self.places(n, np.arange(self.count(n)))

    def new_adjacencies(self, n: int) -> tuple[NDArray[np.intp], NDArray[np.intp],
                                               NDArray[np.bool_]]:
        if n not in self._adjacencies:
            i, j, k = self.cuts(n).T
            # A's end meets C's start, C's end B's start, B's end what followed C.
            first = np.stack([(i - 1) % n, k - 1, j - 1], axis=1)
            second = np.stack([j, i, k % n], axis=1)
            self._adjacencies[n] = (first, second, np.ones(first.shape, dtype=bool))
        return self._adjacencies[n]


class Combined(Rearrangement):
    """The moves of several rearrangements together: ``improve="2opt+oropt"``. The moves
    of the parts that are not wide come first, in one table (a move two parts share is
    kept once), then those of each wide part."""

    def __init__(self, parts: list[Rearrangement]):
        super().__init__()
        self.parts = parts
        self.name = "+".join(part.name for part in parts)
        self.wide_parts = [part for part in parts if part.wide]

    def table(self, n: int) -> NDArray[np.intp]:
        tables = [part.table(n) for part in self.parts if not part.wide]
        return np.unique(np.vstack(tables), axis=0) if tables \
            else np.zeros((0, n), dtype=np.intp)

    def narrow(self, n: int) -> int:
        # Wide parts alone are what the user asked for: all their moves are tried.
        if len(self.wide_parts) == len(self.parts):
            return self.count(n)
        return self._table(n).shape[0]

    def count(self, n: int) -> int:
        return self._table(n).shape[0] + sum(part.count(n) for part in self.wide_parts)

    def _ranges(self, n: int) -> list[tuple[Rearrangement | None, int, int]]:
        """(part, first move, end) for the table (part None) and each wide part."""
        start = self._table(n).shape[0]
        out: list[tuple[Rearrangement | None, int, int]] = [(None, 0, start)]
        for part in self.wide_parts:
            out.append((part, start, start + part.count(n)))
            start += part.count(n)
        return out

    def places(self, n: int, which: NDArray[np.intp]) -> NDArray[np.intp]:
        if not self.wide_parts:
            return super().places(n, which)
        out = np.empty(which.shape + (n,), dtype=np.intp)
        for part, start, end in self._ranges(n):
            mine = (which >= start) & (which < end)
            if mine.any():
                local = which[mine] - start
                out[mine] = super().places(n, local) if part is None \
                    else part.places(n, local)
        return out

    def new_adjacencies(self, n: int) -> tuple[NDArray[np.intp], NDArray[np.intp],
                                               NDArray[np.bool_]]:
        if not self.wide_parts:
            return super().new_adjacencies(n)
        if n not in self._adjacencies:
            blocks = [adjacencies_of(self._table(n))] + \
                [part.new_adjacencies(n) for part in self.wide_parts]
            width = max(block[0].shape[1] for block in blocks)
            self._adjacencies[n] = tuple(np.concatenate(
                [np.pad(block[e], ((0, 0), (0, width - block[e].shape[1])))
                 for block in blocks]) for e in range(3))
        return self._adjacencies[n]


class Flip(Moves):
    name = "flip"

    def suits(self, dist: Distribution) -> bool:
        return isinstance(dist, (Bernoulli, BernoulliTree))

    def count(self, n: int) -> int:
        return n

    def neighbours(self, X: NDArray, which: NDArray[np.intp]) -> NDArray:
        return X[:, None, :].astype(bool) ^ np.eye(X.shape[1], dtype=bool)[which]


#: The move sets by name.
MOVES = Registry("move set", Moves, "ceopt.moves",
                 parts=(TwoOpt, Swap, Insert, OrOpt, OrThreeOpt, Flip))


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

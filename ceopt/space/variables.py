"""The variables of a search space: :class:`Real`, :class:`Integer` and :class:`Choice`.

Each says how its values are *encoded* for the search and *decoded* for the objective:

- ``Real(low, high)``: one real coordinate (with ``log=True``, the coordinate is ``log x``,
  so that the search steps by factors: a learning rate from 1e-5 to 1e-1);
- ``Integer(low, high)``: one real coordinate, rounded for the objective: value ``v`` stands
  for the cell ``[v - 1/2, v + 1/2)``. The Gaussian over the reals and integers is one, so it
  learns how they are coupled; a floor on the integer coordinates' spread (the *margin*,
  :func:`integer_margin`) keeps the search trying the neighbours of its current value. With
  ``log=True`` the coordinate is ``log v`` and ``v`` is rounded after ``exp`` (no margin:
  the cells' widths vary);
- ``Choice(options)``: one categorical variable over the options, which carry no order; a
  categorical distribution learns the probability of each (:class:`ceopt.Categorical`);
- ``Ordering(items)``: the items in some order (a tour, a schedule), encoded as ``len(items)``
  columns holding a permutation of their indices, which a permutation model learns
  (:func:`ceopt.Permutation`, the node-transition model).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtri

from ..distributions import DiagGaussian, Gaussian


def _bound(kind: str, name: str, value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{kind}: {name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{kind}: {name} must be finite, got {value}")
    return value


@dataclass(frozen=True)
class Real:
    """A real variable in ``[low, high]``; ``log=True`` searches ``log x`` (needs low > 0)."""

    low: float
    high: float
    log: bool = False

    def __post_init__(self):
        low, high = _bound("Real", "low", self.low), _bound("Real", "high", self.high)
        if not low < high:
            raise ValueError(f"Real({self.low!r}, {self.high!r}) needs low < high")
        if self.log and low <= 0:
            raise ValueError(f"Real({self.low!r}, {self.high!r}, log=True) needs low > 0 "
                             "(the search is on log x); use log=False for a range through 0")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        object.__setattr__(self, "log", bool(self.log))

    def encoded_bounds(self) -> tuple[float, float]:
        return (math.log(self.low), math.log(self.high)) if self.log else (self.low, self.high)

    def decode(self, column: np.ndarray) -> np.ndarray:
        return np.clip(np.exp(column), self.low, self.high) if self.log else column

    def state(self) -> dict[str, Any]:
        return {"kind": "real", "low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True)
class Integer:
    """An integer variable in ``[low, high]`` (both included); ``log=True`` searches
    ``log v`` (needs low >= 1)."""

    low: int
    high: int
    log: bool = False

    def __post_init__(self):
        low, high = _bound("Integer", "low", self.low), _bound("Integer", "high", self.high)
        if not (low.is_integer() and high.is_integer()):
            raise ValueError(f"Integer({self.low!r}, {self.high!r}) needs integer bounds")
        if not low < high:
            raise ValueError(f"Integer({self.low!r}, {self.high!r}) needs low < high "
                             "(a single value is a constant: leave it out of the space)")
        if self.log and low < 1:
            raise ValueError(f"Integer({self.low!r}, {self.high!r}, log=True) needs low >= 1 "
                             "(the search is on log v)")
        object.__setattr__(self, "low", int(low))
        object.__setattr__(self, "high", int(high))
        object.__setattr__(self, "log", bool(self.log))

    @property
    def rounded_by_box(self) -> bool:
        """Whether the boundary handler rounds the coordinate (not on a log scale, where the
        decoding rounds after ``exp``)."""
        return not self.log

    def encoded_bounds(self) -> tuple[float, float]:
        if self.log:  # the whole cells of the end values, in log scale
            return math.log(self.low - 0.5), math.log(self.high + 0.5)
        return float(self.low), float(self.high)

    def decode(self, column: np.ndarray) -> np.ndarray:
        values = np.exp(column) if self.log else column
        return np.clip(np.floor(values + 0.5), self.low, self.high).astype(np.int64)

    def state(self) -> dict[str, Any]:
        return {"kind": "integer", "low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True, eq=False)
class Choice:
    """One of ``options`` (any hashable values, at least two, no repeats), in no order."""

    options: Sequence[Hashable]

    def __post_init__(self):
        if isinstance(self.options, (str, bytes)) or not isinstance(self.options, Sequence):
            raise TypeError(f"Choice needs a sequence of options (a list or tuple), got "
                            f"{self.options!r}")
        options, values = distinct_values("Choice", "options", self.options,
                                          " (a single one is a constant: leave it out of the "
                                          "space)")
        object.__setattr__(self, "options", options)
        object.__setattr__(self, "_values", values)

    @property
    def k(self) -> int:
        return len(self.options)

    def decode(self, column: np.ndarray) -> np.ndarray:
        return self._values[column.astype(np.int64)]

    def state(self) -> dict[str, Any]:
        return {"kind": "choice", "options": list(self.options)}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Choice) and self.options == other.options

    def __hash__(self) -> int:
        return hash(self.options)


@dataclass(frozen=True, eq=False)
class Ordering:
    """The ``items`` (at least two, no repeats; an int ``n`` means ``0 .. n-1``) in an order
    the search chooses. ``fun`` gets them as a list in that order (vectorized: an array of
    rows, one ordering per row)."""

    items: Sequence[Hashable] | int

    def __post_init__(self):
        items = self.items
        if isinstance(items, (int, np.integer)) and not isinstance(items, bool):
            items = range(int(items))
        if isinstance(items, (str, bytes)) or not isinstance(items, (Sequence, range)):
            raise TypeError(f"Ordering needs a sequence of items or their number, got "
                            f"{self.items!r}")
        items, values = distinct_values("Ordering", "items", items)
        object.__setattr__(self, "items", items)
        object.__setattr__(self, "_values", values)

    @property
    def k(self) -> int:
        """The number of items, and of the encoding's columns."""
        return len(self.items)

    def decode(self, columns: np.ndarray) -> np.ndarray:
        """``(m, k)`` encoded rows (item indices) as ``(m, k)`` items."""
        return self._values[columns.astype(np.int64)]

    def state(self) -> dict[str, Any]:
        return {"kind": "ordering", "items": list(self.items)}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ordering) and self.items == other.items

    def __hash__(self) -> int:
        return hash(self.items)


def distinct_values(kind: str, noun: str, given: Sequence[Hashable],
                    hint: str = "") -> tuple[tuple, np.ndarray]:
    """``given`` checked (at least two, hashable, no repeats) as a tuple, and as the array the
    decoding indexes: their own dtype when numpy holds them as they are (numbers, strings),
    else objects."""
    values = tuple(given)
    if len(values) < 2:
        raise ValueError(f"{kind}({list(values)!r}) needs at least two {noun}{hint}")
    try:
        distinct = len(set(values)) == len(values)
    except TypeError:
        raise TypeError(f"{kind} {noun} must be hashable, got {values!r}") from None
    if not distinct:
        raise ValueError(f"{kind} {noun} must be distinct, got {list(values)!r}")
    objects = np.empty(len(values), dtype=object)
    objects[:] = values
    return values, np.asarray(values) if _plain(values) else objects


def _plain(options: tuple) -> bool:
    """Whether numpy keeps ``options`` exactly as plain numbers or strings of one kind."""
    kinds = {type(o) for o in options}
    return len(kinds) == 1 and kinds.pop() in (int, float, str)


Variable = Real | Integer | Choice | Ordering


def integer_margin(dim: int, popsize: int) -> float:
    """The floor on an integer coordinate's standard deviation: the spread at which a sample
    about the centre of its cell leaves the cell with probability ``1 / (dim * popsize)``,
    about one neighbour tried per population (the margin of CMA-ES with margin, Hamano et
    al. 2022)."""
    alpha = 1.0 / (dim * popsize)
    return 0.5 / float(ndtri(1.0 - alpha / 2.0))


def with_margin(dist: Gaussian | DiagGaussian, integral: np.ndarray,
                margin: float) -> Gaussian | DiagGaussian:
    """``dist`` with ``margin`` as the floor of its ``integral`` coordinates' standard
    deviations (the others keep theirs)."""
    if not np.any(integral):
        return dist
    min_std = np.where(integral, margin, dist.min_std)
    if isinstance(dist, Gaussian):
        return Gaussian(dist.mean, dist.cov, min_std=min_std)
    return DiagGaussian(dist.mean, dist.std, min_std=min_std)


def from_state(state: dict[str, Any]) -> Variable:
    kind = state["kind"]
    if kind == "real":
        return Real(state["low"], state["high"], state["log"])
    if kind == "integer":
        return Integer(state["low"], state["high"], state["log"])
    if kind == "choice":
        return Choice(state["options"])
    if kind == "ordering":
        return Ordering(state["items"])
    raise LookupError(f"the variable kind {kind!r}, which this ceopt does not know")

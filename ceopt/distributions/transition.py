"""Permutations as walks: a first item, then each next item by what follows the last one.

The CE method's classic model for the travelling salesman (Rubinstein & Kroese, *The
Cross-Entropy Method*, ch. 4): ``start[a]`` is the probability that the permutation begins
with ``a``, ``P[a, b]`` that ``b`` follows ``a``. A sample is drawn item after item; the items
already drawn are struck out and the rest of the row renormalised, so every sample is a
permutation. The weighted MLE is the weighted frequency of each first item and each
transition ``a -> b`` among the samples (the striking out changes the normalisers only, and
the CE literature fits the frequencies), floored as :class:`Categorical` is:

    P[a, b] = min_prob + (1 - (n - 1) min_prob) * freq(a -> b),    P[a, a] = 0.

With ``cyclic=True`` a permutation is a closed tour: the first item is always drawn
uniformly (a tour has no start) and the step from the last item back to the first counts
as a transition.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._checks import flag, float_array
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
    permutation_rows,
)


class NodeTransition(PermutationModel):
    """Permutations of ``0 .. n-1`` drawn as walks: ``start`` (n,), ``trans`` (n, n).

    ``trans`` has a zero diagonal and rows summing to 1; ``start`` sums to 1 (uniform and
    not fitted when ``cyclic``). ``min_prob`` is the floor of every probability (default
    ``1e-3 / (n - 2)``: each row keeps 1e-3 for leaving its mode).

    Example
    -------
    >>> import numpy as np
    >>> d = NodeTransition.uniform(4)
    >>> tours = np.array([[0, 1, 2, 3]] * 5)
    >>> d.fit(tours).mode
    array([0, 1, 2, 3])
    """

    __slots__ = ("_start", "_trans", "_min_prob", "_cyclic")

    def __init__(self, start: ArrayLike, trans: ArrayLike, *, min_prob: float | None = None,
                 cyclic: bool = False):
        trans = float_array("trans", trans)
        if trans.ndim != 2 or trans.shape[0] != trans.shape[1] or trans.shape[0] < 2:
            raise ValueError(f"trans must be a square (n, n) matrix with n >= 2, got shape "
                             f"{trans.shape}")
        n = trans.shape[0]
        start = float_array("start", start)
        if start.shape != (n,):
            raise ValueError(f"start must have shape ({n},), got {start.shape}")
        for name, probs in (("start", start[None, :]), ("trans", trans)):
            if not np.all(np.isfinite(probs) & (probs >= 0)):
                raise ValueError(f"{name} must hold finite, non-negative probabilities")
            sums = probs.sum(axis=1)
            bad = np.flatnonzero(np.abs(sums - 1) > 1e-8)
            if bad.size:
                where = "start" if name == "start" else f"row {bad[0]} of trans"
                raise ValueError(f"{where} must sum to 1, sums to {sums[bad[0]]:.10g}")
        if np.any(np.diag(trans) > 0):
            raise ValueError("trans must have a zero diagonal (an item cannot follow itself)")
        self._cyclic = flag("cyclic", cyclic)
        self._start = frozen(np.full(n, 1.0 / n) if self._cyclic else start / start.sum())
        self._trans = frozen(trans / trans.sum(axis=1, keepdims=True))
        self._min_prob = check_floor(min_prob, n - 1)

    @classmethod
    def uniform(cls, n: int, *, min_prob: float | None = None,
                cyclic: bool = False) -> NodeTransition:
        """Every permutation equally likely."""
        n = check_n(n)
        trans = (1 - np.eye(n)) / (n - 1)
        return cls(np.full(n, 1.0 / n), trans, min_prob=min_prob, cyclic=cyclic)

    @property
    def n(self) -> int:
        return self._trans.shape[0]

    @property
    def start(self) -> NDArray[np.float64]:
        return self._start

    @property
    def trans(self) -> NDArray[np.float64]:
        return self._trans

    @property
    def cyclic(self) -> bool:
        return self._cyclic

    def likely_pairs(self, k: int) -> NDArray[np.bool_]:
        """``(n, n)``: whether items ``a`` and ``b`` are among each other's ``k`` likeliest
        neighbours, before or after (``trans + trans.T``; ties at the k-th value count, so
        a row the elites have not yet told apart keeps all its items)."""
        both = self._trans + self._trans.T
        np.fill_diagonal(both, -1.0)
        kth = -np.sort(-both, axis=1)[:, min(k, self.n - 1) - 1]
        likely = both >= kth[:, None]
        return likely | likely.T

    @property
    def n_params(self) -> int:
        # n rows of n - 1 successors (n - 2 free each), and the start's n - 1.
        return self.n * (self.n - 2) + (0 if self._cyclic else self.n - 1)

    def _leaving(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Along the mode's walk, the probability of leaving it at each step, and what the
        floor alone would leave: ``(n,)`` each (the first step is the start's)."""
        n, walk = self.n, self.mode
        free = np.ones((n, n), dtype=bool)
        free[np.tril_indices(n)] = False       # step t may go to walk[t + 1:]
        rows = self._trans[walk[:-1]][:, walk]  # row t's probabilities in walk order
        stay = rows[np.arange(n - 1), np.arange(1, n)] / (rows * free[:-1]).sum(axis=1)
        others = np.arange(n - 2, -1, -1)       # free items besides the mode's, per step
        f = self._min_prob
        floor = others * f / (others * f + 1 - (n - 2) * f)
        first = 0.0 if self._cyclic else 1 - self._start[walk[0]]
        first_floor = 0.0 if self._cyclic else (n - 1) * f
        return np.concatenate([[first], 1 - stay]), np.concatenate([[first_floor], floor])

    @property
    def spread(self) -> float:
        """The largest probability of leaving the mode's walk at one of its steps."""
        return float(self._leaving()[0].max())

    @property
    def min_spread(self) -> float:
        return float(self._leaving()[1].max())

    @property
    def spread_above_floor(self) -> float:
        leave, floor = self._leaving()
        return float((leave - floor).max())

    @property
    def mode(self) -> NDArray[np.int64]:
        """The greedy walk: the likeliest first item, then always the likeliest next one
        not yet visited (the likeliest permutation is a travelling-salesman problem
        itself)."""
        n = self.n
        out = np.empty(n, dtype=np.int64)
        free = np.ones(n, dtype=bool)
        item = int(self._start.argmax()) if not self._cyclic else 0
        for t in range(n):
            out[t], free[item] = item, False
            if t < n - 1:
                item = int(np.where(free, self._trans[item], -1.0).argmax())
        return out

    def _draw(self, n: int, rng: np.random.Generator) -> NDArray[np.int64]:
        m = self.n
        x = np.empty((n, m), dtype=np.int64)
        if n == 0:
            return x
        left = Remaining(n, m)
        start = np.cumsum(self._start)
        item = np.searchsorted(start, rng.random(n) * start[-1], side="right")
        item = np.minimum(item, m - 1)
        sampler = RowSampler(self._trans)
        for t in range(m):
            x[:, t] = item
            left.take(item)
            if t < m - 1:
                item = sampler.draw(item, left, rng)
        return x

    def log_prob(self, x: ArrayLike) -> NDArray[np.float64]:
        """Log mass of the walk as drawn: each step's probability among the items not yet
        visited. A row that is not a permutation has log mass ``-inf``."""
        x = check_samples(x, self.n)
        valid = permutation_rows(x, self.n)
        out = np.full(x.shape[0], -np.inf)
        if valid.any():
            out[valid] = self._log_prob(x[valid].astype(np.int64))
        return out

    def affinity(self, x: ArrayLike) -> NDArray[np.float64]:
        """``log start[x_0] + sum_t log P[x_t, x_t+1]`` (and the step back to ``x_0`` when
        cyclic): the walk's log mass without the renormalisation over unvisited items, one
        gather per step instead of a row sum."""
        x = check_samples(x, self.n).astype(np.intp, copy=False)
        with np.errstate(divide="ignore"):
            log_trans = np.log(self._trans)
            out = np.log(self._start[x[:, 0]]) + log_trans[x[:, :-1], x[:, 1:]].sum(axis=1)
        if self._cyclic:
            out += log_trans[x[:, -1], x[:, 0]]
        return out

    def _log_prob(self, x: NDArray[np.int64]) -> NDArray[np.float64]:
        m, n = x.shape[0], self.n
        with np.errstate(divide="ignore"):
            out = np.log(self._start[x[:, 0]])
            free = np.ones((m, n), dtype=bool)
            rows = np.arange(m)
            for t in range(n - 1):
                free[rows, x[:, t]] = False
                row = self._trans[x[:, t]]
                out += np.log(row[rows, x[:, t + 1]]) - np.log((row * free).sum(axis=1))
        return out

    def fit(self, x: ArrayLike, weights: ArrayLike | None = None) -> NodeTransition:
        x = check_permutations(x, self.n)
        w = normalized_weights(weights, x.shape[0])
        n = self.n
        tails = np.roll(x, -1, axis=1) if self._cyclic else x[:, 1:]
        heads = x if self._cyclic else x[:, :-1]
        counts = np.bincount((heads * n + tails).ravel(),
                             weights=np.repeat(w, heads.shape[1]), minlength=n * n)
        trans = floored(counts.reshape(n, n), ~np.eye(n, dtype=bool), self._min_prob)
        start = np.bincount(x[:, 0], weights=w, minlength=n)
        start = floored(start[None, :], None, self._min_prob)[0]
        return self._like(start, trans)

    def smooth(self, new: NodeTransition, alpha: float) -> NodeTransition:
        check_same_family(self, new)
        a = check_alpha(alpha)
        return self._like(a * new.start + (1 - a) * self._start,
                          a * new.trans + (1 - a) * self._trans)

    def _like(self, start: NDArray, trans: NDArray) -> NodeTransition:
        return NodeTransition(start, trans, min_prob=self._min_prob, cyclic=self._cyclic)

    def state(self) -> dict[str, Any]:
        return {"start": self._start, "trans": self._trans, "min_prob": self._min_prob,
                "cyclic": self._cyclic}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> NodeTransition:
        # Not through the constructor, which would normalise the rows again.
        restored = object.__new__(cls)
        restored._start, restored._trans = frozen(state["start"]), frozen(state["trans"])
        restored._min_prob, restored._cyclic = float(state["min_prob"]), bool(state["cyclic"])
        return restored

    def __repr__(self) -> str:
        kind = ", cyclic" if self._cyclic else ""
        return (f"NodeTransition(n={self.n}{kind}, mode={short(self.mode)}, "
                f"spread={self.spread:.3g})")

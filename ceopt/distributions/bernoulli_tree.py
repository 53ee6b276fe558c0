"""Bits with a tree of dependencies: each bit drawn given one other bit, its parent.

Independent bits (:class:`~ceopt.distributions.Bernoulli`) cannot learn that two bits should
agree without learning which value they take. Problems with symmetric optima (the Ising
ring: all zeros or all ones) or with coupled bits (epistasis) need that. The smallest family
that can say it is a tree (Chow & Liu 1968; as the sampling model of an optimiser, Baluja &
Davies 1997's dependency trees): one root bit, and every other bit drawn by the
probability that it is 1 given its parent's value,

    P(x) = P(x_root) * prod_j P(x_j | x_parent(j)).

**The fit.** The weighted MLE among all trees is Chow and Liu's: the tree that maximises
the summed mutual information of its edges under the weighted samples, found as a maximum
spanning tree, with each bit's conditionals the weighted frequencies along it. All it needs
are the first and second moments of the samples: ``p[j] = P(x_j = 1)`` and
``pair[i, j] = P(x_i = 1, x_j = 1)``. The family keeps those moments as its parameters and
builds the tree from them, so smoothing mixes moments exactly as ``Bernoulli`` mixes
probabilities (and the tree is rebuilt from the mix). The floor
``min_prob`` applies to every conditional probability, as ``Bernoulli``'s to its
probabilities:

    P(x_j = 1 | parent = a) = min_prob + (1 - 2 min_prob) * frequency.

With moments of independent bits (``pair = outer(p, p)``, the default) every edge carries
no information and the family draws what ``Bernoulli(p)`` with the same floor draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import xlogy

from .._checks import float_array
from ._base import (
    Distribution,
    bit_log_mass,
    bit_probabilities,
    check_alpha,
    check_bits,
    check_floor,
    check_same_family,
    check_samples,
    frozen,
    normalized_weights,
    short,
)

#: How far ``pair`` may stray from a valid table of joint probabilities (rounding).
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Tree:
    """The tree the moments give: each bit's ``parent`` (-1 for the root), an ``order`` in
    which parents come before their children, ``table[j, a] = P(x_j = 1 | parent = a)``, and
    the ``marginals`` P(x_j = 1) they make."""

    parent: NDArray[np.intp]
    order: NDArray[np.intp]
    table: NDArray[np.float64]
    marginals: NDArray[np.float64]


class BernoulliTree(Distribution):
    """``dim`` bits whose dependencies form a tree, built from the moments ``p`` (the
    probability that each bit is 1) and ``pair`` (that two bits are both 1; default
    ``outer(p, p)`` off the diagonal: independent bits).

    Samples are ``bool`` arrays. ``min_prob`` (default ``1e-3``) floors every conditional
    probability (module docstring); pass 0 to let bits freeze. ``parent`` and ``table`` show
    the tree: bit ``j`` is 1 with probability ``table[j, a]`` when its parent's bit is ``a``
    (the root, whose ``parent`` is -1, has both columns equal).

    Example
    -------
    >>> import numpy as np
    >>> tree = BernoulliTree(np.full(3, 0.5))
    >>> agree = np.array([[0, 0, 1], [1, 1, 0], [0, 0, 0], [1, 1, 1]])  # bits 0, 1 agree
    >>> fitted = tree.fit(agree)
    >>> int(fitted.parent[1]) if fitted.parent[1] >= 0 else int(fitted.parent[0])
    0
    """

    discrete = True
    __slots__ = ("_p", "_pair", "_min_prob", "_tree")

    def __init__(self, p: ArrayLike, pair: ArrayLike | None = None, *,
                 min_prob: float | None = None):
        p = bit_probabilities(p)
        if pair is None:  # independent bits
            pair = np.outer(p, p)
            np.fill_diagonal(pair, p)
        pair = float_array("pair", pair)
        check_pair(pair, p)
        self._p, self._pair = frozen(p), frozen(within_bounds(pair, p))
        self._min_prob = check_floor(min_prob, 2)
        self._tree: Tree | None = None  # built when first drawn from: a fit is often only mixed

    @classmethod
    def _of_moments(cls, p: NDArray[np.float64], pair: NDArray[np.float64],
                    min_prob: float) -> BernoulliTree:
        """A tree from moments this module computed (weighted frequencies or their mix,
        valid by construction) without checking them again (at 1000 bits the checks of
        ``__init__`` cost a fifth of a generation); rounding past the bounds is clipped as
        there."""
        tree = object.__new__(cls)
        p = np.clip(p, 0.0, 1.0)
        tree._p, tree._pair = frozen(p), frozen(within_bounds(pair, p))
        tree._min_prob, tree._tree = min_prob, None
        return tree

    def _built(self) -> Tree:
        if self._tree is None:
            parent, order = chow_liu(self._p, self._pair)
            table = conditionals(self._p, self._pair, parent, self._min_prob)
            self._tree = Tree(frozen(parent, np.intp), frozen(order, np.intp), frozen(table),
                              frozen(marginals(table, parent, order)))
        return self._tree

    # -- parameters -------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self._p.size

    @property
    def p(self) -> NDArray[np.float64]:
        """The moments' ``P(x_j = 1)`` (before the floor)."""
        return self._p

    @property
    def pair(self) -> NDArray[np.float64]:
        """The moments' ``P(x_i = 1, x_j = 1)``, with ``p`` on the diagonal."""
        return self._pair

    @property
    def parent(self) -> NDArray[np.intp]:
        """Each bit's parent in the tree; -1 for the root."""
        return self._built().parent

    @property
    def table(self) -> NDArray[np.float64]:
        """``table[j, a]``: the probability that bit ``j`` is 1 when its parent's is ``a``."""
        return self._built().table

    @property
    def min_prob(self) -> float:
        return self._min_prob

    @property
    def marginals(self) -> NDArray[np.float64]:
        """The probability that each bit is 1 under the tree (floor included)."""
        return self._built().marginals

    @property
    def mean(self) -> NDArray[np.float64]:
        return self.marginals

    @property
    def mode(self) -> NDArray[np.bool_]:
        """The most likely bit string, by max-product over the tree (ties to 0)."""
        t = self._built()
        with np.errstate(divide="ignore"):  # (dim, parent's value, own value)
            logc = np.stack([np.log1p(-t.table), np.log(t.table)], axis=2)
        below = np.zeros((self.dim, 2))  # best log mass of j's subtree given x_j, j excluded
        for j in t.order[:0:-1]:  # children before parents
            below[t.parent[j]] += (logc[j] + below[j]).max(axis=1)
        x = np.zeros(self.dim, dtype=bool)
        for j in t.order:
            a = int(x[t.parent[j]]) if t.parent[j] >= 0 else 0
            x[j] = np.argmax(logc[j, a] + below[j]) == 1
        return x

    @property
    def spread(self) -> float:
        q = self.marginals
        return float(np.minimum(q, 1 - q).max())

    @property
    def min_spread(self) -> float:
        return self._min_prob

    @property
    def n_params(self) -> int:
        return 2 * self.dim - 1

    # -- the CE update ----------------------------------------------------------------------
    def sample(self, n: int, rng: np.random.Generator) -> NDArray[np.bool_]:
        t = self._built()
        # Bit by bit, each for the whole population: rows of the transposed array are
        # contiguous, which makes the loop over bits about 5x faster at 1000 bits.
        u = rng.random((self.dim, n))
        x = np.zeros((self.dim, n), dtype=bool)
        root = t.order[0]
        x[root] = u[root] < t.table[root, 0]
        for j in t.order[1:]:
            x[j] = u[j] < np.where(x[t.parent[j]], t.table[j, 1], t.table[j, 0])
        return np.ascontiguousarray(x.T)

    def log_prob(self, x: ArrayLike) -> NDArray[np.float64]:
        """Log mass; a row with a value other than 0/1 has log mass ``-inf``."""
        x = check_samples(x, self.dim)
        t = self._built()
        parents = np.where(t.parent >= 0, t.parent, t.order[0])  # the root's columns agree
        return bit_log_mass(x, np.where(x[:, parents] == 1, t.table[:, 1], t.table[:, 0]))

    def fit(self, x: ArrayLike, weights: ArrayLike | None = None) -> BernoulliTree:
        x = check_bits(x, self.dim, "BernoulliTree").astype(np.float64)
        w = normalized_weights(weights, x.shape[0])
        return BernoulliTree._of_moments(w @ x, (x * w[:, None]).T @ x, self._min_prob)

    def smooth(self, new: BernoulliTree, alpha: float) -> BernoulliTree:
        check_same_family(self, new)
        a = check_alpha(alpha)
        return BernoulliTree._of_moments(a * new.p + (1 - a) * self._p,
                                         a * new.pair + (1 - a) * self._pair, self._min_prob)

    # -- reading it -------------------------------------------------------------------------
    def support(self) -> NDArray[np.bool_]:
        q = self.marginals
        return np.stack([q < 1, q > 0], axis=1)

    def entropy(self) -> float:
        t, q = self._built(), self.marginals
        h = -(xlogy(t.table, t.table) + xlogy(1 - t.table, 1 - t.table))
        weight = np.where(t.parent >= 0, q[t.parent], 0.0)  # P(parent = 1)
        return float(((1 - weight) * h[:, 0] + weight * h[:, 1]).sum())

    def state(self) -> dict[str, Any]:
        return {"p": self._p, "pair": self._pair, "min_prob": self._min_prob}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> BernoulliTree:
        return cls(state["p"], state["pair"], min_prob=state["min_prob"])

    def __repr__(self) -> str:
        return (f"BernoulliTree(dim={self.dim}, marginals={short(self.marginals, 3)}, "
                f"parent={short(self.parent)})")


def check_pair(pair: NDArray[np.float64], p: NDArray[np.float64]) -> None:
    """``pair`` must be a symmetric table of joint probabilities with ``p`` on its diagonal:
    ``max(0, p_i + p_j - 1) <= pair[i, j] <= min(p_i, p_j)``."""
    d = p.size
    if pair.shape != (d, d):
        raise ValueError(f"pair must have shape ({d}, {d}) for {d} bits, got {pair.shape}")
    if not np.all(np.isfinite(pair)):
        raise ValueError("pair must be finite")
    if not np.allclose(pair, pair.T, rtol=0, atol=TOLERANCE):
        raise ValueError("pair must be symmetric: pair[i, j] = P(x_i = 1, x_j = 1)")
    if not np.allclose(np.diag(pair), p, rtol=0, atol=TOLERANCE):
        raise ValueError("pair's diagonal must equal p: P(x_j = 1, x_j = 1) = P(x_j = 1)")
    low, high = frechet_bounds(p)
    if np.any(pair < low - TOLERANCE) or np.any(pair > high + TOLERANCE):
        raise ValueError("pair holds no joint probabilities of bits with these p: each "
                         "pair[i, j] must lie in [max(0, p_i + p_j - 1), min(p_i, p_j)]")


def frechet_bounds(p: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The least and greatest ``P(x_i = 1, x_j = 1)`` of bits with these ``p``:
    ``max(0, p_i + p_j - 1)`` and ``min(p_i, p_j)``."""
    return np.maximum(p[:, None] + p[None, :] - 1, 0), np.minimum(p[:, None], p[None, :])


def within_bounds(pair: NDArray[np.float64], p: NDArray[np.float64]) -> NDArray[np.float64]:
    """``pair`` clipped to :func:`frechet_bounds` (weighted sums round a hair past them)."""
    return np.clip(pair, *frechet_bounds(p))


def chow_liu(p: NDArray[np.float64],
             pair: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """The maximum spanning tree of the bits' mutual information, rooted at bit 0: each
    bit's parent (-1 for the root) and an order in which parents precede their children."""
    d = p.size
    # The four cells of each pair's joint table.
    cells = [pair, p[:, None] - pair, p[None, :] - pair, 1 - p[:, None] - p[None, :] + pair]
    joint = sum(xlogy(c, c) for c in np.clip(cells, 0, None))  # rounding may leave -1e-17
    single = xlogy(p, p) + xlogy(1 - p, 1 - p)
    info = np.clip(joint - single[:, None] - single[None, :], 0, None)  # I(x_i; x_j)
    # Prim's algorithm on the dense graph: grow the tree from bit 0, each time by the bit
    # with the most information about a bit already in it (O(d²), one pass per bit).
    parent = np.zeros(d, dtype=np.intp)
    parent[0] = -1
    order = np.zeros(d, dtype=np.intp)
    best = info[0].copy()  # each bit's most information with a bit in the tree
    outside = np.ones(d, dtype=bool)
    outside[0] = False
    for k in range(1, d):
        j = int(np.argmax(np.where(outside, best, -1.0)))
        order[k], outside[j] = j, False
        closer = outside & (info[j] > best)
        best[closer], parent[closer] = info[j, closer], j
    return parent, order


def conditionals(p: NDArray[np.float64], pair: NDArray[np.float64], parent: NDArray[np.intp],
                 min_prob: float) -> NDArray[np.float64]:
    """``table[j, a] = P(x_j = 1 | x_parent(j) = a)`` from the moments, floored; where the
    parent never takes value ``a`` (or for the root) the bit's own ``p``."""
    d = p.size
    has = parent >= 0
    q = np.where(has, parent, 0)
    both = pair[np.arange(d), q]  # P(x_j = 1, x_parent = 1)
    pq = p[q]
    with np.errstate(divide="ignore", invalid="ignore"):
        given1 = np.where(has & (pq > 0), both / pq, p)
        given0 = np.where(has & (pq < 1), (p - both) / (1 - pq), p)
    freq = np.clip(np.stack([given0, given1], axis=1), 0.0, 1.0)
    return min_prob + (1 - 2 * min_prob) * freq


def marginals(table: NDArray[np.float64], parent: NDArray[np.intp],
              order: NDArray[np.intp]) -> NDArray[np.float64]:
    """P(x_j = 1) under the tree: down from the root, each bit's from its parent's."""
    q = np.empty(parent.size)
    root = order[0]
    q[root] = table[root, 0]
    for j in order[1:]:  # parents come first in the order
        q[j] = q[parent[j]] * table[j, 1] + (1 - q[parent[j]]) * table[j, 0]
    return q

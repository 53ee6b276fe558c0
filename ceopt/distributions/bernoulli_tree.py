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
probabilities (and the tree is rebuilt from the mix, as Baluja and Davies did). The floor
``min_prob`` applies to every conditional probability, as ``Bernoulli``'s to its
probabilities:

    P(x_j = 1 | parent = a) = min_prob + (1 - 2 min_prob) * frequency.

With moments of independent bits (``pair = outer(p, p)``, the default) every edge carries
no information and the family draws what ``Bernoulli(p)`` with the same floor draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree
from scipy.special import xlogy

from .._checks import float_array
from ._base import (
    Distribution,
    check_alpha,
    check_floor,
    check_same_family,
    check_samples,
    frozen,
    normalized_weights,
    short,
)

#: How far ``pair`` may stray from a valid table of joint probabilities (rounding).
TOLERANCE = 1e-9


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
    __slots__ = ("_p", "_pair", "_min_prob", "_parent", "_order", "_table")

    def __init__(self, p: ArrayLike, pair: ArrayLike | None = None, *,
                 min_prob: float | None = None):
        p = float_array("p", p)
        if p.ndim != 1 or p.size == 0:
            raise ValueError(f"p must be a non-empty 1-D array, got shape {p.shape}")
        if not np.all(np.isfinite(p) & (p >= -TOLERANCE) & (p <= 1 + TOLERANCE)):
            raise ValueError("p must hold probabilities in [0, 1]")
        p = np.clip(p, 0.0, 1.0)
        if pair is None:  # independent bits
            pair = np.outer(p, p)
            np.fill_diagonal(pair, p)
        pair = float_array("pair", pair)
        check_pair(pair, p)
        self._p = frozen(p)
        self._pair = frozen(np.clip(pair, np.maximum(p[:, None] + p[None, :] - 1, 0),
                                    np.minimum(p[:, None], p[None, :])))
        self._min_prob = check_floor(min_prob, 2)
        self._parent, self._order = chow_liu(self._p, self._pair)
        self._table = frozen(conditionals(self._p, self._pair, self._parent, self._min_prob))

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
        return self._parent

    @property
    def table(self) -> NDArray[np.float64]:
        """``table[j, a]``: the probability that bit ``j`` is 1 when its parent's is ``a``."""
        return self._table

    @property
    def min_prob(self) -> float:
        return self._min_prob

    @property
    def marginals(self) -> NDArray[np.float64]:
        """The probability that each bit is 1 under the tree (floor included)."""
        q = np.empty(self.dim)
        root, rest = self._order[0], self._order[1:]
        q[root] = self._table[root, 0]
        for j in rest:  # parents come first in the order
            q[j] = q[self._parent[j]] * self._table[j, 1] \
                + (1 - q[self._parent[j]]) * self._table[j, 0]
        return q

    @property
    def mean(self) -> NDArray[np.float64]:
        return self.marginals

    @property
    def mode(self) -> NDArray[np.bool_]:
        """The most likely bit string, by max-product over the tree (ties to 0)."""
        logc = self._log_conditionals()  # (dim, parent value, own value)
        below = np.zeros((self.dim, 2))  # best log mass of j's subtree given x_j, j excluded
        for j in self._order[:0:-1]:  # children before parents
            below[self._parent[j]] += (logc[j] + below[j]).max(axis=1)
        x = np.zeros(self.dim, dtype=bool)
        for j in self._order:
            a = int(x[self._parent[j]]) if self._parent[j] >= 0 else 0
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
        u = rng.random((n, self.dim))
        x = np.zeros((n, self.dim), dtype=bool)
        root = self._order[0]
        x[:, root] = u[:, root] < self._table[root, 0]
        for j in self._order[1:]:  # one column at a time, each for the whole population
            x[:, j] = u[:, j] < np.where(x[:, self._parent[j]], self._table[j, 1],
                                         self._table[j, 0])
        return x

    def log_prob(self, x: ArrayLike) -> NDArray[np.float64]:
        """Log mass; a row with a value other than 0/1 has log mass ``-inf``."""
        x = check_samples(x, self.dim)
        bits = (x == 0) | (x == 1)
        ones = x == 1
        parents = np.where(self._parent >= 0, self._parent, self._order[0])
        p1 = np.where(ones[:, parents], self._table[:, 1], self._table[:, 0])
        with np.errstate(divide="ignore"):
            terms = np.where(ones, np.log(p1), np.log1p(-p1))
        return np.where(bits, terms, -np.inf).sum(axis=1)

    def fit(self, x: ArrayLike, weights: ArrayLike | None = None) -> BernoulliTree:
        x = check_samples(x, self.dim)
        if not np.all((x == 0) | (x == 1)):
            raise ValueError("BernoulliTree samples must be 0/1 or bool")
        w = normalized_weights(weights, x.shape[0])
        x = x.astype(np.float64)
        return BernoulliTree(w @ x, (x * w[:, None]).T @ x, min_prob=self._min_prob)

    def smooth(self, new: BernoulliTree, alpha: float) -> BernoulliTree:
        check_same_family(self, new)
        a = check_alpha(alpha)
        return BernoulliTree(a * new.p + (1 - a) * self._p,
                             a * new.pair + (1 - a) * self._pair, min_prob=self._min_prob)

    # -- reading it -------------------------------------------------------------------------
    def support(self) -> NDArray[np.bool_]:
        q = self.marginals
        return np.stack([q < 1, q > 0], axis=1)

    def entropy(self) -> float:
        q = self.marginals
        h = -(xlogy(self._table, self._table) + xlogy(1 - self._table, 1 - self._table))
        weight = np.where(self._parent >= 0, q[self._parent], 0.0)  # P(parent = 1)
        return float(((1 - weight) * h[:, 0] + weight * h[:, 1]).sum())

    def state(self) -> dict[str, Any]:
        return {"p": self._p, "pair": self._pair, "min_prob": self._min_prob}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> BernoulliTree:
        return cls(state["p"], state["pair"], min_prob=state["min_prob"])

    def _log_conditionals(self) -> NDArray[np.float64]:
        with np.errstate(divide="ignore"):
            return np.stack([np.log1p(-self._table), np.log(self._table)], axis=2)

    def __repr__(self) -> str:
        return (f"BernoulliTree(dim={self.dim}, marginals={short(self.marginals, 3)}, "
                f"parent={short(self._parent)})")


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
    low = np.maximum(p[:, None] + p[None, :] - 1, 0) - TOLERANCE
    high = np.minimum(p[:, None], p[None, :]) + TOLERANCE
    if np.any(pair < low) or np.any(pair > high):
        raise ValueError("pair holds no joint probabilities of bits with these p: each "
                         "pair[i, j] must lie in [max(0, p_i + p_j - 1), min(p_i, p_j)]")


def chow_liu(p: NDArray[np.float64],
             pair: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """The maximum spanning tree of the bits' mutual information, rooted at bit 0: each
    bit's parent (-1 for the root) and an order in which parents precede their children."""
    d = p.size
    if d == 1:
        return np.array([-1]), np.array([0])
    # The four cells of each pair's joint table.
    cells = [pair, p[:, None] - pair, p[None, :] - pair, 1 - p[:, None] - p[None, :] + pair]
    joint = sum(xlogy(c, c) for c in np.clip(cells, 0, None))  # rounding may leave -1e-17
    single = xlogy(p, p) + xlogy(1 - p, 1 - p)
    info = np.clip(joint - single[:, None] - single[None, :], 0, None)  # I(x_i; x_j)
    # The spanning tree routine minimises and reads zeros as missing edges: a cost that is
    # positive everywhere off the diagonal and falls as the information grows.
    cost = info.max() + 1.0 - info
    np.fill_diagonal(cost, 0.0)
    tree = minimum_spanning_tree(cost)
    order, parent = breadth_first_order(tree, 0, directed=False)
    parent = np.where(parent < 0, -1, parent).astype(np.intp)
    return parent, order.astype(np.intp)


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

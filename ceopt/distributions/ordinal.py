"""Independent ordinal variables: a discrete Laplace (two-sided geometric) law over ``0 .. n-1``.

Variable ``j`` takes the values ``0 .. n_j - 1`` in their order, with mass falling
geometrically away from a mode ``m_j``,

    P(v) = q_j^|v - m_j| / Z_j          (0 <= q_j < 1, Z_j the sum over 0 .. n_j - 1),

so the values next to the mode are tried most: the order carries information, which a
:class:`~ceopt.Categorical` over the values ignores, and nothing ties the law to a real
coordinate and its rounding, as a Gaussian over a rounded coordinate does.

The weighted MLE (``fit``): the log-likelihood is ``log q * sum_k w_k |x_k - m| - log Z``.
Over ``m`` its first term is largest at a weighted median of the samples (``fit`` takes the
lower one, an integer; ``Z`` depends on ``m`` only through the truncation, which the fit
neglects). Given ``m``, the likelihood equation of this one-parameter exponential family is
``E_q |X - m| = sum_k w_k |x_k - m|``: the model's mean distance from the mode equals the
samples', which is increasing in ``q`` and solved by bisection, in closed form on every
variable at once.

A floor ``min_decay`` on ``q_j`` keeps the neighbours of the mode tried (as the margin of an
integer coordinate does, ``ceopt.space.integer_margin``): a neighbour keeps ``min_decay``
times the mode's mass. Smoothing mixes ``q`` linearly and moves the mode to the rounded
mix of the two modes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

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

#: The decay is kept below this (above it, the law is uniform to double precision).
MAX_DECAY = 1.0 - 1e-9
#: Bisection steps of the fit, on log(-log q) between the two ends below: -log q to 2e-5 of
#: itself.
FIT_STEPS = 20
_RATE_RANGE = (np.log(1e-9), np.log(50.0))  # -log q from MAX_DECAY to 2e-22


class Ordinal(Distribution):
    """``dim`` independent ordinal variables, variable ``j`` over ``0 .. sizes[j] - 1``,
    each with its ``mode`` and ``decay`` (module docstring).

    ``min_decay`` (one for all or one per variable) is the floor of ``decay``; by default
    the one at which a variable leaves its mode with probability about 1e-3.
    :meth:`uniform` starts every variable flat about the middle of its values.

    Example
    -------
    >>> import numpy as np
    >>> o = Ordinal(mode=[2, 0], decay=[0.5, 0.1], sizes=[5, 2])
    >>> o.probs[0]                 # 0.5**|v - 2| / 2.5
    array([0.1, 0.2, 0.4, 0.2, 0.1])
    >>> o.sample(3, np.random.default_rng(0))
    array([[3, 0],
           [1, 1],
           [3, 0]])
    """

    discrete = True
    __slots__ = ("_mode", "_decay", "_sizes", "_min_decay")

    def __init__(self, mode: ArrayLike, decay: ArrayLike, sizes: ArrayLike, *,
                 min_decay: ArrayLike | None = None):
        sizes = np.asarray(sizes)
        if sizes.ndim != 1 or sizes.size == 0 or sizes.dtype.kind not in "iu":
            raise ValueError(f"sizes must be a non-empty list of integers (each variable's "
                             f"number of values), got {sizes!r}")
        if np.any(sizes < 2):
            raise ValueError(f"every variable needs at least 2 values, got sizes {sizes}")
        self._sizes = frozen(sizes, np.int64)
        dim = sizes.size
        mode = np.broadcast_to(np.asarray(mode), (dim,)) if np.ndim(mode) <= 1 else None
        if mode is None or mode.dtype.kind not in "iuf" or np.any(mode != np.round(mode)):
            raise ValueError(f"mode must be {dim} integers, got {short(np.asarray(mode))}")
        if np.any((mode < 0) | (mode >= sizes)):
            j = int(np.flatnonzero((mode < 0) | (mode >= sizes))[0])
            raise ValueError(f"mode[{j}] = {mode[j]} is outside 0 .. {sizes[j] - 1}")
        self._mode = frozen(mode, np.int64)
        self._min_decay = _floors(min_decay, dim)
        decay = np.broadcast_to(np.asarray(decay, dtype=np.float64), (dim,)) \
            if np.ndim(decay) <= 1 and np.size(decay) in (1, dim) else None
        if decay is None or not np.all((decay >= 0) & (decay <= MAX_DECAY)):
            raise ValueError(f"decay must be {dim} numbers in [0, 1), got {decay!r}")
        self._decay = frozen(np.maximum(decay, self._min_decay))

    @classmethod
    def uniform(cls, sizes: ArrayLike, *, min_decay: ArrayLike | None = None) -> Ordinal:
        """Every variable (nearly) uniform over its values, its mode in the middle."""
        sizes = np.asarray(sizes)
        return cls((sizes - 1) // 2, MAX_DECAY, sizes, min_decay=min_decay)

    # -- the parameters ----------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self._sizes.size

    @property
    def sizes(self) -> NDArray[np.int64]:
        return self._sizes

    @property
    def mode(self) -> NDArray[np.int64]:
        return self._mode

    @property
    def decay(self) -> NDArray[np.float64]:
        return self._decay

    @property
    def min_decay(self) -> NDArray[np.float64]:
        return self._min_decay

    @property
    def probs(self) -> NDArray[np.float64]:
        """The mass of every value, shape ``(dim, max(sizes))`` (zero beyond a variable's
        values)."""
        v = np.arange(self._sizes.max())
        with np.errstate(divide="ignore"):
            log_mass = np.abs(v - self._mode[:, None]) * np.log(self._decay)[:, None]
        mass = np.where(v < self._sizes[:, None], np.exp(log_mass), 0.0)
        mass[np.arange(self.dim), self._mode] = 1.0  # q**0 = 1, also for q = 0
        return mass / mass.sum(axis=1, keepdims=True)

    # -- what the solver uses ----------------------------------------------------------------
    @property
    def spread(self) -> float:
        """The largest probability of not drawing a variable's mode."""
        return float((1.0 - self._mode_mass(self._decay)).max())

    @property
    def min_spread(self) -> float:
        return float((1.0 - self._mode_mass(self._min_decay)).max())

    @property
    def spread_above_floor(self) -> float:
        return float((self._mode_mass(self._min_decay) - self._mode_mass(self._decay)).max())

    def _mode_mass(self, q: NDArray) -> NDArray[np.float64]:
        right, left = _side_masses(q, self._sizes - self._mode, self._mode)
        return 1.0 / (right + left)

    @property
    def n_params(self) -> int:
        return 2 * self.dim

    def sample(self, n: int, rng: np.random.Generator) -> NDArray[np.int64]:
        # The side of the mode, then the distance by the inverse CDF of a truncated geometric:
        # P(k) ~ q**k on 0 .. K-1 (right, the mode included) or 1 .. K (left).
        q, m = self._decay, self._mode
        right_count, left_count = self._sizes - m, m
        right, left = _side_masses(q, right_count, left_count)
        u_side, u = rng.random((2, n, self.dim))
        go_left = u_side * (right + left) < left
        count = np.where(go_left, left_count, right_count)
        with np.errstate(divide="ignore", invalid="ignore"):
            # 1 - u (1 - q**K) as -expm1 so that q near 1 keeps its digits
            tail = -u * np.expm1(count * np.log(q))
            k = np.floor(np.log1p(-tail) / np.log(q))
        k = np.clip(np.nan_to_num(k, nan=0.0), 0, count - 1).astype(np.int64)
        return np.where(go_left, m - 1 - k, m + k)

    def _valid(self, x: NDArray) -> NDArray[np.bool_]:
        return (x == np.round(x)) & (x >= 0) & (x < self._sizes)

    def log_prob(self, x: ArrayLike) -> NDArray[np.float64]:
        """Log mass; a row with a value outside ``0 .. n_j - 1`` has log mass ``-inf``."""
        x = check_samples(x, self.dim)
        valid = self._valid(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_q = np.log(self._decay)
            terms = np.where(np.abs(x - self._mode) == 0, 0.0, np.abs(x - self._mode) * log_q)
            terms = terms + np.log(self._mode_mass(self._decay))
        return np.where(valid, terms, -np.inf).sum(axis=1)

    def fit(self, x: ArrayLike, weights: ArrayLike | None = None) -> Ordinal:
        x = check_samples(x, self.dim)
        bad = ~self._valid(x)
        if np.any(bad):
            j = int(np.flatnonzero(bad.any(axis=0))[0])
            raise ValueError(f"Ordinal samples must be integers in 0 .. {self._sizes[j] - 1} "
                             f"in column {j}")
        w = normalized_weights(weights, x.shape[0])
        mode = _weighted_median(x, w)
        distance = w @ np.abs(x - mode)  # the samples' mean distance from the mode
        decay = _decay_for(distance, self._sizes - mode, mode)
        return self._like(mode, decay)

    def smooth(self, new: Ordinal, alpha: float) -> Ordinal:
        check_same_family(self, new)
        if not np.array_equal(new.sizes, self._sizes):
            raise ValueError(f"cannot smooth variables of sizes {self._sizes} with ones of "
                             f"sizes {new.sizes}")
        a = check_alpha(alpha)
        mode = np.floor(a * new.mode + (1 - a) * self._mode + 0.5)
        return self._like(mode, a * new.decay + (1 - a) * self._decay)

    def _like(self, mode: NDArray, decay: NDArray) -> Ordinal:
        return Ordinal(mode.astype(np.int64), np.clip(decay, 0.0, MAX_DECAY), self._sizes,
                       min_decay=self._min_decay)

    def entropy(self) -> float:
        p = self.probs
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(-np.where(p > 0, p * np.log(p), 0.0).sum())

    def support(self) -> NDArray[np.bool_]:
        return self.probs > 0

    def state(self) -> dict[str, Any]:
        return {"mode": self._mode, "decay": self._decay, "sizes": self._sizes,
                "min_decay": self._min_decay}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Ordinal:
        return cls(state["mode"], state["decay"], state["sizes"], min_decay=state["min_decay"])

    def __repr__(self) -> str:
        return (f"Ordinal(dim={self.dim}, sizes={short(self._sizes)}, mode={short(self._mode)}, "
                f"decay={short(self._decay, 3)})")


def _floors(min_decay: ArrayLike | None, dim: int) -> NDArray[np.float64]:
    if min_decay is None:  # a neighbour kept at DEFAULT_FLOOR / 2 of the mode's mass
        return frozen(np.full(dim, DEFAULT_FLOOR / 2))
    out = np.asarray(min_decay, dtype=np.float64)
    if out.ndim > 1 or out.size not in (1, dim):
        raise ValueError(f"min_decay must be a number or one per variable ({dim}), got shape "
                         f"{out.shape}")
    out = np.broadcast_to(out, (dim,)).copy()
    if not np.all((out >= 0) & (out < 1)):
        raise ValueError(f"min_decay must be in [0, 1), got {short(out)}")
    return frozen(out)


def _side_masses(q: NDArray, right_count: NDArray, left_count: NDArray):
    """The unnormalised masses ``sum_{k<R} q**k`` (the mode and the values right of it)
    and ``sum_{k=1..L} q**k`` (left of it): the mode's probability is 1 / (right + left)."""
    # sum_{k<R} q**k = (1 - q**R) / (1 - q); with q = 0 it is 1. expm1/log keep q near 1.
    with np.errstate(divide="ignore", invalid="ignore"):
        log_q = np.log(q)
        geometric = np.where(q > 0, np.expm1(right_count * log_q) / np.expm1(log_q), 1.0)
        left = np.where(q > 0, q * np.expm1(left_count * log_q) / np.expm1(log_q), 0.0)
    return geometric, left


def _weighted_median(x: NDArray, w: NDArray) -> NDArray[np.int64]:
    """The lower weighted median of every column (the first value whose cumulative weight
    reaches one half)."""
    order = np.argsort(x, axis=0, kind="stable")
    cumulative = np.cumsum(w[order], axis=0)
    first = np.argmax(cumulative >= 0.5 - 1e-12, axis=0)
    return x[order[first, np.arange(x.shape[1])], np.arange(x.shape[1])].astype(np.int64)


def _mean_distance(q: NDArray, right_count: NDArray, left_count: NDArray) -> NDArray:
    """E|X - m| under decay ``q``: the right side's mean offset on 0 .. R-1 and the left's on
    1 .. L, weighted by their masses. A truncated geometric's mean offset on 0 .. K-1 with
    q = exp(-t) is 1 / expm1(t) - K / expm1(K t)."""
    t = -np.log(q)
    right, left = _side_masses(q, right_count, left_count)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        def truncated_mean(count):  # of k on 0 .. count-1, P(k) ~ q**k
            return np.where(count > 1, 1 / np.expm1(t) - count / np.expm1(count * t), 0.0)
        mean_r = truncated_mean(right_count)
        mean_l = np.where(left_count > 0, 1 + truncated_mean(left_count), 0.0)
    return (right * mean_r + left * mean_l) / (right + left)


def _decay_for(distance: NDArray, right_count: NDArray, left_count: NDArray) -> NDArray:
    """The decay whose mean distance from the mode is ``distance`` (the likelihood
    equation), by bisection on log t, t = -log q: the mean distance falls as t grows."""
    lo = np.full(distance.shape, _RATE_RANGE[0])  # small t: near uniform, far
    hi = np.full(distance.shape, _RATE_RANGE[1])  # large t: at the mode
    for _ in range(FIT_STEPS):
        mid = 0.5 * (lo + hi)
        far = _mean_distance(np.exp(-np.exp(mid)), right_count, left_count) > distance
        lo = np.where(far, mid, lo)  # the law at mid is still too wide: t must grow
        hi = np.where(far, hi, mid)
    decay = np.exp(-np.exp(0.5 * (lo + hi)))
    return np.where(distance > 0, decay, 0.0)

"""Independent Bernoulli bits: the family of binary problems (max-cut, OneMax, knapsacks).

The weighted MLE of each bit's probability is its weighted frequency among the samples. A
floor ``min_prob`` keeps every probability away from 0 and 1, so that a value the elites have
not shown yet can still be drawn: the fitted frequency is mixed with the uniform distribution,

    p = min_prob + (1 - 2 * min_prob) * frequency,

and smoothing mixes the probabilities linearly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import xlogy

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


class Bernoulli(Distribution):
    """``dim`` independent bits, bit ``j`` equal to 1 with probability ``p[j]``.

    Samples are ``bool`` arrays. ``min_prob`` (default ``1e-3``) is the floor described in the
    module docstring; pass 0 to let bits freeze.

    Example
    -------
    >>> import numpy as np
    >>> b = Bernoulli(np.full(4, 0.5))
    >>> b.sample(2, np.random.default_rng(0)).dtype
    dtype('bool')
    """

    discrete = True
    __slots__ = ("_p", "_min_prob")

    def __init__(self, p: ArrayLike, *, min_prob: float | None = None):
        self._p = frozen(bit_probabilities(p))
        self._min_prob = check_floor(min_prob, 2)

    @property
    def dim(self) -> int:
        return self._p.size

    @property
    def p(self) -> NDArray[np.float64]:
        return self._p

    @property
    def mean(self) -> NDArray[np.float64]:
        return self._p

    @property
    def mode(self) -> NDArray[np.bool_]:
        return self._p > 0.5

    @property
    def min_prob(self) -> float:
        return self._min_prob

    @property
    def spread(self) -> float:
        return float(np.minimum(self._p, 1 - self._p).max())

    @property
    def min_spread(self) -> float:
        return self._min_prob

    @property
    def n_params(self) -> int:
        return self.dim

    @property
    def min_fit_samples(self) -> int:
        return 1

    def sample(self, n: int, rng: np.random.Generator) -> NDArray[np.bool_]:
        return rng.random((n, self.dim)) < self._p

    def log_prob(self, x: ArrayLike) -> NDArray[np.float64]:
        """Log mass; a row with a value other than 0/1 has log mass ``-inf``."""
        return bit_log_mass(check_samples(x, self.dim), self._p)

    def fit(self, x: ArrayLike, weights: ArrayLike | None = None) -> Bernoulli:
        x = check_bits(x, self.dim, "Bernoulli")
        w = normalized_weights(weights, x.shape[0])
        freq = w @ x.astype(np.float64)
        return Bernoulli(self._min_prob + (1 - 2 * self._min_prob) * freq,
                         min_prob=self._min_prob)

    def smooth(self, new: Bernoulli, alpha: float) -> Bernoulli:
        check_same_family(self, new)
        a = check_alpha(alpha)
        return Bernoulli(a * new.p + (1 - a) * self._p, min_prob=self._min_prob)

    def support(self) -> NDArray[np.bool_]:
        return np.stack([self._p < 1, self._p > 0], axis=1)

    def state(self) -> dict[str, Any]:
        return {"p": self._p, "min_prob": self._min_prob}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Bernoulli:
        return cls(state["p"], min_prob=state["min_prob"])

    def entropy(self) -> float:
        p = self._p
        return float(-(xlogy(p, p) + xlogy(1 - p, 1 - p)).sum())

    def __repr__(self) -> str:
        return f"Bernoulli(dim={self.dim}, p={short(self._p, 3)})"

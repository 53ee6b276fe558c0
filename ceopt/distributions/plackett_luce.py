"""Permutations as noisy rankings: the Plackett–Luce model, one preference per item.

Item ``j`` has a log-preference ``theta[j]``; a permutation lists the items from first to
last, each drawn from those left with probability proportional to ``exp(theta)``:

    q(x) = prod_t exp(theta[x_t]) / sum_{s >= t} exp(theta[x_s]).

That is the order of ``theta + G`` with independent standard Gumbel noise ``G``, so a whole
population is one ``argsort``. The weighted MLE has no closed form; Hunter's MM algorithm
(*Ann. Statist.* 32, 2004) climbs to it, each step in closed form:

    exp(theta_j) <- W_j / sum_k w_k sum_{t <= place of j in x_k, t < n-1} 1 / S_kt,

with ``W_j`` the weight of the samples in which ``j`` is not last and ``S_kt`` the
preference left at stage ``t`` of sample ``k``. The fit starts from the current ``theta``
and takes :data:`MM_STEPS` steps, so a fit is also a step towards the MLE. On samples that
all agree the MLE lies at infinity and the MM steps widen the gaps only slowly, so a search
with this model ends when its elites stop improving (``patience``) rather than at the
floor.

The floor: preferences are kept at most ``log(1 / min_prob)`` apart between neighbours in
the preference order, so that each stage keeps about ``min_prob`` for leaving the favourite
(an MLE on identical samples would push them infinitely far apart). With ``n`` parameters
only, it learns fast but cannot say "b right after a" (tours) or "b at place i".
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._checks import float_array
from ._base import (
    DEFAULT_FLOOR,
    check_alpha,
    check_same_family,
    check_samples,
    frozen,
    normalized_weights,
    short,
)
from ._permutation import PermutationModel, check_n, check_permutations, permutation_rows

#: MM steps per fit (each O(samples x n)).
MM_STEPS = 10


class PlackettLuce(PermutationModel):
    """Permutations of ``0 .. n-1`` ranked by the log-preferences ``theta`` (n,).

    ``min_prob`` (default 1e-3) bounds how much less likely the next-preferred item is than
    the favourite at any stage (module docstring). ``theta`` is stored centred (mean 0).

    Example
    -------
    >>> import numpy as np
    >>> d = PlackettLuce.uniform(4)
    >>> d.fit(np.array([[3, 1, 0, 2]] * 5)).mode
    array([3, 1, 0, 2])
    """

    __slots__ = ("_theta", "_min_prob")

    def __init__(self, theta: ArrayLike, *, min_prob: float | None = None):
        theta = float_array("theta", theta)
        if theta.ndim != 1 or theta.size < 2:
            raise ValueError(f"theta must be a 1-D array of n >= 2 log-preferences, got shape "
                             f"{theta.shape}")
        if not np.all(np.isfinite(theta)):
            raise ValueError("theta must be finite")
        self._min_prob = DEFAULT_FLOOR if min_prob is None else float(min_prob)
        if not (0 < self._min_prob < 1):
            raise ValueError(f"min_prob must be in (0, 1) for a Plackett-Luce model, got "
                             f"{min_prob}")
        self._theta = frozen(gaps_capped(theta, -np.log(self._min_prob)))

    @classmethod
    def uniform(cls, n: int, *, min_prob: float | None = None) -> PlackettLuce:
        """Every permutation equally likely."""
        return cls(np.zeros(check_n(n)), min_prob=min_prob)

    @property
    def n(self) -> int:
        return self._theta.size

    @property
    def theta(self) -> NDArray[np.float64]:
        return self._theta

    @property
    def n_params(self) -> int:
        return self.n - 1

    @property
    def mode(self) -> NDArray[np.int64]:
        return np.argsort(-self._theta, kind="stable").astype(np.int64)

    def _stage_probs(self) -> NDArray[np.float64]:
        """At each stage of the mode, the probability of drawing its item among those left."""
        pref = np.exp(self._theta[self.mode] - self._theta.max())
        left = np.cumsum(pref[::-1])[::-1]
        return pref[:-1] / left[:-1]

    @property
    def spread(self) -> float:
        return float((1 - self._stage_probs()).max())

    @property
    def min_spread(self) -> float:
        # Preferences a full floor apart: stage t keeps sum_{s>0} p^s ~ p/(1-p) for leaving.
        p = self._min_prob
        return p / (1 + p)

    def _draw(self, n: int, rng: np.random.Generator) -> NDArray[np.int64]:
        keys = self._theta + rng.gumbel(size=(n, self.n))
        return np.argsort(-keys, axis=1).astype(np.int64)

    def log_prob(self, x: ArrayLike) -> NDArray[np.float64]:
        """Log mass; a row that is not a permutation has log mass ``-inf``."""
        x = check_samples(x, self.n)
        valid = permutation_rows(x, self.n)
        out = np.full(x.shape[0], -np.inf)
        if valid.any():
            out[valid] = self.affinity(x[valid])
        return out

    def affinity(self, x: ArrayLike) -> NDArray[np.float64]:
        """The exact log mass (cheap for this model)."""
        t = self._theta[check_samples(x, self.n).astype(np.intp, copy=False)]
        left = np.logaddexp.accumulate(t[:, ::-1], axis=1)[:, ::-1]
        return (t - left).sum(axis=1)

    def fit(self, x: ArrayLike, weights: ArrayLike | None = None) -> PlackettLuce:
        x = check_permutations(x, self.n)
        w = normalized_weights(weights, x.shape[0])
        m, n = x.shape
        # W_j: the weight of the samples in which j is drawn at a stage (is not last).
        chosen = np.maximum(1 - np.bincount(x[:, -1], weights=w, minlength=n), 0.0)
        theta = self._theta.copy()
        for _ in range(MM_STEPS):
            pref = np.exp(theta - theta.max())[x]                  # (m, n), in drawn order
            left = np.cumsum(pref[:, ::-1], axis=1)[:, ::-1]       # S_kt
            reach = np.cumsum(1.0 / left[:, :-1], axis=1)          # sum_{s <= t} 1 / S_ks
            reach = np.concatenate([reach, reach[:, -1:]], axis=1)  # the last item: t < n-1
            denom = np.bincount(x.ravel(), weights=(w[:, None] * reach).ravel(), minlength=n)
            with np.errstate(divide="ignore"):
                theta = np.log(chosen / denom)  # -inf: never drawn before last
            # An item never drawn before last has no preference left: put it one floor below
            # the least preferred of the others (the cap below does the rest).
            finite = np.isfinite(theta)
            theta[~finite] = (theta[finite].min() if finite.any() else 0.0) \
                + np.log(self._min_prob)
            theta = gaps_capped(theta, -np.log(self._min_prob))
        return PlackettLuce(theta, min_prob=self._min_prob)

    def smooth(self, new: PlackettLuce, alpha: float) -> PlackettLuce:
        check_same_family(self, new)
        a = check_alpha(alpha)
        return PlackettLuce(a * new.theta + (1 - a) * self._theta, min_prob=self._min_prob)

    def state(self) -> dict[str, Any]:
        return {"theta": self._theta, "min_prob": self._min_prob}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PlackettLuce:
        restored = object.__new__(cls)
        restored._theta, restored._min_prob = frozen(state["theta"]), float(state["min_prob"])
        return restored

    def __repr__(self) -> str:
        return f"PlackettLuce(n={self.n}, mode={short(self.mode)}, spread={self.spread:.3g})"


def gaps_capped(theta: NDArray[np.float64], cap: float) -> NDArray[np.float64]:
    """``theta`` with every gap between neighbours in sorted order at most ``cap``, centred."""
    order = np.argsort(-theta, kind="stable")
    gaps = np.minimum(-np.diff(theta[order]), cap)
    out = np.empty_like(theta)
    out[order] = -np.concatenate([[0.0], np.cumsum(gaps)])
    return out - out.mean()

"""Active covariance, ``active=True``: the population's worst samples as negatively weighted
samples of the covariance fit (CMA-ES's active update, in the CE method's terms).

The fit about the previous mean (:mod:`ceopt.updates.previous_mean`) learns from the elites
where the distribution should widen. The rest of the population says where it should not: a
direction in which the samples keep failing is one to sample less. Given negative weights, those
samples take variance away along their deviations ``y_j = x_j - m_old``:

    C <- s^2 [ b C_fit + c1 q q^T + (1 - b - c1) C + b sum_j v_j (C - y°_j y°_j^T) ]

where ``b C_fit`` and ``c1 q q^T`` are the elites' fit and the rank-one term
(:mod:`ceopt.updates.covariance_path`). Each ``y°_j`` is ``y_j`` rescaled to the squared
Mahalanobis length ``d`` that a sample has on average, ``|C^-1/2 y°_j|^2 = d``, so a sample far
out in the tails takes no more than its share; ``C - y° y°^T`` is zero on average over the
samples, so the term reshapes the covariance without shrinking it.

The weights ``v_j >= 0`` are CMA-ES's: for the sample of rank ``i`` among ``lambda`` (the
elites have ranks 1 to ``mu``), ``v_i ∝ ln(i) - ln((lambda + 1) / 2)``, the worst weighted most,
summing to

    N = min(1 + c1 / b,  1 + 2 mu_eff- / (mu_eff + 2),  (1 - b - c1) / (d b))

(Hansen, "The CMA Evolution Strategy: A Tutorial", 2016, with ``b`` our rate of the fit in
place of ``c_mu``). The last bound keeps the covariance positive definite: in the frame where
``C = I`` the subtracted terms have eigenvalues at most ``b N d <= 1 - b - c1``, which the old
covariance's share covers, and ``b N I`` and the fits are left over. ``Gaussian.smooth`` and
``DiagGaussian.smooth`` check it (``active=``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from ..distributions._normal import active_bound


def active_mass(dim: int, mu_eff: float, mu_eff_neg: float, fit_rate: float,
                path_rate: float) -> float:
    """``N``, the sum of the negative weights (module docstring); 0 when the fit takes the
    whole covariance (``fit_rate + path_rate >= 1``: nothing of the old one is left to take
    from)."""
    b, c1 = fit_rate, path_rate
    posdef = active_bound(dim, b, c1)
    if posdef == 0.0:
        return 0.0
    return min(1.0 + c1 / b, 1.0 + 2.0 * mu_eff_neg / (mu_eff + 2.0), posdef)


def negative_weights(ranks: NDArray[np.int64], popsize: int, dim: int, mu_eff: float,
                     fit_rate: float, path_rate: float) -> NDArray[np.float64]:
    """The weights ``v`` of the samples of ``ranks`` (1 is the best of ``popsize``; those of
    the elites are left out by the caller), as positive numbers, summing to ``active_mass``.
    Ranks at or above the middle of the population get 0, as in CMA-ES."""
    raw = np.maximum(0.0, np.log(ranks) - math.log((popsize + 1) / 2.0))
    total = raw.sum()
    if total <= 0.0:
        return np.zeros(ranks.size)
    mu_eff_neg = total**2 / float((raw**2).sum())
    return raw * (active_mass(dim, mu_eff, mu_eff_neg, fit_rate, path_rate) / total)


def worst_rows(ranking: NDArray, elites: NDArray) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The rows of the population that are not elites and were ranked (a NaN ranks nothing),
    best first, and their ranks counted after the elites'."""
    rest = np.ones(ranking.size, dtype=bool)
    rest[elites] = False
    rest &= ~np.isnan(ranking)
    rows = np.flatnonzero(rest)
    rows = rows[np.argsort(ranking[rows], kind="stable")]
    return rows, elites.size + 1 + np.arange(rows.size)

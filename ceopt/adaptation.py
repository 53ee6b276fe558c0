"""What method ``"adaptive"`` adds to the CE update of a Gaussian, each piece still CE.

The update stays a weighted maximum-likelihood fit plus smoothing (``cross_entropy.py``); this
module supplies the weights, the smoothing rates, a global scale for the spread, the kept
sample's mean and the restarts' growth (the schedule itself is :mod:`ceopt.restarts`). Each
piece has a row in the ablation table of ``benchmarks/results/bbob.md``.

- **Rank weights**: the elites are weighted by rank, ``w_i ∝ ln(mu + 1/2) - ln(i)`` for the
  i-th best of ``mu``, summing to one. The fit is then a weighted MLE that trusts the best
  elites most; the effective number of elites is ``mu_eff = 1 / sum(w_i**2)``.
- **Scale control**: the fit about the previous mean does not by itself shrink or grow the
  spread at the right pace, so after the fit the spread is multiplied by a factor from a
  success rule on the elite threshold: the fraction ``p`` of the new population that beats the
  previous population's ``REFERENCE_QUANTILE`` is compared with one half. The smoothed
  ``s <- (1 - c) s + c (2p - 1)`` sets the factor ``exp(s / damping)``. When the search
  progresses (``p > 1/2``) the spread grows, when it stalls it shrinks; the threshold itself
  never collapses the spread while it still improves.
- **Keeping the best sample for one iteration**: the mean is fitted to the elites chosen among
  the new population *and* the previous population's best sample, so a good point is not
  dropped just because this population was unlucky; the covariance is fitted to the new
  elites only (about the previous mean, as before). The kept sample is never older than one
  iteration, so a lucky value cannot anchor the mean for long (turn it off for noisy
  objectives: ``keep_best=False``).
- **Flat values end a local search** (option ``tol_fun``, default :data:`TOL_FUN`; pycma's
  ``tolfun``): once the range of the last population's values and the range of the best
  values of the last :func:`flat_window` iterations are both at most ``tol_fun``, the run
  has converged as far as the values can tell, and the budget goes to the next restart
  instead of to digits the objective no longer resolves. (The test itself is
  :meth:`ceopt.stopping.LocalSearchRecord.ended`; this module supplies its defaults.)
- **Restarts** (IPOP): when a run converges or stagnates and budget remains, it starts again
  from the initial spread (at a random point of a finite box) with ``RESTART_GROWTH`` times the
  population, keeping the best point found. By default only under a budget (``max_evals``).
- **Separable objectives** (:mod:`ceopt.coordinate`, option ``separable``): with restarts,
  the first d + 2 evaluations test whether the objective adds up over the coordinates; if
  it does, the local searches use a diagonal Gaussian and the restarts are coordinate sweeps
  (1-D CE searches of every coordinate from the best point) instead of IPOP's.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from .distributions import Distribution, Gaussian

#: The success rule's reference: the previous population's value at this quantile.
REFERENCE_QUANTILE = 0.3
#: Weight of the newest success measurement in the smoothed success ``s``.
SUCCESS_SMOOTHING = 0.3
#: Each restart multiplies the population (and the number of elites) by this.
RESTART_GROWTH = 2
#: Default ``tol_fun`` of method "adaptive": an absolute range of values (pycma's default).
TOL_FUN = 1e-11


def rank_weights(mu: int) -> NDArray[np.float64]:
    """Weights of the ``mu`` elites, best first: positive, decreasing, summing to one."""
    w = math.log(mu + 0.5) - np.log(np.arange(1, mu + 1))
    return w / w.sum()


def adaptive_popsize(dist: Distribution) -> int:
    """Default population of method ``"adaptive"``: half of it are the elites.

    A diagonal Gaussian needs few samples (CMA-ES's ``4 + 3 ln d``); a full one needs
    ``dim + 1`` elites for the fitted covariance to have full rank, so twice that.
    """
    small = 4 + int(3 * math.log(dist.dim))
    return max(small, 2 * dist.min_fit_samples)


def covariance_rate(dist: Distribution, mu_eff: float) -> float:
    """Default smoothing of the covariance (its learning rate) under method ``"adaptive"``.

    A full covariance has ``d(d+1)/2`` entries to learn from about ``mu_eff`` effective
    samples per iteration, so its rate scales as ``mu_eff / d**2``; a diagonal one has only
    ``d`` entries, and its rate is ``(d + 2) / 3`` times larger (sep-CMA-ES's factor).
    """
    d = dist.dim
    rate = 4.0 * mu_eff / (d + 2) ** 2
    if not isinstance(dist, Gaussian):
        rate *= (d + 2) / 3
    return min(1.0, rate)


def kept_mean(chosen: NDArray, chosen_rank: NDArray, kept_x: NDArray, kept_rank: float,
              weights: NDArray | None) -> NDArray | None:
    """The weighted mean of the elites chosen among the new population and the previous
    population's best sample (``keep_best``); None if that sample is not among them.

    ``chosen`` are the new elites, best first, ``chosen_rank`` their ranking values and
    ``weights`` theirs (None: equal). The kept sample ``kept_x`` takes its place among them by
    ``kept_rank`` (after new samples that tie with it), the last elite drops out, and the
    weights apply to the new order: the elites after it move one weight down.
    """
    place = int(np.searchsorted(chosen_rank, kept_rank, side="right"))
    mu = chosen_rank.size
    if place == mu:  # no better than the worst elite: the mean stays the fit's
        return None
    w = np.full(mu, 1.0 / mu) if weights is None else weights
    shifted = np.concatenate([w[:place], w[place + 1:], [0.0]])  # the last elite's: 0
    return shifted @ chosen + w[place] * kept_x


def flat_window(dim: int, popsize: int) -> int:
    """How many iterations' best values ``tol_fun`` compares: ``10 + ceil(30 d / popsize)``
    (pycma's), so that a small population is watched over more iterations."""
    return 10 + math.ceil(30 * dim / popsize)


class ScaleControl:
    """The success rule for the global scale of the spread (module docstring).

    ``factor(losses)`` is called once per population with its losses (to be minimised) and
    returns the factor to multiply every standard deviation by.
    """

    def __init__(self, dim: int):
        self.damping = 2.0 - 2.0 / max(dim, 2)
        self.success = 0.0  # s: the smoothed 2p - 1, in [-1, 1]
        self._reference: float | None = None

    def factor(self, losses: NDArray[np.float64]) -> float:
        finite = losses[~np.isnan(losses)]
        if finite.size == 0:  # nothing to compare (tell never passes this: NaN is no elite)
            return 1.0
        # The REFERENCE_QUANTILE-quantile (the "inverted_cdf" one: a value of the sample);
        # np.partition finds it in linear time, several times faster than np.quantile.
        k = max(math.ceil(REFERENCE_QUANTILE * finite.size) - 1, 0)
        reference, self._reference = self._reference, float(np.partition(finite, k)[k])
        if reference is None:  # the first population has nothing to beat
            return 1.0
        p = np.count_nonzero(finite < reference) / finite.size
        self.success += SUCCESS_SMOOTHING * ((2.0 * p - 1.0) - self.success)
        return math.exp(self.success / self.damping)

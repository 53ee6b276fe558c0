"""Method ``"adaptive"`` (the default for Gaussians): the update about the previous mean, with
rank weights, a learning rate set by the dimension, the scale control and the kept sample.

Each piece is still CE, a weighted MLE plus smoothing (``docs/ce-method.md``, "The adaptive
update"), and each has a row in the ablation table of ``benchmarks/results/bbob.md``:

- **rank weights** on the better half of the population, ``w_i ∝ ln(mu + 1/2) - ln(i)``:
  the fit trusts the best elites most; ``mu_eff = 1 / sum(w_i**2)`` effective elites;
- **no smoothing of the mean**, and the covariance moved ``4 mu_eff / (d + 2)**2`` of the way
  to the fit (:func:`covariance_rate`): a full covariance has ``d(d+1)/2`` entries to learn
  from about ``mu_eff`` samples per iteration;
- **the scale control** (:mod:`ceopt.updates.scale_control`) on the spread;
- **the kept sample** (``keep_best``, :mod:`ceopt.updates.previous_mean`);
- a local search ends when its values are **flat** (``tol_fun``, :data:`TOL_FUN`: pycma's
  ``tolfun``), and with a budget the run **restarts** until it is spent, after testing
  whether the objective is **separable** (:mod:`ceopt.schedules`).

The population is small: ``2(d + 1)`` for a full covariance (the fewest elites that can fit
one, twice), ``4 + 3 ln d`` for a diagonal one (CMA-ES's).

**From d = 10 on** (:data:`PATHS_FROM_DIM`) a full covariance learns as CMA-ES does: from
CMA-ES's ``4 + 3 ln d`` samples (a fit of lower rank, mixed into the old covariance), with the
path control of the scale (``scale_control="path"``) and the mean's path as a rank-one term
of the covariance (``rank_one=True``, :mod:`ceopt.updates.covariance_path`). At d = 10, 20
and 40 this reached more bbob targets at 1000·d than ``2(d + 1)`` samples under the success
rule, and as many at d = 5, where the success rule stays (``benchmarks/results/bbob-paths/``
and ``bbob-d40/``). Each piece is one option away. **From d = 40 on**
(:data:`ACTIVE_FROM_DIM`) the worse half of the population also enters the covariance fit with
negative weights (``active=True``).
"""

from __future__ import annotations

import math

from ..distributions import Distribution, LocationScale
from .base import correlated, effective_elites
from .previous_mean import PreviousMean

#: Default ``tol_fun`` of method "adaptive": an absolute range of values (pycma's default).
TOL_FUN = 1e-11
#: The dimension from which a full covariance learns from the mean's paths by default.
PATHS_FROM_DIM = 10
#: The dimension from which it also takes the worse samples with negative weights
#: (``active=True``, :mod:`ceopt.updates.active`). On bbob at 1000·d this reached 0.42 of the
#: targets against 0.35 without at d = 40 (instances 1-15), 0.56 against 0.55 at d = 20 and
#: 0.61 against 0.66 at d = 10 (instances 1-5): a gain where the covariance has the most to
#: learn, none measurable at 20, a loss at 10 (``benchmarks/results/bbob-d40/``, ``bbob-paths/``).
ACTIVE_FROM_DIM = 40


#: The presets of a full covariance that learns from the mean's paths.
PATH_PRESETS = {"scale_control": "path", "rank_one": True}


def learns_from_paths(dist: Distribution) -> bool:
    """Whether method "adaptive" steers ``dist`` by the mean's paths by default (a full
    covariance from :data:`PATHS_FROM_DIM` dimensions on; module docstring)."""
    return correlated(dist) and dist.dim >= PATHS_FROM_DIM


def adaptive_popsize(dist: Distribution) -> int:
    """Default population of method ``"adaptive"``: half of it are the elites.

    A diagonal Gaussian needs few samples (CMA-ES's ``4 + 3 ln d``), and so does a full one
    that learns from the mean's paths; otherwise a full one takes ``dim + 1`` elites, so that
    its fit alone has full rank, hence twice that.
    """
    small = 4 + int(3 * math.log(dist.dim))
    if learns_from_paths(dist):
        return small
    return max(small, 2 * dist.min_fit_samples)


def covariance_rate(dist: Distribution, mu_eff: float) -> float:
    """Default smoothing of the covariance (its learning rate) under method ``"adaptive"``.

    A full covariance has ``d(d+1)/2`` entries to learn from about ``mu_eff`` effective
    samples per iteration, so its rate scales as ``mu_eff / d**2``; a diagonal one has only
    ``d`` entries, and its rate is ``(d + 2) / 3`` times larger (sep-CMA-ES's factor).
    """
    d = dist.dim
    rate = 4.0 * mu_eff / (d + 2) ** 2
    if not correlated(dist):
        rate *= (d + 2) / 3
    return min(1.0, rate)


class Adaptive(PreviousMean):
    name = "adaptive"
    WEIGHTS = "rank"
    ELITE_FRAC = 0.5
    SMOOTHING = 1.0  # the scale control does the damping
    SCALE_CONTROL = True
    KEEP_BEST = True
    TOL_FUN = TOL_FUN
    TESTS_SEPARABILITY = True

    def __init__(self, dist: Distribution, **options):
        if not isinstance(dist, LocationScale):
            raise ValueError(f"method 'adaptive' adapts a Gaussian's spread; a "
                             f"{type(dist).__name__} takes method 'ce'")
        super().__init__(dist, **options)

    def preset(self, option: str, dist: Distribution) -> object:
        if learns_from_paths(dist) and option in PATH_PRESETS:
            return PATH_PRESETS[option]
        if option == "active":
            return learns_from_paths(dist) and dist.dim >= ACTIVE_FROM_DIM
        return super().preset(option, dist)

    def default_popsize(self, dist: Distribution, elite_frac: float) -> int:
        # Enough for the elites to fit the family.
        return max(adaptive_popsize(dist), math.ceil(self.fewest_elites(dist) / elite_frac))

    def fewest_elites(self, dist: Distribution) -> int:
        # The covariance fitted about the previous mean is mixed into the old one at a rate
        # below one (covariance_rate: 4 mu_eff / (d + 2)^2 < 1 for mu_eff <= d), so fewer
        # than d + 1 elites give a fit of lower rank that the mix keeps positive definite
        # (CMA-ES's rank-mu update from its 4 + 3 ln d samples). A fit taken whole
        # (smoothing_cov=1) must have full rank itself.
        if correlated(dist) and self.smoothing_cov_given != 1.0:
            return min(2, dist.min_fit_samples)
        return dist.min_fit_samples

    def default_spread_rate(self, dist: Distribution, n_elite: int) -> float:
        return covariance_rate(dist, effective_elites(self.weights, n_elite))

    def restarts_within_budget(self, dist: Distribution) -> bool:
        return True

"""Noisy objectives (``noise=True``): a large population, no lucky sample kept, and a
recommendation estimated by re-evaluation.

When the same point gives different values, the best value seen is the luckiest draw, not the
best point, and an elite threshold that "stops improving" says nothing about convergence. In
the noise mode a run therefore

- **averages through the population**: the CE update's weighted mean over the elites averages
  the noise away, the more so the larger the population. The population is set from the budget
  (:func:`noisy_popsize`): larger than the default, smaller than a population that would
  average all noise away, since the search also needs iterations to move (and fixed: one
  grown when re-evaluations showed rank changes, pycma's uncertainty measurement, did worse);
- **steers a Gaussian by the mean's paths** (:func:`noisy_paths`): the path control of the
  scale (CMA-ES's cumulation; noise does not shrink it, where the success rule on the values
  does) and the mean's path as a rank-one term of the covariance, which a full covariance
  learns at :func:`noisy_covariance_rate`, below method "adaptive"'s for a large population. On bbob
  with Gaussian, multiplicative and Cauchy-outlier noise (``benchmarks/results/noise.md``),
  these settings reached more targets than the success rule with ``0.3 B^0.7`` samples at
  1000·d and 10,000·d (and fewer under additive Gaussian noise at d = 2 and 5);
- **re-evaluates the best of each population** (:class:`Reevaluation`): the best
  :data:`REEVALUATED` of the samples by their values are evaluated once more and ranked by
  the fresh value, which their selection has not favoured. Under outliers (bbob-noisy's
  Cauchy noise) the luckiest draws are the top ranks, which the rank weights trust most; a
  fresh value puts most of them back where they belong;
- **keeps no lucky sample** across iterations (``keep_best=False``);
- **stops on the spread only**: ``patience``, ``tol_fun`` and the separability test compare
  values, which noise keeps moving, so they are off; no restarts unless asked (a restart
  would need the old and the new search's centres compared under noise, which
  :class:`Recommender` does, at a price);
- **recommends the distribution's centre** (its mean; the mode of a discrete family), never a
  sample, and re-evaluates it :func:`estimate_evals` times on fresh evaluations when a search
  ends: ``res.fun`` is their mean, ``res.fun_se`` its standard error, ``res.fun_nfev`` their
  number. These evaluations are counted in ``nfev`` and the budget keeps room for them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import distributions
from ._checks import real
from .distributions import Distribution, LocationScale
from .handlers import BoundaryHandler
from .updates.base import UpdateRule, correlated, effective_elites

#: The noisy population is ``POP_SCALE * max_evals ** POP_EXPONENT`` (at least the default):
#: 41 of 5,000 evaluations, 250 of 100,000. On bbob with noise (f1-f24, d = 2, 5, 10, six
#: noise models, the other settings as now; ``benchmarks/results/noise.md``) the mean score
#: at 1000·d (instances 1-5) was .43 with it, .42 with ``0.1 B^0.7``, .41 with
#: ``0.02 B^0.9`` and .45 with a fixed 40 samples, which fell behind at 10,000·d (.51
#: against .59; ``0.3 B^0.7``, the previous law, .57).
POP_SCALE = 0.25
POP_EXPONENT = 0.6
#: The share of each population re-evaluated (:class:`Reevaluation`), by default where
#: :func:`noisy_paths`. On bbob with noise (f1-f24, d = 2, 5, 10, six noise models, 1000·d,
#: instances 1-5; ``benchmarks/results/noise.md``, ``ceopt-noise:reevaluate=0`` the ablation)
#: the severe Cauchy cells gained .05/.14/.11 (d = 2/5/10) and the mean over all cells went
#: from .434 to .444; the other cells moved by -.03 to +.02. A first try, which wrapped the
#: objective, scored .43/.44/.43 with 0.1/0.15/0.2, and the larger shares fell behind pycma
#: under moderate Cauchy noise at d = 10, the cell a second look costs most (-.03 here).
REEVALUATED = 0.1
#: The recommendation goes onto a bound closer than this many standard deviations (:func:`centre`).
FACE_REACH = 1.0
#: Without ``max_evals`` the noisy population is this multiple of the default.
UNBUDGETED_FACTOR = 10
#: The recommendation's estimate takes a population's worth of evaluations, at least this many.
MIN_ESTIMATE_EVALS = 30


def noisy_popsize(default: int, max_evals: int | None) -> int:
    """The population of a noisy run: grows with the budget (see :data:`POP_SCALE`)."""
    if max_evals is None:
        return UNBUDGETED_FACTOR * default
    return max(default, round(POP_SCALE * max_evals**POP_EXPONENT))


def estimate_evals(popsize: int) -> int:
    """Evaluations of one estimate of the recommendation."""
    return max(MIN_ESTIMATE_EVALS, popsize)


def noisy_paths(dist: Distribution, method: str | None) -> bool:
    """Whether a noisy run steers ``dist`` by the mean's paths and takes a second look at
    each population's best (:data:`REEVALUATED`): a Gaussian, full or diagonal, under method
    "adaptive" (the default; module docstring). A full covariance also learns at
    :func:`noisy_covariance_rate`. Other families and methods keep the success rule, as they
    were measured before the paths were (the textbook update has no rank-one term).

    A diagonal Gaussian took the paths and the second look later than a full one
    (``benchmarks/noise_diagonal.py``, ``benchmarks/results/noise-diagonal.md``): on bbob
    with noise (d = 2, 5, 10, 1000·d, instances 1-5) they raised its mean score from .24 to
    .28 (.275 with the paths alone); at d = 50 and 200, 1000·d, the ellipsoid's true value
    under severe multiplicative noise fell from 2e5 and 6e6 to 4e3 and 1.2e5, and under
    Cauchy outliers from 5e-7 and 1e-6 to 5e-19 and 3e-7. The second look costs under
    additive and multiplicative noise there: the paths alone did better in 14 of those 16
    cells (100·d and 1000·d), by up to a factor of 2 (the 50-d ellipsoid with additive noise
    at 100·d: 34 against 70)."""
    return isinstance(dist, LocationScale) and method in (None, "adaptive")


def noise_defaults(options: dict[str, Any], dist: Distribution, method: str | None) -> None:
    """The options a noisy run changes, where the caller did not give them (the separability
    test compares single values too). The spread's options are a Gaussian's only: a discrete
    family has none to set."""
    options.setdefault("keep_best", False)
    changes = [("tol_fun", 0.0), ("patience", 10**9), ("separable", False)]
    if isinstance(dist, LocationScale):
        paths = noisy_paths(dist, method)
        changes += [("scale_control", "path" if paths else "success"), ("rank_one", paths),
                    ("active", False)]
    for name, value in changes:
        if options.get(name) is None:
            options[name] = value


def noisy_covariance_rate(dim: int, mu_eff: float) -> float:
    """The rate at which a full covariance learns in a noisy run: ``4 mu_eff / ((d + 2)**2 +
    2 mu_eff)``.

    Method "adaptive"'s rate ``4 mu_eff / (d + 2)**2`` reaches 1 once ``mu_eff >= (d + 2)**2
    / 4`` (about 44 samples at d = 5), and a noisy run's population is that large: it would
    refit its covariance from one population's elites, the lucky draws among them, every
    iteration. The term ``2 mu_eff`` (CMA-ES bounds its ``c_mu`` the same way) keeps the
    rate below 1 until twice the elites: 0.63 at d = 5 and 0.39 at d = 10 with the noise
    mode's 41 and 63 samples at 1000·d. On bbob with noise at
    d = 5, 1000·d (instances 1-5), the Cauchy-outlier cells reached .66/.46 of their
    targets at this rate, .54/.27 at the capped one (all six noise models: .42 against
    .32); at d = 2 and 10 the two were within .02 (``benchmarks/results/noise.md``).
    """
    return min(1.0, 4.0 * mu_eff / ((dim + 2) ** 2 + 2.0 * mu_eff))


def noisy_rule_options(options: dict[str, Any], dist: Distribution, rule: UpdateRule,
                       n_elite: int) -> bool:
    """Set ``smoothing_cov`` to :func:`noisy_covariance_rate` for a full covariance where
    :func:`noisy_paths` and it was not given; whether it was set (the rule is then remade).
    A diagonal one keeps method "adaptive"'s rate, which learns only ``d`` variances."""
    if (options.get("smoothing_cov") is not None or not correlated(dist)
            or not noisy_paths(dist, rule.name)):
        return False
    mu_eff = effective_elites(rule.weights, n_elite)
    options["smoothing_cov"] = noisy_covariance_rate(dist.dim, mu_eff)
    return True


@dataclass(frozen=True)
class Estimate:
    """A recommendation: the point ``x``, the mean ``loss`` of ``n`` fresh evaluations there
    with its standard error ``se``, and ``dist``, the distribution whose centre ``x`` is."""

    x: NDArray
    loss: float
    se: float
    n: int
    dist: Distribution

    def state(self) -> dict[str, Any]:
        return {"x": self.x, "loss": self.loss, "se": self.se, "n": self.n,
                "dist": distributions.to_state(self.dist)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Estimate:
        return cls(np.asarray(state["x"]), float(state["loss"]), float(state["se"]),
                   int(state["n"]), distributions.from_state(state["dist"]))


def centre(dist: Distribution, handler: BoundaryHandler | None) -> NDArray:
    """The point a distribution recommends: its mode (a Gaussian's mean), where the objective
    may be evaluated (projected into the bounds).

    A coordinate of a Gaussian's mean closer than :data:`FACE_REACH` standard deviations to
    a bound is put on the bound. When the optimum is on a face, the boundary penalty
    (:mod:`ceopt.handlers.box`) holds the mean a fraction of the spread inside it, while a
    sixth or more of the samples, beyond the face, are evaluated on it; the noise-free
    default recommends its best sample, which lies on the face, but a noisy run recommends
    the centre. On bbob's linear slope (f5, optimum at a corner) under noise, 1000·d,
    instances 1-5, this raised the Cauchy-outlier cells (moderate/severe) from .50/.60
    (d = 5) and .44/.28 (d = 10) of the targets to 1.00 in all four (within half a
    deviation: .74/1.00 and .72/.50; within two, as within one); no other function changed.
    """
    x = np.asarray(dist.mode, dtype=np.float64)
    if handler is None:
        return x
    if isinstance(dist, LocationScale):
        reach = FACE_REACH * dist.std
        x = np.where(x - handler.low < reach, handler.low, x)
        x = np.where(handler.high - x < reach, handler.high, x)
    return handler.repair(x[None])[0]


class Recommender:
    """The noise mode's part of a run: asks re-evaluations of the current search's centre and
    keeps the best estimate.

    ``at_nit`` is the iteration of the last estimate: an estimate is due when a search ends or
    the run stops, unless one was made since the last population was told.
    """

    def __init__(self) -> None:
        self.best: Estimate | None = None
        self.at_nit = -1
        self.pending: tuple[NDArray, Distribution] | None = None  # the batch asked

    def due(self, nit: int, size: int, ending: Callable[[], bool]) -> bool:
        """Whether an estimate is asked next: one is pending, or ``ending()`` (the search
        has ended or the run stops) and none was made since the last population (``nit``)
        and ``size`` evaluations fit."""
        if self.pending is not None:
            return True
        if nit == 0 or self.at_nit == nit or size < 2:
            return False
        return ending()

    def ask(self, dist: Distribution, handler: BoundaryHandler | None, n: int) -> NDArray:
        """``n`` copies of the centre of ``dist``."""
        x = centre(dist, handler)
        X = np.repeat(x[None], n, axis=0)
        self.pending = (X, dist)
        return X.copy()

    def tell(self, X: NDArray, losses: NDArray, nit: int) -> int:
        """The re-evaluations' losses: an estimate; returns the evaluations it counts."""
        asked, dist = self.pending
        if X.shape != asked.shape or not np.array_equal(X, asked):
            raise ValueError(f"the run asked for {asked.shape[0]} evaluations of its "
                             f"recommendation (noise=True): tell their values with the X ask "
                             f"returned")
        finite = losses[np.isfinite(losses)]
        n = finite.size
        if n == 0:  # every re-evaluation failed: the centre is no candidate
            loss, se = np.inf, np.inf
        else:
            loss = float(finite.mean())
            se = float(finite.std(ddof=1) / math.sqrt(n)) if n > 1 else np.inf
        estimate = Estimate(asked[0].copy(), loss, se, n, dist)
        if self.best is None or estimate.loss < self.best.loss:
            self.best = estimate
        self.pending, self.at_nit = None, nit
        return X.shape[0]

    def state(self) -> dict[str, Any]:
        pending = self.pending
        return {"best": None if self.best is None else self.best.state(),
                "at_nit": self.at_nit,
                "pending": None if pending is None else
                {"X": pending[0], "dist": distributions.to_state(pending[1])}}

    @classmethod
    def from_state(cls, state: dict[str, Any] | None) -> Recommender | None:
        if state is None:
            return None
        rec = cls()
        rec.best = None if state["best"] is None else Estimate.from_state(state["best"])
        rec.at_nit = int(state["at_nit"])
        pending = state["pending"]
        if pending is not None:
            rec.pending = (np.asarray(pending["X"]), distributions.from_state(pending["dist"]))
        return rec


def check_reevaluate(reevaluate: float | None, noise: bool, dist: Distribution,
                     method: str | None) -> float:
    """The share of each population re-evaluated: ``reevaluate`` if given (0 <= it < 1,
    under ``noise=True`` only), else :data:`REEVALUATED` where :func:`noisy_paths` (what was
    measured), else none."""
    if reevaluate is None:
        return REEVALUATED if noise and noisy_paths(dist, method) else 0.0
    share = real("reevaluate", reevaluate)
    if not noise:
        raise ValueError("reevaluate re-evaluates the best samples of a noisy objective: pass "
                         "noise=True with it, or leave it out")
    if not 0.0 <= share < 1.0:
        raise ValueError(f"reevaluate is the share of each population evaluated again, "
                         f"0 <= reevaluate < 1 (0: none); got {reevaluate!r}")
    return share


def reevaluated(share: float, popsize: int) -> int:
    """How many of a population of ``popsize`` a second look at ``share`` of it evaluates
    again: at least one (none for a share of 0)."""
    return max(1, round(share * popsize)) if share > 0 else 0


class Reevaluation:
    """The noise mode's second look at each population's best samples.

    A population's best values are its luckiest draws as much as its best points: under
    outliers the top ranks, which the rank weights trust most, are the lucky draws. So a
    population told to :meth:`hold` is not fitted at once: :meth:`ask` returns its best
    ``size(popsize)`` samples by value, and :meth:`tell` takes their fresh values, which
    replace the first ones (a fresh value is unbiased: nothing selected it), and returns the
    population to fit.
    """

    def __init__(self, share: float):
        self.share = float(share)
        self.pending: tuple[NDArray, NDArray, NDArray] | None = None  # X, losses, rows asked

    def size(self, popsize: int) -> int:
        """How many of a population of ``popsize`` are evaluated again."""
        return reevaluated(self.share, popsize)

    def hold(self, X: NDArray, losses: NDArray) -> bool:
        """Keep a population and its losses until its best rows' fresh values are told;
        whether it is kept (not when every value is NaN: there is no best to look at)."""
        best_first = np.argsort(losses, kind="stable")  # NaN last
        rows = best_first[:self.size(X.shape[0])]
        rows = rows[~np.isnan(losses[rows])]
        if rows.size == 0:
            return False
        self.pending = (X.copy(), losses.copy(), rows)
        return True

    def ask(self) -> NDArray:
        """The rows to evaluate again, best first."""
        X, _, rows = self.pending
        return X[rows].copy()

    def tell(self, X: NDArray, losses: NDArray) -> tuple[NDArray, NDArray]:
        """The fresh values of :meth:`ask`'s rows: the population and its losses to fit (a
        sample whose second evaluation failed, NaN, is then no elite)."""
        population, first, rows = self.pending
        if X.shape != (rows.size, population.shape[1]) or not np.array_equal(
                X, population[rows]):
            raise ValueError(f"the run asked for {rows.size} evaluations of its population's "
                             f"best samples (noise=True, reevaluate): tell their values with "
                             f"the X ask returned")
        first[rows] = losses
        self.pending = None
        return population, first

    def state(self) -> dict[str, Any]:
        pending = self.pending
        return {"share": self.share, "pending": None if pending is None else
                {"X": pending[0], "losses": pending[1], "rows": pending[2]}}

    @classmethod
    def from_state(cls, state: dict[str, Any] | None) -> Reevaluation | None:
        if state is None:
            return None
        reeval = cls(state["share"])
        pending = state["pending"]
        if pending is not None:
            reeval.pending = (np.asarray(pending["X"], dtype=np.float64),
                              np.asarray(pending["losses"], dtype=np.float64),
                              np.asarray(pending["rows"], dtype=np.intp))
        return reeval

"""The update rule: how a local search turns its elites into the next distribution.

Every rule is a weighted maximum-likelihood fit plus smoothing (``docs/ce-method.md``); what
differs is which samples count how much, about which centre the spread is fitted, how fast
the fit is trusted, and whether a global scale is applied. A rule is also a *method*: it
carries the defaults that go with its update (population, elites, smoothing, ``tol_fun``,
restarts), which the options of :class:`~ceopt.CrossEntropy` override one at a time.

A subclass sets the presets (class attributes) and writes :meth:`UpdateRule._step`; one rule
object serves a run's local searches one after another, and :meth:`UpdateRule.begin` starts a
new one's state (the scale control's record, the kept sample).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from .._checks import flag, fraction, integer
from ..distributions import Distribution, LocationScale
from ..selection import default_n_elite, default_popsize
from .active import negative_weights, worst_rows
from .covariance_path import CovariancePath
from .path_control import PathControl
from .scale_control import ScaleControl

WEIGHTS = ("rank", "equal")
#: The scale controls ``scale_control=`` names (True is "success", False none).
SCALE_CONTROLS = ("success", "path")
#: Default smoothing of a full covariance (methods "ce" and "textbook"; benchmarks/results/
#: defaults.md: with the mean's 0.7, the eigenvalues drift apart until the distribution
#: collapses into a subspace).
FULL_COV_SMOOTHING = 0.3


def correlated(dist: Distribution) -> bool:
    """Whether ``dist`` fits correlations between coordinates (a full covariance): its rate
    and its fewest elites differ from a diagonal family's."""
    return isinstance(dist, LocationScale) and dist.diagonal() is not dist


def scale_control_name(value: Any) -> str | bool:
    """``scale_control`` checked: ``"success"`` (also True), ``"path"`` or False."""
    if isinstance(value, (bool, np.bool_)):
        return "success" if value else False
    if isinstance(value, str) and value in SCALE_CONTROLS:
        return value
    error = ValueError if isinstance(value, str) else TypeError
    raise error(f"scale_control must be 'success' (or True: the success rule on the values), "
                f"'path' (the evolution path of the mean, robust to noise) or False, got "
                f"{value!r}")


def rank_weights(mu: int) -> NDArray[np.float64]:
    """Weights of the ``mu`` elites, best first: ``w_i ∝ ln(mu + 1/2) - ln(i)``, positive,
    decreasing, summing to one."""
    w = math.log(mu + 0.5) - np.log(np.arange(1, mu + 1))
    return w / w.sum()


def effective_elites(weights: str, n_elite: int) -> float:
    """``mu_eff = 1 / sum(w_i**2)`` of ``n_elite`` elites weighted ``"rank"``
    (:func:`rank_weights`), or ``n_elite`` when they weigh the same."""
    if weights != "rank":
        return n_elite
    return 1.0 / float((rank_weights(n_elite) ** 2).sum())


class UpdateRule(ABC):
    """A method of the CE update (module docstring). Options left ``None`` take the presets.

    Parameters
    ----------
    dist : the run's initial distribution (the options are checked against its family).
    weights : "rank" or "equal", how the elites are weighted in the fit.
    scale_control : multiply a location-scale family's spread by a factor after every
        update: ``"success"`` (or True) from the success rule on the values
        (:mod:`~ceopt.updates.scale_control`), ``"path"`` from the evolution path of the
        mean's moves (:mod:`~ceopt.updates.path_control`, CMA-ES's CSA: noise does not
        shrink it), False for none.
    keep_best : fit the mean to the elites chosen among the new population and the previous
        population's best sample (rules that fit about the previous mean only).
    rank_one : add the evolution path of the mean to a Gaussian's covariance fit as one more
        weighted sample (:mod:`~ceopt.updates.covariance_path`; rules that fit about the
        previous mean only).
    active : add the population's worse half to a Gaussian's covariance fit with negative
        weights (:mod:`~ceopt.updates.active`; rules that fit about the previous mean only).
    smoothing : weight of the new fit in ``smoothing * fit + (1 - smoothing) * old``.
    smoothing_cov : the same for a location-scale family's spread, where the rule has a
        separate rate.
    """

    #: The name ``method=`` takes.
    name: ClassVar[str]
    # The presets.
    WEIGHTS: ClassVar[str] = "equal"
    ELITE_FRAC: ClassVar[float] = 0.1
    SMOOTHING: ClassVar[float] = 0.7
    SCALE_CONTROL: ClassVar[bool] = False
    KEEP_BEST: ClassVar[bool] = False
    RANK_ONE: ClassVar[bool] = False
    ACTIVE: ClassVar[bool] = False
    #: Default ``tol_fun`` of a local search (0: off).
    TOL_FUN: ClassVar[float] = 0.0
    #: Whether the run tests a separable objective first (``separable=None``).
    TESTS_SEPARABILITY: ClassVar[bool] = False

    def __init__(self, dist: Distribution, *, weights: str | None = None,
                 scale_control: bool | None = None, keep_best: bool | None = None,
                 smoothing: float | None = None, smoothing_cov: float | None = None,
                 rank_one: bool | None = None, active: bool | None = None):
        steerable = isinstance(dist, LocationScale)
        weights = self.WEIGHTS if weights is None else weights
        if not isinstance(weights, str) or weights not in WEIGHTS:
            raise ValueError(f"weights must be one of {WEIGHTS}, got {weights!r}")
        scale_control = scale_control_name(
            self.preset("scale_control", dist) if scale_control is None else scale_control)
        if scale_control and not steerable:
            raise ValueError("scale_control applies to Gaussian (location-scale) distributions "
                             "only")
        keep_best = flag("keep_best", self.KEEP_BEST if keep_best is None else keep_best)
        if keep_best:
            self._check_previous_mean("keep_best", steerable)
        rank_one = flag("rank_one", self.preset("rank_one", dist) if rank_one is None
                        else rank_one)
        if rank_one:
            self._check_previous_mean("rank_one", steerable)
        active = flag("active", self.preset("active", dist) if active is None else active)
        if active:
            self._check_previous_mean("active", steerable)
        self.weights, self.scale_control, self.keep_best = weights, scale_control, keep_best
        self.rank_one, self.active = rank_one, active
        self.smoothing = fraction("smoothing", self.default_smoothing(dist)
                                  if smoothing is None else smoothing, high_open=False)
        self.smoothing_cov_given = (None if smoothing_cov is None else
                                    fraction("smoothing_cov", smoothing_cov, high_open=False))

    def preset(self, option: str, dist: Distribution) -> Any:
        """The value of ``option`` when none is given: this method's preset (its class
        attribute of that name in capitals); a method may choose it by the family."""
        return getattr(self, option.upper())

    def default_smoothing(self, dist: Distribution) -> float:
        """The smoothing when none is given: this method's preset."""
        return self.SMOOTHING

    def _check_previous_mean(self, option: str, steerable: bool) -> None:
        raise ValueError(f"{option} is part of the previous-mean update of methods 'adaptive' "
                         f"and 'ce', not of {self.name!r}")

    # -- the presets -------------------------------------------------------------------------
    def options(self) -> dict[str, Any]:
        """The options this rule was made with, resolved (what rebuilds it)."""
        return {"weights": self.weights, "scale_control": self.scale_control,
                "keep_best": self.keep_best, "smoothing": self.smoothing,
                "smoothing_cov": self.smoothing_cov_given, "rank_one": self.rank_one,
                "active": self.active}

    def sizes(self, dist: Distribution, *, popsize: int | None = None,
              elite_frac: float | None = None, n_elite: int | None = None) -> tuple[int, int]:
        """``(popsize, n_elite)`` for ``dist``: the given values, checked, or the presets."""
        elite_frac = fraction("elite_frac", self.ELITE_FRAC if elite_frac is None
                              else elite_frac)
        if popsize is None:
            popsize = self.default_popsize(dist, elite_frac)
        else:
            popsize = integer("popsize", popsize, 2)
        if n_elite is None:
            n_elite = default_n_elite(popsize, elite_frac)
        else:
            n_elite = integer("n_elite", n_elite, 1)
            if n_elite >= popsize:
                raise ValueError(f"n_elite must be smaller than popsize={popsize}, got {n_elite}")
        fewest = self.fewest_elites(dist)
        if n_elite < fewest:
            hint = " (or use a DiagGaussian: dist='diag')" if correlated(dist) else ""
            raise ValueError(
                f"{n_elite} elites cannot fit a {type(dist).__name__} in {dist.dim} dimensions, "
                f"which needs {fewest}: raise popsize or elite_frac{hint}")
        return popsize, n_elite

    def fewest_elites(self, dist: Distribution) -> int:
        """The fewest elites this rule can fit ``dist`` from: the family's own minimum."""
        return dist.min_fit_samples

    def default_popsize(self, dist: Distribution, elite_frac: float) -> int:
        return default_popsize(dist, elite_frac)

    def spread_rate(self, dist: Distribution, n_elite: int) -> float:
        """The spread's smoothing: ``smoothing_cov`` if given, else this method's default (the
        rules that fit about the previous mean smooth the spread at this rate)."""
        if self.smoothing_cov_given is not None:
            return self.smoothing_cov_given
        return self.default_spread_rate(dist, n_elite)

    def default_spread_rate(self, dist: Distribution, n_elite: int) -> float:
        return FULL_COV_SMOOTHING if correlated(dist) else self.smoothing

    def restarts_within_budget(self, dist: Distribution) -> bool:
        """Whether a run with ``max_evals`` restarts until it is spent by default: every
        family does, but the Gaussians under the textbook and ``"ce"`` updates, kept as they
        were measured, as baselines (the benchmarks restart them themselves)."""
        return not isinstance(dist, LocationScale)

    # -- one local search --------------------------------------------------------------------
    def begin(self, dist: Distribution, n_elite: int) -> None:
        """Start a local search from ``dist`` with ``n_elite`` elites: weights and rates for
        them, and the state that lives for one local search only, afresh."""
        self.elite_weights = rank_weights(n_elite) if self.weights == "rank" else None
        self.smoothing_cov = self.spread_rate(dist, n_elite)
        self._scale = None
        mu_eff = effective_elites(self.weights, n_elite)
        self._mu_eff = mu_eff
        if self.scale_control == "success":
            self._scale = ScaleControl(dist.dim)
        elif self.scale_control == "path":
            self._scale = PathControl(dist.dim, mu_eff)
        self._cov_path = None
        if self.rank_one:
            self._cov_path = CovariancePath(dist.dim, mu_eff, self.smoothing_cov,
                                            diagonal=not correlated(dist))

    def update(self, dist: Distribution, X: NDArray, elites: NDArray,
               ranking: NDArray) -> Distribution:
        """The distribution after one population: ``X`` its samples as fitted, ``elites``
        the rows selected, best first, ``ranking`` the losses they were ranked by.

        A flat population (every finite value equal, as when no policy reaches MountainCar's
        goal) ranks nothing: its "elites" would be a random subset, and fitting them only
        shrinks the spread by noise, so the distribution is kept as it is.
        """
        ranked = ranking[~np.isnan(ranking)]
        if not ranked.min() < ranked.max():
            self._flat()
            return dist
        return self._step(dist, X, elites, ranking)

    @abstractmethod
    def _step(self, dist: Distribution, X: NDArray, elites: NDArray,
              ranking: NDArray) -> Distribution:
        """The update proper (the population ranks something)."""

    def _flat(self) -> None:  # noqa: B027 (a hook: most rules have no state to clear)
        """What a flat population leaves of the rule's state."""

    def _spread_terms(self, ranking: NDArray, dist: Distribution, fitted: Distribution,
                      X: NDArray | None = None, elites: NDArray | None = None
                      ) -> dict[str, Any]:
        """``smooth``'s keywords for the scale control's factor, the rank-one term and the
        active term (none when they are off), from the losses, the move from ``dist`` to the
        ``fitted`` mean and (for the active term) the population ``X`` and its ``elites``.
        Called after the fits, so that a fit that fails leaves the record as it was."""
        terms: dict[str, Any] = {}
        if self.active:
            rows, ranks = worst_rows(ranking, elites)
            c1 = 0.0 if self._cov_path is None else self._cov_path.weight
            v = negative_weights(ranks, ranking.size, dist.dim, self._mu_eff,
                                 self.smoothing_cov, c1)
            worse = X[rows]  # a copy (fancy indexing), made the deviations in place
            worse -= dist.mean
            terms["active"] = (worse, v)
        if self._scale is not None:
            step = dist.standardized(fitted.mean) if self.scale_control == "path" else None
            terms["scale"] = self._scale.factor(ranking, step)
        if self._cov_path is not None:
            control = self._scale if self.scale_control == "path" else None
            terms["rank_one"] = self._cov_path.term(fitted.mean - dist.mean, control)
            self._cov_path.rescale(terms.get("scale", 1.0))
        return terms

    # -- checkpoints -------------------------------------------------------------------------
    def search_state(self) -> dict[str, Any]:
        """The state of the current local search, as plain data."""
        return {"scale": None if self._scale is None else self._scale.state(),
                "cov_path": None if self._cov_path is None else self._cov_path.state()}

    def load_search_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`search_state` (after :meth:`begin` of the same local search)."""
        if state["scale"] is not None:
            self._scale.load_state(state["scale"])
        if state.get("cov_path") is not None:  # (none before the rank-one term)
            self._cov_path.load_state(state["cov_path"])

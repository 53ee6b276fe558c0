"""The interface every ceopt distribution implements, and the checks the families share.

A distribution is an immutable value. The CE update is written entirely in terms of it:

    new = old.smooth(old.fit(elites, weights), alpha)

``fit`` is the weighted maximum-likelihood estimate within the family,
``argmax_q sum_k w_k log q(x_k)`` (``docs/ce-method.md``, "From importance sampling to a
fitting problem"), which for every family here is closed-form weighted moment matching.

:class:`Distribution` declares everything the solver calls. Five members are required
(``dim``, ``spread``, ``sample``, ``fit``, ``smooth``); the rest have defaults or are optional,
and a family that lacks an optional one raises :class:`UnsupportedOperation` saying what
needs it: ``moved`` (a restart at a random point of the box), ``state``/``from_state``
(checkpoints), ``log_prob`` (rare events). ``docs/spaces.md`` builds a family of one's own.
:class:`LocationScale` is what method ``"adaptive"``, the separability test and BIPOP's small
restarts need on top: a mean and standard deviations the solver can steer.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._checks import float_array

D = TypeVar("D", bound="Distribution")


class UnsupportedOperation(NotImplementedError):
    """An operation the solver needs that this distribution family does not provide."""


class Distribution(ABC):
    """Abstract sampling distribution over ``dim``-dimensional points.

    What an optimisation run uses, and a family of one's own must define: ``dim``,
    ``spread``, ``sample``, ``fit`` and ``smooth``. The rest has defaults (``min_spread`` 0,
    ``n_params`` the dimension, ``min_fit_samples`` 1) or raises
    :class:`UnsupportedOperation` naming what needs it (``log_prob``: rare-event estimation;
    ``mode``, ``entropy``: reading the result; ``moved``, ``state``: below).
    """

    #: True for families over discrete values (no bounds, no continuous spread).
    discrete: bool = False

    @property
    @abstractmethod
    def dim(self) -> int:
        """Number of coordinates of one sample."""

    @property
    @abstractmethod
    def spread(self) -> float:
        """One number for how far the distribution is from a point mass.

        Gaussian families: the largest standard deviation along a coordinate. Discrete
        families: the largest probability of *not* drawing a variable's mode. The CE loop
        watches it to detect collapse (and divergence).
        """

    @abstractmethod
    def sample(self, n: int, rng: np.random.Generator) -> NDArray:
        """Draw ``n`` independent samples, shape ``(n, dim)``."""

    @abstractmethod
    def fit(self: D, x: ArrayLike, weights: ArrayLike | None = None) -> D:
        """Weighted maximum-likelihood estimate in this family (keeps this one's floor)."""

    @abstractmethod
    def smooth(self: D, new: D, alpha: float) -> D:
        """``alpha * new + (1 - alpha) * self`` on the parameters (see each family)."""

    # -- with defaults ----------------------------------------------------------------------
    @property
    def min_spread(self) -> float:
        """The ``spread`` the family's floor keeps it at, at the least (0: no floor)."""
        return 0.0

    @property
    def spread_above_floor(self) -> float:
        """How far ``spread`` is above what the floor keeps (a local search has collapsed when
        this is negligible); a family whose floor differs by coordinate says so itself."""
        return self.spread - self.min_spread

    @property
    def n_params(self) -> int:
        """Number of free parameters the fit estimates (sets default sample sizes)."""
        return self.dim

    @property
    def min_fit_samples(self) -> int:
        """Fewest (positively weighted) samples ``fit`` can turn into a valid distribution."""
        return 1

    @property
    def mode(self) -> NDArray:
        """The most likely point, shape ``(dim,)``."""
        raise UnsupportedOperation(f"{type(self).__name__} does not define its mode")

    def log_prob(self, x: ArrayLike) -> NDArray[np.float64]:
        """Log density (or log mass) of each row of ``x``, shape ``(n,)``."""
        raise UnsupportedOperation(
            f"{type(self).__name__} does not define log_prob(x), which rare-event estimation "
            f"needs (the likelihood ratio)")

    def affinity(self, x: ArrayLike) -> NDArray[np.float64]:
        """How strongly the distribution favours each row of ``x``, larger for likelier rows:
        what orders the candidates of a local improvement (``improve=``). ``log_prob``
        unless the family has something cheaper that ranks alike."""
        return self.log_prob(x)

    def entropy(self) -> float:
        """Differential entropy (continuous) or Shannon entropy in nats (discrete)."""
        raise UnsupportedOperation(f"{type(self).__name__} does not define its entropy")

    # -- optional operations ----------------------------------------------------------------
    def moved(self: D, mean: ArrayLike) -> D:
        """The same family about another point: what a restart at a random point of the box
        starts from."""
        raise UnsupportedOperation(
            f"{type(self).__name__} cannot be moved to another point, which a restart inside "
            f"bounds needs: define moved(mean), or pass restarts=0")

    def support(self) -> NDArray[np.bool_] | None:
        """Where the distribution has mass, comparable across families (the rare-event
        estimator checks that a proposal covers its nominal): per variable, a row of
        booleans, one per value for discrete families and ``[negative reals, non-negative
        reals]`` for continuous ones. None: not known (then it is checked by sampling)."""
        return None

    def state(self) -> dict[str, Any]:
        """The parameters as plain data (numbers, strings, arrays), for checkpoints:
        ``type(self).from_state(self.state())`` must give this distribution back exactly."""
        raise UnsupportedOperation(
            f"{type(self).__name__} does not say how to save it: define state() and "
            f"from_state() to checkpoint a run with it")

    @classmethod
    def from_state(cls: type[D], state: dict[str, Any]) -> D:
        """The distribution :meth:`state` describes."""
        raise UnsupportedOperation(f"{cls.__name__} does not define from_state()")


class LocationScale(Distribution):
    """A continuous family with a mean and per-coordinate standard deviations.

    Besides :class:`Distribution`, the solver uses: ``standardized`` (the path control),
    ``fit`` with ``center`` (the spread fitted
    about a given mean: the update about the previous mean), ``smooth`` with a separate rate
    for the spread and a ``scale`` factor (the scale control), ``moved`` and ``scaled``
    (where and how wide a restart starts), and ``diagonal`` (the family without correlations,
    for a separable objective).
    """

    @property
    @abstractmethod
    def mean(self) -> NDArray[np.float64]:
        """The location, shape ``(dim,)``."""

    @property
    @abstractmethod
    def std(self) -> NDArray[np.float64]:
        """The marginal standard deviations, shape ``(dim,)``."""

    @abstractmethod
    def standardized(self, x: ArrayLike) -> NDArray[np.float64]:
        """One point ``x`` in units of the spread: ``L^-1 (x - mean)`` with ``L L^T`` the
        covariance (the path control measures the mean's moves in them)."""

    @abstractmethod
    def fit(self: D, x: ArrayLike, weights: ArrayLike | None = None, *,
            center: ArrayLike | None = None, overwrite_x: bool = False) -> D:
        """Weighted MLE; with ``center``, the spread's MLE for a mean known to be ``center``.
        ``overwrite_x=True`` lets the fit use x's memory, as scipy's ``overwrite_a``."""

    @abstractmethod
    def smooth(self: D, new: D, alpha: float, alpha_cov: float | None = None, *,
               scale: float = 1.0, rank_one: tuple[NDArray, float] | None = None) -> D:
        """Mix the means with ``alpha`` and the spreads with ``alpha_cov`` (default alpha),
        then multiply every standard deviation by ``scale``. ``rank_one = (q, c1)`` adds the
        pseudo-sample ``q`` (about the mean) to the spread's mix with weight ``c1``, taken
        from the old spread's: ``b new + c1 q q^T + (1 - b - c1) old``."""

    @abstractmethod
    def moved(self: D, mean: ArrayLike) -> D:
        """The same distribution about another mean."""

    @abstractmethod
    def scaled(self: D, factor: float) -> D:
        """The same distribution with every standard deviation times ``factor``."""

    def diagonal(self) -> LocationScale:
        """The family without correlations, with the same means and standard deviations
        (itself when it has none)."""
        return self

    def support(self) -> NDArray[np.bool_]:
        """Every real number, for each coordinate (a family on less says so itself)."""
        return np.ones((self.dim, 2), dtype=bool)


def frozen(a: ArrayLike, dtype=np.float64) -> NDArray:
    """A read-only copy, so that a distribution's parameters cannot change under it."""
    out = np.array(a, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


def check_samples(x: ArrayLike, dim: int, name: str = "x") -> NDArray:
    """``x`` as a 2-D array ``(n, dim)``; a single point of shape ``(dim,)`` is one row."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":  # bool, int, unsigned, float: strings and objects are not
        raise TypeError(f"{name} must be an array of numbers, got dtype {x.dtype}")
    if x.ndim == 1 and x.shape[0] == dim:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != dim:
        raise ValueError(f"{name} must have shape (n, {dim}), got {x.shape}")
    return x


def normalized_weights(weights: ArrayLike | None, n: int) -> NDArray[np.float64]:
    """Weights scaled to sum to one; ``None`` means equal weights.

    Weights may have any positive scale (the MLE does not depend on it) but must be finite,
    non-negative and not all zero.
    """
    if n == 0:
        raise ValueError("cannot fit a distribution to zero samples")
    if weights is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,):
        raise ValueError(f"weights must have shape ({n},), got {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite")
    if np.any(w < 0):
        raise ValueError("weights must be non-negative")
    total = w.sum()
    if total <= 0:
        raise ValueError("weights are all zero: there is nothing to fit")
    # Dividing by the largest weight first keeps tiny weights (e.g. likelihood ratios of
    # 1e-300) from underflowing in the sum.
    w = w / w.max()
    return w / w.sum()


def effective_sample_size(w: NDArray, axis: int | None = None) -> NDArray | float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` of non-negative weights (per
    column with ``axis=0``): how many equally weighted samples they are worth."""
    return w.sum(axis=axis) ** 2 / (w * w).sum(axis=axis)


def bit_probabilities(p: ArrayLike) -> NDArray[np.float64]:
    """``p``, the probability that each bit is 1, checked: a non-empty 1-D array in [0, 1],
    clipped (weighted sums may round a hair past 1)."""
    p = float_array("p", p)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"p must be a non-empty 1-D array, got shape {p.shape}")
    if not np.all(np.isfinite(p) & (p >= -1e-12) & (p <= 1 + 1e-12)):
        raise ValueError("p must hold probabilities in [0, 1]")
    return np.clip(p, 0.0, 1.0)


def check_bits(x: ArrayLike, dim: int, family: str) -> NDArray:
    """``x`` as ``(n, dim)`` samples of 0/1 values (what a family of bits fits to)."""
    x = check_samples(x, dim)
    if not np.all((x == 0) | (x == 1)):
        raise ValueError(f"{family} samples must be 0/1 or bool")
    return x


def bit_log_mass(x: NDArray, p: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each row's log mass when its bit ``j`` is 1 with probability ``p[..., j]`` (one row of
    probabilities for every sample, or one per sample); a value other than 0/1: ``-inf``."""
    with np.errstate(divide="ignore"):
        terms = np.where(x == 1, np.log(p), np.log1p(-p))
    return np.where((x == 0) | (x == 1), terms, -np.inf).sum(axis=1)


def check_alpha(alpha: float) -> float:
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"smoothing alpha must be in [0, 1], got {alpha}")
    return alpha


def check_same_family(old: Distribution, new: Distribution) -> None:
    if type(new) is not type(old):
        raise TypeError(f"cannot smooth a {type(old).__name__} with a {type(new).__name__}")
    if new.dim != old.dim:
        raise ValueError(f"cannot smooth a {old.dim}-d distribution with a {new.dim}-d one")


def short(a: NDArray, precision: int = 4) -> str:
    """A compact rendering of a parameter array for ``repr``."""
    return np.array2string(np.asarray(a), precision=precision, threshold=8, edgeitems=3,
                           separator=", ")


#: Default total probability each variable keeps for leaving its mode: ``(k - 1) * min_prob``.
DEFAULT_FLOOR = 1e-3


def check_floor(min_prob: float | None, k: int) -> float:
    """``min_prob`` for ``k`` values, validated; ``None`` gives the default
    ``DEFAULT_FLOOR / (k - 1)`` (``DEFAULT_FLOOR`` for a single value, which has nowhere to
    leave to: a transition row of a permutation of two items)."""
    if min_prob is None:
        return DEFAULT_FLOOR / max(k - 1, 1)
    min_prob = float(min_prob)
    if not (np.isfinite(min_prob) and 0 <= min_prob < 1.0 / k):
        raise ValueError(f"min_prob must be in [0, 1/{k}) for {k} values, got {min_prob}")
    return min_prob

"""What the two Gaussian families share: the mean, the floor on the spread, and the first half
of ``fit``.

Both fit by weighted moment matching (the closed-form weighted MLE)

    mean = sum_k w_k x_k,       cov = sum_k w_k (x_k - c)(x_k - c)^T,

where ``c`` is the fitted mean (the MLE) unless a ``center`` is given: then ``cov`` is the MLE
of the covariance for a mean known to be ``c``. The CE update of methods ``"ce"`` and
``"adaptive"`` passes the *previous* mean as ``center`` (``docs/ce-method.md``, "Why textbook
CE stalls"), which stretches the distribution along the direction of progress instead of
shrinking it.

Smoothing acts on the moments: ``mean`` and ``cov`` (for :class:`DiagGaussian`, the
variances) are mixed linearly, ``alpha * new + (1 - alpha) * old``. A convex combination of
positive definite matrices is positive definite, so smoothing never breaks the Cholesky factor.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._checks import float_array, real
from ._base import LocationScale, check_samples, normalized_weights

LOG_2PI = float(np.log(2.0 * np.pi))

#: Default floor on every standard deviation (see ``min_std``).
DEFAULT_MIN_STD = 1e-12


def mean_vector(mean: ArrayLike) -> NDArray[np.float64]:
    mean = float_array("mean", mean)
    if mean.ndim != 1 or mean.size == 0:
        raise ValueError(f"mean must be a non-empty 1-D array, got shape {mean.shape}")
    if not np.all(np.isfinite(mean)):
        raise ValueError("mean must be finite")
    return mean


def positive(name: str, value: float) -> float:
    value = real(name, value)
    if not value > 0:
        raise ValueError(f"{name} must be finite and positive, got {value}")
    return value


def check_min_std(min_std: ArrayLike, dim: int) -> float | NDArray[np.float64]:
    """The floor: a float for every coordinate, or a read-only array of one per coordinate
    (integer coordinates keep a wider one: ``ceopt.space``)."""
    floor = float_array("min_std", min_std)
    if floor.ndim > 1 or (floor.ndim == 1 and floor.shape != (dim,)):
        raise ValueError(f"min_std must be a scalar or have shape ({dim},), got {floor.shape}")
    if not np.all(np.isfinite(floor) & (floor >= 0)):
        raise ValueError(f"min_std must be finite and >= 0, got {min_std}")
    if floor.ndim == 0:
        return float(floor)
    floor.setflags(write=False)
    return floor


def std_floored(std: NDArray[np.float64],
                min_std: float | NDArray) -> NDArray[np.float64] | None:
    """The factors that raise each standard deviation to a per-coordinate floor (1 where it
    is above), or None when none is below or the floor is one number.

    A floor per coordinate is a margin (``ceopt.space``: integer coordinates keep trying
    their neighbours), which smoothing and the scale control must not undo; a single floor is
    the numerical guard of the fit only, as it always was (kept so on purpose: holding it
    through smoothing changed 32 of 1310 recorded runs in their last digits).
    """
    if np.ndim(min_std) == 0 or np.all(std >= min_std):
        return None
    return np.maximum(1.0, np.divide(min_std, std))


def rank_one_term(rank_one: tuple[ArrayLike, float], dim: int,
                  rate: float) -> tuple[NDArray[np.float64], float]:
    """``smooth``'s ``rank_one = (q, c1)`` checked: a finite vector of the family's dimension
    and a weight that leaves the old spread a share, ``0 <= c1 <= 1 - rate``."""
    q, c1 = rank_one
    q = float_array("rank_one vector", q)
    if q.shape != (dim,) or not np.all(np.isfinite(q)):
        raise ValueError(f"the rank-one term must be a finite vector of shape ({dim},), got "
                         f"shape {q.shape}")
    c1 = real("rank-one weight", c1)
    if not 0.0 <= c1 <= 1.0 - rate + 1e-12:
        raise ValueError(f"the rank-one weight must lie in [0, 1 - alpha_cov] = [0, "
                         f"{1.0 - rate:.3g}], got {c1}")
    return q, c1


def active_bound(dim: int, rate: float, path_rate: float) -> float:
    """The largest sum of the active term's weights that keeps the covariance positive
    definite, ``(1 - rate - path_rate) / (dim * rate)`` (:mod:`ceopt.updates.active`); 0
    when the fit and the path take the whole covariance, leaving nothing to take from."""
    if rate <= 0.0 or rate + path_rate >= 1.0:
        return 0.0
    return (1.0 - rate - path_rate) / (dim * rate)


def active_term(active: tuple[ArrayLike, ArrayLike], dim: int, rate: float,
                path_rate: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``smooth``'s ``active = (Y, v)`` checked: deviations ``Y`` from the old mean, one row
    each, finite; weights ``v >= 0``, one each, whose sum keeps the covariance positive
    definite, ``sum(v) <= active_bound(dim, rate, path_rate)``."""
    y, v = active
    y = float_array("active deviations", y)
    v = float_array("active weights", v)
    if y.ndim != 2 or y.shape[1] != dim or not np.all(np.isfinite(y)):
        raise ValueError(f"the active term's deviations must be finite rows of {dim} "
                         f"coordinates, got shape {y.shape}")
    if v.shape != (y.shape[0],) or not np.all(np.isfinite(v) & (v >= 0)):
        raise ValueError(f"the active term needs one finite weight >= 0 per deviation "
                         f"({y.shape[0]}), got {v!r}")
    bound = active_bound(dim, rate, path_rate)
    if v.sum() > bound * (1 + 1e-9) + 1e-15:
        raise ValueError(f"the active term's weights sum to {v.sum():.4g}, above "
                         f"(1 - alpha_cov - c1) / (dim alpha_cov) = {bound:.4g}, which would "
                         f"let the covariance lose positive definiteness")
    return y, v


def rescaled_weights(v: NDArray[np.float64], norms: NDArray[np.float64],
                     dim: int) -> NDArray[np.float64]:
    """The active term's weights with each deviation's rescaling to the squared Mahalanobis
    length ``dim`` folded in: ``v_j dim / |C^-1/2 y_j|^2`` (0 for a zero deviation), so that
    ``sum_j v_j y°_j y°_j^T`` is ``sum_j w_j y_j y_j^T`` without rescaled copies of y."""
    return v * np.divide(dim, norms, out=np.zeros_like(norms), where=norms > 0)


class Normal(LocationScale):
    """What both Gaussian families share: a mean, a floor on the std, the first half of fit."""

    _mean: NDArray[np.float64]
    _min_std: float | NDArray[np.float64]

    @property
    def dim(self) -> int:
        return self._mean.size

    @property
    def mean(self) -> NDArray[np.float64]:
        return self._mean

    @property
    def mode(self) -> NDArray[np.float64]:
        return self._mean

    @property
    def min_std(self) -> float | NDArray[np.float64]:
        """The floor on the standard deviations: one for all, or one per coordinate."""
        return self._min_std

    @property
    def min_spread(self) -> float:
        return float(np.max(self._min_std))

    @property
    def spread_above_floor(self) -> float:
        """With one floor, the spread above it. A floor per coordinate is a margin, which is
        not a collapse: the spread is then measured above the numerical guard
        (:data:`DEFAULT_MIN_STD`, or the lowest floor if below), so a search with integer
        coordinates ends when its elite threshold stagnates or its values are flat, not the
        moment the integers reach their margin (which stopped a 3-d integer quadratic one
        cell short of its optimum in 1 of 6 seeds)."""
        if np.ndim(self._min_std) == 0:
            return float(np.max(self.std) - self._min_std)
        return float(np.max(self.std) - min(np.min(self._min_std), DEFAULT_MIN_STD))

    def _moved_mean(self, mean: ArrayLike) -> NDArray[np.float64]:
        """``mean`` checked for a move: finite, of this distribution's shape."""
        mean = mean_vector(mean)
        if mean.shape != (self.dim,):
            raise ValueError(f"mean must have shape ({self.dim},), got {mean.shape}")
        return mean

    def _fit_moments(self, x, weights, center, overwrite_x=False, fewest=None):
        """Validated samples and weights (at least ``fewest``, by default
        ``min_fit_samples``, with positive weight); the fitted mean and the deviations from
        the centre (in x's own memory if ``overwrite_x`` and x is a writable float array)."""
        x = check_samples(x, self.dim).astype(np.float64, copy=False)
        if not np.all(np.isfinite(x)):
            raise ValueError("samples to fit must be finite")
        w = normalized_weights(weights, x.shape[0])
        n_pos = int(np.count_nonzero(w))
        fewest = self.min_fit_samples if fewest is None else fewest
        if n_pos < fewest:
            raise ValueError(
                f"{type(self).__name__} in {self.dim} dimensions needs at least "
                f"{fewest} samples with positive weight to fit, got {n_pos}")
        mean = w @ x
        c = mean if center is None else check_samples(center, self.dim, "center")[0]
        own = overwrite_x and x.flags.writeable
        return mean, np.subtract(x, c, out=x if own else None), w

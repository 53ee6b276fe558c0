"""Gaussian families: full covariance and diagonal.

Both fit by weighted moment matching (the closed-form weighted MLE)

    mean = sum_k w_k x_k,       cov = sum_k w_k (x_k - c)(x_k - c)^T,

where ``c`` is the fitted mean (the MLE) unless a ``center`` is given: then ``cov`` is the MLE
of the covariance for a mean known to be ``c``. The CE loop passes the *previous* mean as
``center`` (see :mod:`ceopt.cross_entropy`), which stretches the distribution along the
direction of progress instead of shrinking it.

Smoothing acts on the moments: ``mean`` and ``cov`` (for :class:`DiagGaussian`, the
variances) are mixed linearly, ``alpha * new + (1 - alpha) * old``. A convex combination of
positive definite matrices is positive definite, so smoothing never breaks the Cholesky factor.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import solve_triangular

from .._checks import float_array, real
from ._base import (
    Distribution,
    check_alpha,
    check_same_family,
    check_samples,
    frozen,
    normalized_weights,
    short,
)

LOG_2PI = float(np.log(2.0 * np.pi))

#: Default floor on every standard deviation (see ``min_std``).
DEFAULT_MIN_STD = 1e-12

#: Relative jitter added to a fitted full covariance: ``JITTER * trace(cov) / dim`` on the
#: diagonal. It bounds the condition number near 1e10 * dim, far above what an optimiser needs,
#: and keeps the Cholesky factorisation from failing on nearly singular elite sets.
JITTER = 1e-10


def _mean_vector(mean: ArrayLike) -> NDArray[np.float64]:
    mean = float_array("mean", mean)
    if mean.ndim != 1 or mean.size == 0:
        raise ValueError(f"mean must be a non-empty 1-D array, got shape {mean.shape}")
    if not np.all(np.isfinite(mean)):
        raise ValueError("mean must be finite")
    return mean


def _positive(name: str, value: float) -> float:
    value = real(name, value)
    if not value > 0:
        raise ValueError(f"{name} must be finite and positive, got {value}")
    return value


def _same_mean_shape(dist: _Normal, mean: ArrayLike) -> NDArray[np.float64]:
    mean = _mean_vector(mean)
    if mean.shape != (dist.dim,):
        raise ValueError(f"mean must have shape ({dist.dim},), got {mean.shape}")
    return mean


def _check_min_std(min_std: float) -> float:
    min_std = float(min_std)
    if not (np.isfinite(min_std) and min_std >= 0):
        raise ValueError(f"min_std must be finite and >= 0, got {min_std}")
    return min_std


class _Normal(Distribution):
    """What both Gaussian families share: a mean, a floor on the std, the first half of fit."""

    _mean: NDArray[np.float64]
    _min_std: float

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
    def min_std(self) -> float:
        return self._min_std

    @property
    def min_spread(self) -> float:
        return self._min_std

    def _fit_moments(self, x, weights, center, overwrite_x=False):
        """Validated samples and weights; the fitted mean and the deviations from the centre
        (in x's own memory if ``overwrite_x`` and x is a writable float array)."""
        x = check_samples(x, self.dim).astype(np.float64, copy=False)
        if not np.all(np.isfinite(x)):
            raise ValueError("samples to fit must be finite")
        w = normalized_weights(weights, x.shape[0])
        n_pos = int(np.count_nonzero(w))
        if n_pos < self.min_fit_samples:
            raise ValueError(
                f"{type(self).__name__} in {self.dim} dimensions needs at least "
                f"{self.min_fit_samples} samples with positive weight to fit, got {n_pos}")
        mean = w @ x
        c = mean if center is None else check_samples(center, self.dim, "center")[0]
        own = overwrite_x and x.flags.writeable
        return mean, np.subtract(x, c, out=x if own else None), w


class Gaussian(_Normal):
    """Multivariate normal ``N(mean, cov)`` with a full covariance matrix.

    Parameters
    ----------
    mean : array, shape (dim,)
    cov : array, shape (dim, dim), symmetric positive definite. A scalar or a vector is read
        as ``variance * I`` or ``diag(variances)``.
    min_std : float
        Floor: :meth:`fit` adds ``min_std**2 * I`` (plus a relative jitter, :data:`JITTER`) to
        the fitted covariance, so no direction's standard deviation falls below ``min_std``.
        Default :data:`DEFAULT_MIN_STD`; pass 0 to let the distribution collapse.

    Example
    -------
    >>> import numpy as np
    >>> g = Gaussian(np.zeros(2), np.eye(2))
    >>> x = g.sample(1000, np.random.default_rng(0))
    >>> bool(np.allclose(g.fit(x).mean, 0, atol=0.1))
    True
    """

    __slots__ = ("_mean", "_cov", "_chol", "_min_std")

    def __init__(self, mean: ArrayLike, cov: ArrayLike, *, min_std: float = DEFAULT_MIN_STD):
        mean = _mean_vector(mean)
        d = mean.size
        cov = float_array("cov", cov)
        if cov.ndim == 0:
            cov = cov * np.eye(d)
        elif cov.ndim == 1 and cov.shape == (d,):
            cov = np.diag(cov)
        if cov.shape != (d, d):
            raise ValueError(f"cov must have shape ({d}, {d}), got {cov.shape}")
        if not np.all(np.isfinite(cov)):
            raise ValueError("cov must be finite")
        scale = np.abs(cov).max()
        if not np.allclose(cov, cov.T, rtol=1e-8, atol=1e-12 * scale):
            raise ValueError("cov must be symmetric")
        cov = 0.5 * (cov + cov.T)
        try:
            chol = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise ValueError("cov must be positive definite") from None
        self._mean = frozen(mean)
        self._cov = frozen(cov)
        self._chol = frozen(chol)
        self._min_std = _check_min_std(min_std)

    @property
    def cov(self) -> NDArray[np.float64]:
        return self._cov

    @property
    def chol(self) -> NDArray[np.float64]:
        """Lower Cholesky factor ``L`` with ``L @ L.T == cov``."""
        return self._chol

    @property
    def std(self) -> NDArray[np.float64]:
        """Marginal standard deviations, ``sqrt(diag(cov))``."""
        return np.sqrt(np.diag(self._cov))

    @property
    def spread(self) -> float:
        return float(np.sqrt(np.diag(self._cov).max()))

    @property
    def n_params(self) -> int:
        return self.dim + self.dim * (self.dim + 1) // 2

    @property
    def min_fit_samples(self) -> int:
        # d + 1 points in general position span a d-dimensional affine space: fewer leave
        # the sample covariance singular.
        return self.dim + 1

    # -- the interface -----------------------------------------------------------------------
    def sample(self, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
        z = rng.standard_normal((n, self.dim))
        return self._mean + z @ self._chol.T  # x = m + L z  has covariance L L^T

    def log_prob(self, x: ArrayLike) -> NDArray[np.float64]:
        x = check_samples(x, self.dim).astype(np.float64, copy=False)
        u = solve_triangular(self._chol, (x - self._mean).T, lower=True, check_finite=False)
        maha = np.einsum("ij,ij->j", u, u)  # (x - m)^T C^-1 (x - m) = |L^-1 (x - m)|^2
        log_det = 2.0 * np.log(np.diag(self._chol)).sum()
        return -0.5 * (maha + self.dim * LOG_2PI + log_det)

    def fit(self, x: ArrayLike, weights: ArrayLike | None = None, *,
            center: ArrayLike | None = None, overwrite_x: bool = False) -> Gaussian:
        """Weighted MLE; ``center`` holds the covariance's mean fixed (module docstring).
        ``overwrite_x=True`` lets the fit use x's memory (x then holds garbage), as scipy's
        ``overwrite_a``: it spares an array of x's size."""
        mean, dev, w = self._fit_moments(x, weights, center, overwrite_x)
        cov = (dev * w[:, None]).T @ dev
        cov[np.diag_indices_from(cov)] += self._min_std**2 + JITTER * np.trace(cov) / self.dim
        try:
            return Gaussian(mean, cov, min_std=self._min_std)
        except ValueError:
            raise ValueError(
                "degenerate fit: the weighted samples coincide, so the covariance is zero; "
                "give the distribution a min_std > 0") from None

    def smooth(self, new: Gaussian, alpha: float, alpha_cov: float | None = None, *,
               scale: float = 1.0) -> Gaussian:
        """Mix the means with ``alpha`` and the covariances with ``alpha_cov`` (default alpha).

        ``scale`` then multiplies every standard deviation (the scale control of method
        "adaptive"), in the same factorisation.
        """
        check_same_family(self, new)
        a = check_alpha(alpha)
        b = a if alpha_cov is None else check_alpha(alpha_cov)
        cov = b * new.cov + (1 - b) * self._cov
        if scale != 1.0:  # symmetrised first, as the constructor would have done
            cov = _positive("scale", scale) ** 2 * (0.5 * (cov + cov.T))
        return Gaussian(a * new.mean + (1 - a) * self._mean, cov, min_std=self._min_std)

    def moved(self, mean: ArrayLike) -> Gaussian:
        """The same distribution about another mean.

        The covariance and its Cholesky factor are shared, not recomputed: they are read-only
        and a move does not change them (the factorisation is O(d^3)).
        """
        moved = object.__new__(type(self))
        moved._mean = frozen(_same_mean_shape(self, mean))
        moved._cov, moved._chol, moved._min_std = self._cov, self._chol, self._min_std
        return moved

    def entropy(self) -> float:
        # 0.5 * log det(2 pi e C), with log det C = 2 sum log diag(L)
        return float(0.5 * self.dim * (1.0 + LOG_2PI) + np.log(np.diag(self._chol)).sum())

    def __repr__(self) -> str:
        return f"Gaussian(dim={self.dim}, mean={short(self._mean)}, std={short(self.std)})"


class DiagGaussian(_Normal):
    """Normal distribution with independent coordinates, ``N(mean, diag(std**2))``.

    ``min_std`` is a floor: :meth:`fit` returns ``std = sqrt(fitted variance + min_std**2)``.
    Default :data:`DEFAULT_MIN_STD`; pass 0 to let the distribution collapse. Smoothing mixes
    the variances linearly (the same moment parametrisation as :class:`Gaussian`).

    Example
    -------
    >>> import numpy as np
    >>> g = DiagGaussian([0.0, 5.0], [1.0, 0.1])
    >>> g.sample(3, np.random.default_rng(0)).shape
    (3, 2)
    """

    __slots__ = ("_mean", "_std", "_min_std")

    def __init__(self, mean: ArrayLike, std: ArrayLike, *, min_std: float = DEFAULT_MIN_STD):
        mean = _mean_vector(mean)
        std = float_array("std", std)
        if std.ndim > 1 or (std.ndim == 1 and std.shape != mean.shape):
            raise ValueError(f"std must be a scalar or have shape {mean.shape}, got {std.shape}")
        std = np.broadcast_to(std, mean.shape)
        if not np.all(np.isfinite(std) & (std > 0)):
            raise ValueError("std must be finite and positive")
        self._mean = frozen(mean)
        self._std = frozen(std)
        self._min_std = _check_min_std(min_std)

    @property
    def std(self) -> NDArray[np.float64]:
        return self._std

    @property
    def cov(self) -> NDArray[np.float64]:
        return np.diag(self._std**2)

    @property
    def spread(self) -> float:
        return float(self._std.max())

    @property
    def n_params(self) -> int:
        return 2 * self.dim

    @property
    def min_fit_samples(self) -> int:
        return 2

    def sample(self, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
        x = rng.standard_normal((n, self.dim))
        x *= self._std  # in place: at (1000, 100) two temporaries cost half the RNG's time
        x += self._mean
        return x

    def log_prob(self, x: ArrayLike) -> NDArray[np.float64]:
        x = check_samples(x, self.dim).astype(np.float64, copy=False)
        z = (x - self._mean) / self._std
        return -0.5 * np.einsum("ij,ij->i", z, z) - (
            np.log(self._std).sum() + 0.5 * self.dim * LOG_2PI)

    def fit(self, x: ArrayLike, weights: ArrayLike | None = None, *,
            center: ArrayLike | None = None, overwrite_x: bool = False) -> DiagGaussian:
        """Weighted MLE; ``center`` holds the variances' mean fixed (module docstring).
        ``overwrite_x=True`` lets the fit use x's memory (x then holds garbage), as scipy's
        ``overwrite_a``: it spares an array of x's size."""
        mean, dev, w = self._fit_moments(x, weights, center, overwrite_x)
        dev *= dev  # in place: dev is this call's own array; spares an (n, d) temporary
        var = w @ dev + self._min_std**2
        if not np.all(var > 0):
            j = int(np.argmin(var))
            raise ValueError(
                f"degenerate fit: the weighted samples all share coordinate {j}, so its "
                "variance is zero; give the distribution a min_std > 0")
        return DiagGaussian(mean, np.sqrt(var), min_std=self._min_std)

    def smooth(self, new: DiagGaussian, alpha: float, alpha_cov: float | None = None, *,
               scale: float = 1.0) -> DiagGaussian:
        """Mix the means with ``alpha`` and the variances with ``alpha_cov`` (default alpha).

        ``scale`` then multiplies every standard deviation (the scale control of method
        "adaptive").
        """
        check_same_family(self, new)
        a = check_alpha(alpha)
        b = a if alpha_cov is None else check_alpha(alpha_cov)
        var = b * new.std**2 + (1 - b) * self._std**2
        std = np.sqrt(var)
        if scale != 1.0:
            std = _positive("scale", scale) * std
        return DiagGaussian(a * new.mean + (1 - a) * self._mean, std, min_std=self._min_std)

    def moved(self, mean: ArrayLike) -> DiagGaussian:
        """The same distribution about another mean (the read-only std is shared)."""
        moved = object.__new__(type(self))
        moved._mean = frozen(_same_mean_shape(self, mean))
        moved._std, moved._min_std = self._std, self._min_std
        return moved

    def entropy(self) -> float:
        return float(0.5 * self.dim * (1.0 + LOG_2PI) + np.log(self._std).sum())

    def __repr__(self) -> str:
        return f"DiagGaussian(dim={self.dim}, mean={short(self._mean)}, std={short(self._std)})"

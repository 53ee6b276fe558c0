"""The multivariate normal family with a full covariance matrix (module ``_normal`` has what
it shares with :class:`~ceopt.DiagGaussian`: the fit about a centre, the smoothing of
moments)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import solve_triangular

from .._checks import float_array
from ._base import check_alpha, check_same_family, check_samples, frozen, short
from ._normal import (
    DEFAULT_MIN_STD,
    LOG_2PI,
    Normal,
    active_term,
    check_min_std,
    mean_vector,
    positive,
    rank_one_term,
    rescaled_weights,
    std_floored,
)
from .diag_gaussian import DiagGaussian

#: Relative jitter added to a fitted full covariance: ``JITTER * trace(cov) / dim`` on the
#: diagonal. It bounds the condition number near 1e10 * dim, far above what an optimiser needs,
#: and keeps the Cholesky factorisation from failing on nearly singular elite sets.
JITTER = 1e-10


class Gaussian(Normal):
    """Multivariate normal ``N(mean, cov)`` with a full covariance matrix.

    Parameters
    ----------
    mean : array of shape ``(dim,)``
    cov : array of shape ``(dim, dim)``
        Symmetric positive definite. A scalar or a vector is read as ``variance * I`` or
        ``diag(variances)``.
    min_std : float or array of shape ``(dim,)``
        Floor, one for all coordinates or one each: :meth:`fit` adds ``diag(min_std**2)``
        (plus a relative jitter, :data:`JITTER`) to the fitted covariance, so no direction's
        standard deviation falls below ``min_std``, and :meth:`smooth` scales a coordinate
        that smoothing or ``scale`` took below its floor back to it.
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

    def __init__(self, mean: ArrayLike, cov: ArrayLike, *,
                 min_std: ArrayLike = DEFAULT_MIN_STD):
        mean = mean_vector(mean)
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
        self._min_std = check_min_std(min_std, d)

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

    def standardized(self, x: ArrayLike) -> NDArray[np.float64]:
        """``L^-1 (x - mean)`` for one point ``x``: where it lies in units of this
        distribution's spread (standard normal for a sample)."""
        dev = np.asarray(x, dtype=np.float64) - self._mean
        return solve_triangular(self._chol, dev, lower=True, check_finite=False)

    def fit(self, x: ArrayLike, weights: ArrayLike | None = None, *,
            center: ArrayLike | None = None, overwrite_x: bool = False,
            low_rank: bool = False) -> Gaussian:
        """Weighted MLE; ``center`` holds the covariance's mean fixed (module docstring).
        ``overwrite_x=True`` lets the fit use x's memory (x then holds garbage), as scipy's
        ``overwrite_a``: it spares an array of x's size.

        ``low_rank=True`` (with a ``center``) accepts fewer than ``dim + 1`` samples: the
        covariance then has their rank, made positive definite by the jitter only. It is a
        term for ``smooth`` to mix into a full covariance (method "adaptive" with a population
        below ``2(dim + 1)``, as CMA-ES's rank-mu update), not a distribution to sample from.
        """
        if low_rank and center is None:
            raise ValueError("low_rank=True fits a covariance about a known center: pass "
                             "center=")
        mean, dev, w = self._fit_moments(x, weights, center, overwrite_x,
                                         fewest=1 if low_rank else None)
        cov = (dev * w[:, None]).T @ dev
        cov[np.diag_indices_from(cov)] += self._min_std**2 + JITTER * np.trace(cov) / self.dim
        try:
            return Gaussian(mean, cov, min_std=self._min_std)
        except ValueError:
            raise ValueError(
                "degenerate fit: the weighted samples coincide, so the covariance is zero; "
                "give the distribution a min_std > 0") from None

    def smooth(self, new: Gaussian, alpha: float, alpha_cov: float | None = None, *,
               scale: float = 1.0, rank_one: tuple[NDArray, float] | None = None,
               active: tuple[NDArray, NDArray] | None = None) -> Gaussian:
        """Mix the means with ``alpha`` and the covariances with ``alpha_cov`` (default alpha),
        and ``rank_one = (q, c1)``'s ``c1 q q^T`` at the expense of the old covariance.

        ``active = (Y, v)``: deviations from this distribution's mean with weights ``v >= 0``
        that take variance away along them, ``alpha_cov sum_j v_j (C - y°_j y°_j^T)``, each
        ``y_j`` rescaled to the squared Mahalanobis length ``dim``
        (:mod:`ceopt.updates.active`, which gives the bound on ``sum(v)`` checked here).

        ``scale`` then multiplies every standard deviation (the scale control of method
        "adaptive"), in the same factorisation.
        """
        check_same_family(self, new)
        a = check_alpha(alpha)
        b = a if alpha_cov is None else check_alpha(alpha_cov)
        if rank_one is None:
            c1 = 0.0
            cov = b * new.cov + (1 - b) * self._cov
        else:
            q, c1 = rank_one_term(rank_one, self.dim, b)
            cov = b * new.cov + (1 - b - c1) * self._cov + c1 * np.outer(q, q)
        if active is not None:
            y, v = active_term(active, self.dim, b, c1)
            z = solve_triangular(self._chol, y.T, lower=True, check_finite=False)
            w = rescaled_weights(v, np.einsum("ij,ij->j", z, z), self.dim)
            cov += b * (v.sum() * self._cov - (y * w[:, None]).T @ y)
        if scale != 1.0:  # symmetrised first, as the constructor would have done
            cov = positive("scale", scale) ** 2 * (0.5 * (cov + cov.T))
        raise_to = std_floored(np.sqrt(np.diag(cov)), self._min_std)
        if raise_to is not None:  # D C D keeps the correlations and positive definiteness
            cov = raise_to[:, None] * cov * raise_to[None, :]
        return Gaussian(a * new.mean + (1 - a) * self._mean, cov, min_std=self._min_std)

    def moved(self, mean: ArrayLike) -> Gaussian:
        """The same distribution about another mean.

        The covariance and its Cholesky factor are shared, not recomputed: they are read-only
        and a move does not change them (the factorisation is O(d^3)).
        """
        moved = object.__new__(type(self))
        moved._mean = frozen(self._moved_mean(mean))
        moved._cov, moved._chol, moved._min_std = self._cov, self._chol, self._min_std
        return moved

    def scaled(self, factor: float) -> Gaussian:
        """Every standard deviation times ``factor`` (the covariance times its square)."""
        return Gaussian(self._mean, positive("factor", factor) ** 2 * self._cov,
                        min_std=self._min_std)

    def diagonal(self) -> DiagGaussian:
        """The independent-coordinates Gaussian with the same means and variances."""
        return DiagGaussian(self._mean, self.std, min_std=self._min_std)

    def state(self) -> dict[str, Any]:
        return {"mean": self._mean, "cov": self._cov, "min_std": self._min_std}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Gaussian:
        # The covariance was stored symmetrised, so the constructor rebuilds it, and its
        # Cholesky factor, to the last bit.
        return cls(state["mean"], state["cov"], min_std=state["min_std"])

    def entropy(self) -> float:
        # 0.5 * log det(2 pi e C), with log det C = 2 sum log diag(L)
        return float(0.5 * self.dim * (1.0 + LOG_2PI) + np.log(np.diag(self._chol)).sum())

    def __repr__(self) -> str:
        return f"Gaussian(dim={self.dim}, mean={short(self._mean)}, std={short(self.std)})"

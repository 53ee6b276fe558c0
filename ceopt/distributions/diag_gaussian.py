"""The normal family with independent coordinates: a mean and a standard deviation each
(module ``_normal`` has what it shares with :class:`~ceopt.Gaussian`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

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


class DiagGaussian(Normal):
    """Normal distribution with independent coordinates, ``N(mean, diag(std**2))``.

    ``min_std`` is a floor, one for all coordinates or one each: :meth:`fit` returns
    ``std = sqrt(fitted variance + min_std**2)``, and :meth:`smooth` raises a standard
    deviation the smoothing or ``scale`` took below it back to it. Default
    :data:`DEFAULT_MIN_STD`; pass 0 to let the distribution collapse. Smoothing mixes
    the variances linearly (the same moment parametrisation as :class:`Gaussian`).

    Example
    -------
    >>> import numpy as np
    >>> g = DiagGaussian([0.0, 5.0], [1.0, 0.1])
    >>> g.sample(3, np.random.default_rng(0)).shape
    (3, 2)
    """

    __slots__ = ("_mean", "_std", "_min_std")

    def __init__(self, mean: ArrayLike, std: ArrayLike, *,
                 min_std: ArrayLike = DEFAULT_MIN_STD):
        mean = mean_vector(mean)
        std = float_array("std", std)
        if std.ndim > 1 or (std.ndim == 1 and std.shape != mean.shape):
            raise ValueError(f"std must be a scalar or have shape {mean.shape}, got {std.shape}")
        std = np.broadcast_to(std, mean.shape)
        if not np.all(np.isfinite(std) & (std > 0)):
            raise ValueError("std must be finite and positive")
        self._mean = frozen(mean)
        self._std = frozen(std)
        self._min_std = check_min_std(min_std, mean.size)

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

    def standardized(self, x: ArrayLike) -> NDArray[np.float64]:
        """``(x - mean) / std``: where ``x`` lies in units of this distribution's spread."""
        return (np.asarray(x, dtype=np.float64) - self._mean) / self._std

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
               scale: float = 1.0,
               rank_one: tuple[NDArray, float] | None = None,
               active: tuple[NDArray, NDArray] | None = None) -> DiagGaussian:
        """Mix the means with ``alpha`` and the variances with ``alpha_cov`` (default alpha),
        and ``rank_one = (q, c1)``'s ``c1 q**2`` at the expense of the old variances (the
        diagonal of ``c1 q q^T``).

        ``active = (Y, v)``: the diagonal of the full family's active term,
        ``alpha_cov sum_j v_j (var - y°_j**2)`` (:meth:`Gaussian.smooth`).

        ``scale`` then multiplies every standard deviation (the scale control of method
        "adaptive").
        """
        check_same_family(self, new)
        a = check_alpha(alpha)
        b = a if alpha_cov is None else check_alpha(alpha_cov)
        if rank_one is None:
            c1 = 0.0
            var = b * new.std**2 + (1 - b) * self._std**2
        else:
            q, c1 = rank_one_term(rank_one, self.dim, b)
            var = b * new.std**2 + (1 - b - c1) * self._std**2 + c1 * q**2
        if active is not None:
            y, v = active_term(active, self.dim, b, c1)
            sq = np.square(y)  # the only (k, d) temporary: y°² = w y²
            w = rescaled_weights(v, sq @ self._std**-2, self.dim)
            var = var + b * (v.sum() * self._std**2 - w @ sq)
        std = np.sqrt(var)
        if scale != 1.0:
            std = positive("scale", scale) * std
        raise_to = std_floored(std, self._min_std)
        if raise_to is not None:
            std = std * raise_to
        return DiagGaussian(a * new.mean + (1 - a) * self._mean, std, min_std=self._min_std)

    def moved(self, mean: ArrayLike) -> DiagGaussian:
        """The same distribution about another mean (the read-only std is shared)."""
        moved = object.__new__(type(self))
        moved._mean = frozen(self._moved_mean(mean))
        moved._std, moved._min_std = self._std, self._min_std
        return moved

    def scaled(self, factor: float) -> DiagGaussian:
        """Every standard deviation times ``factor``."""
        return DiagGaussian(self._mean, positive("factor", factor) * self._std,
                            min_std=self._min_std)

    def state(self) -> dict[str, Any]:
        return {"mean": self._mean, "std": self._std, "min_std": self._min_std}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> DiagGaussian:
        return cls(state["mean"], state["std"], min_std=state["min_std"])

    def entropy(self) -> float:
        return float(0.5 * self.dim * (1.0 + LOG_2PI) + np.log(self._std).sum())

    def __repr__(self) -> str:
        return f"DiagGaussian(dim={self.dim}, mean={short(self._mean)}, std={short(self._std)})"

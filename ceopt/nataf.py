"""Inputs given as ``scipy.stats`` marginals, with dependence through a Gaussian copula (the
Nataf model), mapped to independent standard normals and back.

Reliability methods work in *standard space*: ``U ~ N(0, I)``, where the nominal density is
known exactly and the tails of every input look alike. The map is

    Z = L U                      L L^T = R0, the Gaussian copula's correlation
    X_i = F_i^-1(Phi(Z_i))       F_i the i-th marginal's cdf

and back ``Z_i = Phi^-1(F_i(X_i))``, ``U = L^-1 Z``. Both directions go through the upper tail
(``sf``/``isf``) for points above the median, so a point at ``u = 8`` (``Phi(-8) = 6e-16``)
maps to its ``x`` and back without the rounding of ``1 - 6e-16``.

A correlation is given either as the copula's own ``normal_correlation`` (what OpenTURNS'
``NormalCopula`` takes) or as the inputs' Pearson ``correlation``, which is turned into R0 by
solving Nataf's integral equation per pair

    rho_ij = E[(X_i - m_i)(X_j - m_j)] / (s_i s_j)   under   corr(Z_i, Z_j) = r

for r, the expectation by Gauss–Hermite quadrature on a 2-D grid (see :func:`_pair_moment`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq
from scipy.special import ndtr, ndtri
from scipy.stats import rv_continuous

from ._checks import float_array

#: Gauss–Hermite nodes per axis of the Nataf quadrature: the lognormal closed form is met to
#: 1e-6 for coefficients of variation up to 0.5 (``tests/test_nataf.py``).
QUADRATURE_NODES = 48


class Nataf:
    """Continuous inputs with the given marginals and a Gaussian copula.

    Parameters
    ----------
    marginals : sequence of frozen ``scipy.stats`` continuous distributions
        ``scipy.stats.lognorm(0.2, scale=3.0)``, ``scipy.stats.gumbel_r(10, 2)``,
        ``scipy.stats.truncnorm(...)``: anything with a continuous cdf.
    correlation : array (d, d), optional
        The Pearson correlation of the inputs themselves; turned into the copula's by Nataf's
        equation (error if a value is out of what the two marginals can reach).
    normal_correlation : array (d, d), optional
        The Gaussian copula's correlation matrix (the correlation of the ``Z_i``) directly.
        Give at most one of the two; neither means independent inputs.

    Example
    -------
    >>> import numpy as np, scipy.stats as st
    >>> inputs = Nataf([st.lognorm(0.3), st.norm(5, 1)], correlation=[[1, .5], [.5, 1]])
    >>> x = inputs.to_physical(np.array([[0.0, 0.0]]))
    >>> bool(np.allclose(inputs.to_standard(x), 0))
    True
    """

    def __init__(self, marginals: Sequence, correlation: ArrayLike | None = None, *,
                 normal_correlation: ArrayLike | None = None):
        self.marginals = tuple(_check_marginal(i, m) for i, m in enumerate(marginals))
        if not self.marginals:
            raise ValueError("marginals must hold at least one distribution")
        if correlation is not None and normal_correlation is not None:
            raise ValueError("give correlation (Pearson, of the inputs) or normal_correlation "
                             "(the Gaussian copula's), not both")
        d = len(self.marginals)
        if correlation is not None:
            pearson = _check_correlation("correlation", correlation, d)
            r0 = _normal_from_pearson(self.marginals, pearson)
        elif normal_correlation is not None:
            r0 = _check_correlation("normal_correlation", normal_correlation, d)
        else:
            r0 = np.eye(d)
        try:
            self._chol = np.linalg.cholesky(r0)
        except np.linalg.LinAlgError:
            what = "normal_correlation" if correlation is None else (
                "the Gaussian copula's correlation that correlation= gives (Nataf's equation)")
            raise ValueError(f"{what} is not positive definite: the marginals cannot have "
                             f"these correlations together") from None
        self.normal_correlation = r0
        self.independent = bool(np.array_equal(r0, np.eye(d)))

    @property
    def dim(self) -> int:
        return len(self.marginals)

    def to_physical(self, u: ArrayLike) -> NDArray[np.float64]:
        """Points of standard space, shape ``(n, d)``, as inputs ``x`` (same shape)."""
        u = self._points("u", u)
        z = u if self.independent else u @ self._chol.T
        return np.column_stack([_quantile(m, z[:, i]) for i, m in enumerate(self.marginals)])

    def to_standard(self, x: ArrayLike) -> NDArray[np.float64]:
        """Inputs ``x``, shape ``(n, d)``, as points of standard space (same shape)."""
        x = self._points("x", x)
        z = np.empty_like(x)
        for i, m in enumerate(self.marginals):
            cdf = m.cdf(x[:, i])
            upper = cdf > 0.5
            z[~upper, i] = ndtri(cdf[~upper])
            z[upper, i] = -ndtri(m.sf(x[upper, i]))
        if self.independent:
            return z
        return np.linalg.solve(self._chol, z.T).T

    def sample(self, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
        """``n`` inputs drawn from the model, shape ``(n, d)``."""
        return self.to_physical(rng.standard_normal((n, self.dim)))

    def _points(self, name: str, a: ArrayLike) -> NDArray[np.float64]:
        a = float_array(name, a)
        if a.ndim == 1 and a.size == self.dim:
            a = a[None, :]
        if a.ndim != 2 or a.shape[1] != self.dim:
            raise ValueError(f"{name} must have shape (n, {self.dim}), got {a.shape}")
        return a

    def __repr__(self) -> str:
        names = ", ".join(m.dist.name for m in self.marginals)
        dep = "independent" if self.independent else "Gaussian copula"
        return f"Nataf([{names}], {dep})"


def _check_marginal(i: int, m: Any) -> Any:
    if not (hasattr(m, "dist") and hasattr(m, "ppf") and hasattr(m, "isf")):
        raise TypeError(f"marginals[{i}] must be a frozen scipy.stats distribution such as "
                        f"scipy.stats.norm(0, 1), got {type(m).__name__}")
    if not isinstance(m.dist, rv_continuous):
        raise ValueError(f"marginals[{i}] ({m.dist.name}) is discrete: the Nataf model needs "
                         f"a continuous cdf; use a continuous distribution, or a ceopt family "
                         f"(Bernoulli, Categorical) as the nominal of estimate_rare_event")
    return m


def _check_correlation(name: str, r: ArrayLike, d: int) -> NDArray[np.float64]:
    r = float_array(name, r)
    if r.shape != (d, d):
        raise ValueError(f"{name} must have shape ({d}, {d}) for {d} marginals, got {r.shape}")
    if not np.all(np.isfinite(r)) or not np.allclose(r, r.T, atol=1e-12):
        raise ValueError(f"{name} must be a finite symmetric matrix")
    if not np.allclose(np.diag(r), 1.0):
        raise ValueError(f"{name} must have ones on its diagonal, got {np.diag(r)}")
    if np.any(np.abs(r) > 1):
        i, j = np.argwhere(np.abs(r) > 1)[0]
        raise ValueError(f"{name}[{i}, {j}] = {r[i, j]:g} is not a correlation (in [-1, 1])")
    if np.linalg.eigvalsh(r).min() <= 0:
        raise ValueError(f"{name} is not positive definite (its smallest eigenvalue is "
                         f"{np.linalg.eigvalsh(r).min():.3g}): check it, or drop a "
                         f"redundant input")
    return 0.5 * (r + r.T)


def _normal_from_pearson(marginals: tuple, pearson: NDArray) -> NDArray[np.float64]:
    """Nataf's equation solved for every correlated pair."""
    t, w = hermegauss(QUADRATURE_NODES)
    w = w / w.sum()
    standardized = []
    for i, m in enumerate(marginals):
        mean, std = m.mean(), m.std()
        if not (np.isfinite(mean) and np.isfinite(std) and std > 0):
            raise ValueError(f"marginals[{i}] ({m.dist.name}) has no finite variance, so a "
                             f"Pearson correlation means nothing for it: pass "
                             f"normal_correlation (the Gaussian copula's) instead")
        standardized.append(lambda z, m=m, mean=mean, std=std: (_quantile(m, z) - mean) / std)
    r0 = np.eye(len(marginals))
    for i, j in zip(*np.triu_indices(len(marginals), 1), strict=True):
        target = pearson[i, j]
        if target == 0:
            continue
        a, b = standardized[i], standardized[j]
        low, high = (_pair_moment(a, b, r, t, w) for r in (-0.999999, 0.999999))
        if not low < target < high:
            raise ValueError(f"correlation[{i}, {j}] = {target:g} cannot be reached by "
                             f"marginals {marginals[i].dist.name} and "
                             f"{marginals[j].dist.name}: their Pearson correlation lies in "
                             f"({low:.3f}, {high:.3f})")
        r0[i, j] = r0[j, i] = brentq(
            lambda r, a=a, b=b, target=target: _pair_moment(a, b, r, t, w) - target,
            -0.999999, 0.999999, xtol=1e-12)
    return r0


def _pair_moment(a, b, r: float, t: NDArray, w: NDArray) -> float:
    """``E[a(Z1) b(Z2)]`` for standard normals of correlation ``r``: Z2 = r Z1 +
    sqrt(1 - r^2) Z', each on ``QUADRATURE_NODES`` Gauss–Hermite nodes."""
    z2 = r * t[:, None] + np.sqrt(1 - r * r) * t[None, :]
    return float(w @ (a(t)[:, None] * b(z2)) @ w)


def _quantile(m, z: NDArray) -> NDArray:
    """``F^-1(Phi(z))`` through the tail that keeps its digits."""
    x = np.empty_like(z)
    upper = z > 0
    x[~upper] = m.ppf(ndtr(z[~upper]))
    x[upper] = m.isf(ndtr(-z[upper]))
    return x

"""The reliability problems of ``benchmarks/rare_event.py``: ``P(g(X) <= 0)`` for inputs
given as ``scipy.stats`` marginals, optionally correlated.

Each problem has ``marginals`` (frozen ``scipy.stats`` distributions), ``correlation`` (the
Pearson correlation of the physical inputs, or None for independent inputs), a vectorised
limit state ``g(X) -> (n,)`` (failure where ``g <= 0``) and ``exact``, the failure probability
computed here by a one- or two-dimensional integral (or in closed form), not by sampling.

Where the values come from:

- Gaussian tails, Erlang sum, two regions, linear d = 300: closed forms (``scipy.stats``).
- Four-branch series system (Waarts 2000, k = 7, the usual reference 2.22e-3) and the
  parabolic limit state with two design points (Der Kiureghian & Dakessian 1998, b = 5,
  kappa = 0.5, e = 0.1, reference 3.01e-3): one-dimensional integrals after a rotation.
- Bridge network of the CE tutorial (de Boer, Kroese, Mannor & Rubinstein 2005): the value
  of ``examples/bridge_network.py``, 1.3425e-5. Checked here by conditioning: given
  x1, x2, x3, the events on x4 and x5 are independent tails, so the probability is
  ``E[exp(-max(0, 2-x1, 2-x2-x3)/u4) exp(-max(0, 2-x2, 2-x1-x3)/u5)]``, a smooth 3-d
  expectation; 1e8 importance samples of it give 1.34221e-5 +- 0.05 %.
- Correlated lognormal series system (three resistances against one load): a two-dimensional
  integral over the load and the resistances' common normal factor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.stats as st
from scipy.integrate import dblquad, quad
from scipy.special import log_ndtr

SQRT2 = np.sqrt(2.0)


@dataclass(frozen=True)
class Problem:
    name: str
    marginals: tuple
    g: Callable
    exact_fn: Callable
    correlation: np.ndarray | None = None
    #: The Gaussian copula's correlation (normal space) where it is known in closed form.
    copula: np.ndarray | None = None

    @property
    def dim(self) -> int:
        return len(self.marginals)

    @cached_property
    def exact(self) -> float:
        return float(self.exact_fn())


def _normals(d):
    return tuple(st.norm() for _ in range(d))


def _gaussian_tail(d, beta):
    return Problem(f"Gaussian tail, d={d}", _normals(d),
                   lambda X: beta - X.sum(axis=1) / np.sqrt(d),
                   lambda: st.norm.sf(beta))


def _erlang():
    return Problem("Erlang, 10 Exp(1) >= 50", tuple(st.expon() for _ in range(10)),
                   lambda X: 50.0 - X.sum(axis=1), lambda: st.gamma.sf(50.0, 10))


def _two_regions():
    return Problem("two regions, |x1| >= 4.5, d=10", _normals(10),
                   lambda X: 4.5 - np.abs(X[:, 0]), lambda: 2 * st.norm.sf(4.5))


def _four_branch(k=7.0):
    def g(X):
        u1, u2 = X[:, 0], X[:, 1]
        return np.minimum.reduce([3 + 0.1 * (u1 - u2) ** 2 - (u1 + u2) / SQRT2,
                                  3 + 0.1 * (u1 - u2) ** 2 + (u1 + u2) / SQRT2,
                                  (u1 - u2) + k / SQRT2, (u2 - u1) + k / SQRT2])

    def exact():
        # a = (u1 + u2)/sqrt2, b = (u1 - u2)/sqrt2 are independent N(0, 1): failure is
        # |b| >= k/2, or |a| >= 3 + 0.2 b^2 inside it.
        inner = quad(lambda b: st.norm.pdf(b) * 2 * st.norm.sf(3 + 0.2 * b * b), -k / 2, k / 2,
                     epsabs=1e-15, epsrel=1e-12)[0]
        return 2 * st.norm.sf(k / 2) + inner

    return Problem("four-branch series system", _normals(2), g, exact)


def _parabolic(b=5.0, kappa=0.5, e=0.1):
    return Problem("parabolic, two design points", _normals(2),
                   lambda X: b - X[:, 1] - kappa * (X[:, 0] - e) ** 2,
                   lambda: quad(lambda u: st.norm.pdf(u) * st.norm.sf(b - kappa * (u - e) ** 2),
                                -np.inf, np.inf, epsabs=1e-16, epsrel=1e-12)[0])


BRIDGE_MEANS = np.array([0.25, 0.4, 0.1, 0.3, 0.2])


def _bridge():
    def g(X):
        x1, x2, x3, x4, x5 = X.T
        return 2.0 - np.minimum.reduce([x1 + x4, x1 + x3 + x5, x2 + x3 + x4, x2 + x5])

    return Problem("bridge network", tuple(st.expon(scale=m) for m in BRIDGE_MEANS), g,
                   lambda: 1.3425e-5)


def _lognormal_params(mean, cov):
    s = np.sqrt(np.log1p(cov * cov))
    return np.log(mean) - s * s / 2, s


def _lognormal_series(mean_r=3.5, cov_r=0.15, mean_s=1.0, cov_s=0.3, rho=0.6):
    """Three resistances R_i (lognormal, Pearson correlation rho) against one load S
    (lognormal, independent): failure when any R_i <= S."""
    mu_r, s_r = _lognormal_params(mean_r, cov_r)
    mu_s, s_s = _lognormal_params(mean_s, cov_s)
    marginals = (*(st.lognorm(s_r, scale=np.exp(mu_r)) for _ in range(3)),
                 st.lognorm(s_s, scale=np.exp(mu_s)))
    corr = np.eye(4)
    corr[:3, :3] = rho
    np.fill_diagonal(corr, 1.0)

    def g(X):
        return X[:, :3].min(axis=1) - X[:, 3]

    def exact():
        # ln R_i = mu_r + s_r (sqrt(rz) z0 + sqrt(1 - rz) z_i); given z0 and ln S = t, the
        # R_i are independent.
        def integrand(t, z0):
            a = (mu_r + s_r * np.sqrt(rz) * z0 - t) / (s_r * np.sqrt(1 - rz))
            # 1 - Phi(a)^3, accurate where it is tiny
            return -np.expm1(3 * log_ndtr(a)) * st.norm.pdf(z0) * st.norm.pdf(t, mu_s, s_s)

        return dblquad(integrand, -9, 9, mu_s - 12 * s_s, mu_s + 12 * s_s,
                       epsabs=1e-16, epsrel=1e-10)[0]

    rz = np.log1p(rho * cov_r**2) / np.log1p(cov_r**2)   # exact for lognormal pairs
    copula = np.where(corr == rho, rz, corr)
    return Problem("correlated lognormal series", marginals, g, exact, corr, copula)


def _linear_high(d=300, beta=3.5):
    p = _gaussian_tail(d, beta)
    return Problem(f"linear, d={d}", p.marginals, p.g, p.exact_fn)


def problems() -> list[Problem]:
    return [_gaussian_tail(10, 4.75), _gaussian_tail(100, 5.2), _erlang(), _two_regions(),
            _four_branch(), _bridge(), _parabolic(), _lognormal_series(), _linear_high()]


if __name__ == "__main__":
    for p in problems():
        print(f"{p.name:35s} d={p.dim:4d} exact={p.exact:.6g}")

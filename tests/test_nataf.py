"""The Nataf model: exact in the tails, the Pearson correlation it was given, and errors that
say what to pass."""

import numpy as np
import pytest
import scipy.stats as st
from scipy.special import log_ndtr

from ceopt import Nataf


@pytest.mark.parametrize("cov", [0.1, 0.5, 1.0])
@pytest.mark.parametrize("rho", [-0.3, 0.3, 0.6, 0.9])
def test_pearson_correlation_of_lognormals_meets_the_closed_form(cov, rho):
    s = np.sqrt(np.log1p(cov * cov))
    inputs = Nataf([st.lognorm(s), st.lognorm(s, scale=3.0)], [[1, rho], [rho, 1]])
    exact = np.log1p(rho * cov * cov) / np.log1p(cov * cov)
    assert inputs.normal_correlation[0, 1] == pytest.approx(exact, abs=1e-6)


@pytest.mark.parametrize("u", [-30.0, -8.0, -1.0, 0.5, 8.0, 30.0])
def test_the_map_is_exact_in_both_tails(u):
    """Phi(-30) = 5e-198: through the upper tail the map keeps every digit there."""
    inputs = Nataf([st.expon(scale=2.0), st.lognorm(0.4, scale=5.0), st.norm(1.0, 3.0)])
    x = inputs.to_physical(np.full((1, 3), u))[0]
    assert x[0] == pytest.approx(-2.0 * log_ndtr(-u), rel=1e-9)  # expon: F^-1(Phi(u))
    assert x[1] == pytest.approx(5.0 * np.exp(0.4 * u), rel=1e-9)
    assert x[2] == pytest.approx(1.0 + 3.0 * u, rel=1e-12)
    assert inputs.to_standard(x[None, :])[0] == pytest.approx(np.full(3, u), rel=1e-8)


def test_correlated_samples_have_the_pearson_correlation_asked_for():
    target = np.array([[1.0, 0.5, -0.2], [0.5, 1.0, 0.3], [-0.2, 0.3, 1.0]])
    inputs = Nataf([st.gumbel_r(10, 2), st.weibull_min(2.0), st.expon()], target)
    n = 400_000
    x = inputs.sample(n, np.random.default_rng(0))
    got = np.corrcoef(x.T)
    # The sample correlation's standard error is about (1 - rho^2) / sqrt(n) for normal
    # data; skewed marginals double it at most here: 6 of those.
    assert np.abs(got - target).max() < 6 * 2 / np.sqrt(n)
    assert not np.allclose(inputs.normal_correlation, target)  # Nataf moved it


def test_normal_correlation_is_taken_as_it_is():
    r0 = np.array([[1.0, 0.7], [0.7, 1.0]])
    inputs = Nataf([st.expon(), st.expon()], normal_correlation=r0)
    assert np.array_equal(inputs.normal_correlation, r0)
    u = np.random.default_rng(1).standard_normal((5, 2))
    assert np.allclose(inputs.to_standard(inputs.to_physical(u)), u)


@pytest.mark.parametrize("marginals, kwargs, match", [
    ([st.poisson(3), st.norm()], {}, r"marginals\[0\] \(poisson\) is discrete"),
    ([st.norm, st.norm()], {}, r"marginals\[0\] must be a frozen scipy.stats"),
    ([st.norm(), st.norm()], {"correlation": [[1, 1.2], [1.2, 1]]}, "not a correlation"),
    ([st.norm()] * 3, {"correlation": [[1, .9, -.9], [.9, 1, .9], [-.9, .9, 1]]},
     "not positive definite"),
    ([st.expon(), st.expon()], {"correlation": [[1, -0.9], [-0.9, 1]]},
     r"cannot be reached .* lies in \(-0.64"),
    ([st.cauchy(), st.norm()], {"correlation": [[1, .5], [.5, 1]]},
     "no finite variance.*pass normal_correlation"),
    ([st.norm(), st.norm()], {"correlation": np.eye(2), "normal_correlation": np.eye(2)},
     "not both"),
    ([st.norm(), st.norm()], {"normal_correlation": np.eye(3)}, r"shape \(2, 2\)"),
])
def test_bad_input_says_what_to_pass(marginals, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Nataf(marginals, **kwargs)


def test_points_of_the_wrong_width_are_refused():
    with pytest.raises(ValueError, match=r"u must have shape \(n, 2\)"):
        Nataf([st.norm(), st.norm()]).to_physical(np.zeros((4, 3)))

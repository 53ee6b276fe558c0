"""Failure probabilities: exact values within the reported error, the design point and
importance factors of a linear limit state, several failure regions, and a g that never
fails reported instead of returned as 0."""

import warnings

import numpy as np
import pytest
import scipy.stats as st

from ceopt import (
    Exponential,
    Gaussian,
    Nataf,
    RareEventWarning,
    ShiftedNormal,
    estimate_failure_probability,
    estimate_rare_event,
)

FAST = {"final_samples": 20_000}


def within_reported_error(res, exact):
    assert res.converged, res.message
    assert abs(res.probability - exact) < 3 * res.std_error, (res, exact)


@pytest.mark.slow
def test_linear_limit_state_gives_beta_design_point_and_importance_factors():
    alpha, beta = np.array([0.6, 0.8]), 4.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", RareEventWarning)
        res = estimate_failure_probability(lambda U: beta - U @ alpha,
                                           [st.norm(), st.norm()], seed=0, **FAST)
    within_reported_error(res, st.norm.sf(beta))
    assert res.rel_error < 0.02
    assert res.beta == pytest.approx(beta, abs=0.02)
    # The failing sample nearest the origin lies near beta * alpha, so its direction cosines
    # are alpha: within a few hundredths with ~1e4 samples near the design point.
    assert np.linalg.norm(res.design_point_u) == pytest.approx(beta, abs=0.05)
    assert res.importance_factors == pytest.approx(alpha**2, abs=0.05)
    assert res.importance_factors.sum() == pytest.approx(1.0)
    assert res.g_min <= 0


@pytest.mark.slow
def test_two_failure_regions_are_both_covered():
    exact = 2 * st.norm.sf(3.5)
    res = estimate_failure_probability(lambda X: 3.5 - np.abs(X[:, 0]),
                                       [st.norm(), st.norm(1.0, 2.0)], seed=1, **FAST)
    within_reported_error(res, exact)
    assert len(res.proposal.components) >= 2
    assert res.rel_error < 0.015
    # The single-Gaussian multilevel method sees one region at a time: its reported error
    # is several times larger at the same budget.
    single = estimate_failure_probability(
        lambda X: 3.5 - np.abs(X[:, 0]), [st.norm(), st.norm(1.0, 2.0)], seed=1,
        proposal=Gaussian(np.zeros(2), np.eye(2)), method="multilevel", **FAST)
    assert single.rel_error > 2 * res.rel_error


@pytest.mark.slow
def test_correlated_lognormal_resistance_and_load_in_physical_units():
    """ln R - ln S is normal, so P(R <= S) is exact; the inputs come with the Pearson
    correlation of R and S, which Nataf turns into the copula's."""
    cov_r, cov_s, rho = 0.1, 0.25, 0.4
    s_r, s_s = np.sqrt(np.log1p(cov_r**2)), np.sqrt(np.log1p(cov_s**2))
    mu_r, mu_s = np.log(4.0) - s_r**2 / 2, np.log(2.0) - s_s**2 / 2
    rz = np.log1p(rho * cov_r * cov_s) / (s_r * s_s)
    exact = st.norm.sf((mu_r - mu_s) / np.sqrt(s_r**2 + s_s**2 - 2 * rz * s_r * s_s))
    inputs = Nataf([st.lognorm(s_r, scale=np.exp(mu_r)), st.lognorm(s_s, scale=np.exp(mu_s))],
                   correlation=[[1, rho], [rho, 1]])
    res = estimate_failure_probability(lambda X: X[:, 0] - X[:, 1], inputs, seed=2, **FAST)
    within_reported_error(res, exact)
    r, s = res.design_point
    assert r == pytest.approx(s, rel=0.05)  # the design point lies on g = 0


def test_one_point_at_a_time_and_a_ceopt_family_as_the_inputs():
    exact = st.gamma.sf(20.0, 5)
    res = estimate_failure_probability(lambda x: 20.0 - x.sum(), Exponential(np.ones(5)),
                                       vectorized=False, seed=3, **FAST)
    within_reported_error(res, exact)
    assert res.design_point_u is None and res.importance_factors is None
    assert res.design_point.sum() >= 20.0
    assert np.all(np.diff(res.levels) < 0) and res.levels[-1] == 0  # g falls to 0


@pytest.mark.slow
def test_a_g_that_never_fails_is_reported_not_returned_as_a_silent_zero():
    with pytest.warns(RareEventWarning) as caught:
        res = estimate_failure_probability(lambda X: 1.0 + X[:, 0] ** 2, [st.norm()],
                                           seed=4, max_iter=3, final_samples=1000)
    assert res.probability == 0 and not res.converged
    assert res.g_min >= 1.0
    assert any("no evaluated sample failed" in str(w.message) for w in caught)


@pytest.mark.parametrize("g, inputs, match", [
    ("g", [st.norm()], "g must be callable"),
    (lambda X: X[:, 0], "norm", "inputs must be a Nataf model"),
    (lambda X: X[:, 0], [st.poisson(2)], "discrete"),
])
def test_bad_input(g, inputs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        estimate_failure_probability(g, inputs)


def test_improved_method_and_callback_on_estimate_rare_event():
    exact = st.norm.sf(4.0)
    seen = []
    res = estimate_rare_event(lambda X: X.sum(axis=1) / 2.0, Gaussian(np.zeros(4), np.eye(4)),
                              4.0, method="improved", seed=5, final_samples=20_000,
                              callback=lambda X, S: seen.append(len(S)))
    within_reported_error(res, exact)
    assert sum(seen) == res.nfev
    assert np.all(np.diff(res.levels) < 0)  # the smoothing widths shrink
    with pytest.raises(ValueError, match="method must be"):
        estimate_rare_event(lambda X: X[:, 0], Gaussian([0.0], 1.0), 3.0, method="subset")
    with pytest.raises(TypeError, match="callback must be callable"):
        estimate_rare_event(lambda X: X[:, 0], Gaussian([0.0], 1.0), 3.0, callback=1)


def test_many_inputs_use_a_shifted_normal_and_max_evals_is_the_budget():
    d, beta = 40, 3.5
    res = estimate_failure_probability(lambda U: beta - U.sum(axis=1) / np.sqrt(d),
                                       [st.norm()] * d, seed=6, max_evals=40_000)
    assert isinstance(res.proposal, ShiftedNormal)
    within_reported_error(res, st.norm.sf(beta))
    assert res.nfev == 40_000 and res.final_samples >= 20_000
    # The proposal moved to the design point, beta along the diagonal.
    assert np.linalg.norm(res.proposal.mean) == pytest.approx(beta, abs=0.5)
    with pytest.raises(ValueError, match="max_evals must be at least 4000"):
        estimate_failure_probability(lambda U: U[:, 0], [st.norm()] * d, max_evals=3000)


def test_shifted_normal_is_the_unit_normal_about_its_mean():
    q = ShiftedNormal([1.0, -2.0])
    x = np.random.default_rng(7).normal(size=(20, 2))
    assert np.allclose(q.log_prob(x), st.multivariate_normal([1.0, -2.0]).logpdf(x))
    w = np.arange(1.0, 21.0)
    assert np.allclose(q.fit(x, w).mean, w @ x / w.sum())
    assert np.array_equal(q.smooth(ShiftedNormal([3.0, 0.0]), 0.5).mean, [2.0, -1.0])
    assert np.array_equal(ShiftedNormal.from_state(q.state()).mean, q.mean)


def test_a_defensive_share_draws_from_the_widened_proposal_and_is_checked():
    seen = []
    q = Gaussian(np.zeros(2), np.eye(2))
    plain = estimate_rare_event(lambda X: X[:, 0], q, 3.0, seed=8, final_samples=20_000)
    mixed = estimate_rare_event(lambda X: X[:, 0], q, 3.0, seed=8, final_samples=20_000,
                                defensive=0.25, defensive_scale=2.0,
                                callback=lambda X, S: seen.append(X))
    within_reported_error(mixed, st.norm.sf(3.0))
    # The same stages (the same draws), then a final proposal of the fit (3/4) and the fit
    # twice as wide (1/4): the second coordinate's variance is 0.75 s^2 + 0.25 (2 s)^2.
    fit, wide = mixed.proposal.components
    assert np.allclose(fit.cov, plain.proposal.cov) and np.allclose(wide.std, 2 * fit.std)
    assert np.allclose(mixed.proposal.weights, [0.75, 0.25])
    expected = np.sqrt(0.75 + 0.25 * 4) * fit.std[1]
    assert seen[-1][:, 1].std() == pytest.approx(expected, rel=5 / np.sqrt(20_000))
    with pytest.raises(ValueError, match="defensive_scale must be finite and >= 1"):
        estimate_rare_event(lambda X: X[:, 0], q, 3.0, defensive=0.1, defensive_scale=0.5)
    with pytest.raises(ValueError, match="defensive needs a proposal with scaled"):
        estimate_rare_event(lambda X: X.sum(axis=1), Exponential(np.ones(2)), 9.0,
                            defensive=0.1)

"""The path control (``scale_control="path"``): cumulative step-size adaptation of a Gaussian's
scale from the evolution path of its mean."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from resumes import assert_resumes_bit_identical

import ceopt
from ceopt.updates.path_control import PathControl, expected_norm


def sphere(X):
    return np.sum(X**2, axis=1)


def test_expected_norm_is_the_mean_length_of_a_standard_normal_vector():
    from scipy import stats

    rng = np.random.default_rng(0)
    for d in (1, 2, 5, 40, 1000):
        assert expected_norm(d) == pytest.approx(stats.chi(d).mean(), rel=1e-12)
        lengths = np.linalg.norm(rng.normal(size=(4000, d)), axis=1)
        assert abs(lengths.mean() - expected_norm(d)) < 4 * lengths.std() / np.sqrt(4000)


@pytest.mark.parametrize("dim, mu_eff", [(3, 2.0), (10, 5.5), (81, 5.9)])
@pytest.mark.slow
def test_under_random_selection_the_scale_neither_grows_nor_shrinks(dim, mu_eff):
    """Pure noise ranks the samples at random: the mean's standardised move is then
    N(0, I / mu_eff), the path a standard normal vector, and the log factor has mean 0. Over
    400 independent chains, the mean log factor after the burn-in is 0 within 4 standard
    errors (the chains' means are independent)."""
    rng = np.random.default_rng(dim)
    chain_means = []
    for _ in range(400):
        control = PathControl(dim, mu_eff)
        burn_in = int(5 / control.rate)
        logs = [np.log(control.factor(np.zeros(2), rng.normal(size=dim) / np.sqrt(mu_eff)))
                for _ in range(burn_in + 40)]
        chain_means.append(np.mean(logs[burn_in:]))
    chain_means = np.array(chain_means)
    se = chain_means.std(ddof=1) / np.sqrt(chain_means.size)
    assert abs(chain_means.mean()) < 4 * se


def test_pure_noise_leaves_the_spread_where_the_success_rule_collapses_it():
    # Values with no signal at all: the success rule compares the new population with the
    # previous one's 30 % quantile, which it beats 30 % of the time, and shrinks the spread
    # by exp(-0.4 / damping) each iteration; the path sees a random walk and keeps it.
    spreads = {}
    for control in ("success", "path"):
        noise = np.random.default_rng(1)
        es = ceopt.CrossEntropy(ceopt.DiagGaussian(np.zeros(20), 1.0), scale_control=control,
                                keep_best=False, seed=0, max_iter=150, patience=10**6)
        while not es.stop():
            X = es.ask()
            es.tell(X, noise.normal(size=len(X)))
        spreads[control] = es.dist.spread
    assert spreads["success"] < 1e-6
    assert 0.1 < spreads["path"] < 10


def test_steps_in_one_direction_grow_the_spread():
    # A linear slope: every step goes the same way, the path grows longer than a random
    # walk's and each factor is above one once the path has built up.
    # Without a scale control the fit about the previous mean grows it too, but ten times
    # slower (a log-growth of 0.02 per iteration against 0.22 here).
    growth = {}
    for control in ("path", False):
        es = ceopt.CrossEntropy(ceopt.DiagGaussian(np.zeros(10), 1e-3), scale_control=control,
                                seed=0)
        spreads = []
        for _ in range(40):
            X = es.ask()
            es.tell(X, X.sum(axis=1))
            spreads.append(es.dist.spread)
        growth[control] = np.mean(np.diff(np.log(spreads[10:])))
    assert growth["path"] > 0.1 and growth["path"] > 5 * growth[False]


@pytest.mark.parametrize("family", ["diag", "full"])
def test_the_path_control_converges_on_a_sphere_and_an_ellipsoid(family):
    d = 10
    scales = 10 ** (3 * np.arange(d) / (d - 1))  # condition number 1e6

    def ellipsoid(X):
        return np.sum((scales * X) ** 2, axis=1)

    for f in (sphere, ellipsoid):
        dist = (ceopt.DiagGaussian(np.full(d, 2.0), 1.0) if family == "diag"
                else ceopt.Gaussian(np.full(d, 2.0), np.eye(d)))
        es = ceopt.CrossEntropy(dist, scale_control="path", seed=1, ftarget=1e-8,
                                max_evals=20_000, restarts=0)
        while not es.stop():
            X = es.ask()
            es.tell(X, f(X))
        assert es.result().fun <= 1e-8, (f.__name__, es.stop())


def test_standardized_is_the_inverse_of_sampling():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))
    for dist in (ceopt.DiagGaussian(rng.normal(size=4), rng.uniform(0.5, 2, 4)),
                 ceopt.Gaussian(rng.normal(size=4), A @ A.T + np.eye(4))):
        z = rng.normal(size=4)
        x = dist.mean + (z * dist.std if isinstance(dist, ceopt.DiagGaussian)
                         else dist.chol @ z)
        np.testing.assert_allclose(dist.standardized(x), z, atol=1e-12)


def test_true_is_the_success_rule():
    results = []
    for control in (True, "success"):
        res = ceopt.minimize(sphere, np.ones(5), vectorized=True, scale_control=control,
                             max_evals=3000, seed=2)
        results.append((res.x, res.fun, res.nfev))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    assert results[0][1:] == results[1][1:]


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**31), st.integers(1, 12))
def test_a_run_with_the_path_control_pickles_and_resumes_bit_identical(seed, stop_after):
    es = ceopt.CrossEntropy(ceopt.Gaussian(np.ones(4), np.eye(4)), scale_control="path",
                            seed=seed)
    assert_resumes_bit_identical(es, sphere, stop_after)


def test_a_saved_path_of_the_wrong_length_is_refused():
    control = PathControl(3, 2.0)
    with pytest.raises(ValueError, match="evolution path"):
        control.load_state({"path": [0.0, 1.0]})

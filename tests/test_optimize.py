"""The optimiser reaches what the foundation promises, with fixed seeds."""

import numpy as np
import pytest
from problems import ellipsoid, rastrigin, rosenbrock, sphere

import ceopt
from ceopt import Bernoulli, Categorical


def x0_uniform(seed, d):
    return np.random.default_rng(1000 + seed).uniform(-5, 5, d)


@pytest.mark.parametrize("family", ["diag", "full"])
@pytest.mark.parametrize("seed", range(3))
def test_sphere_10d_reaches_1e_8(family, seed):
    res = ceopt.minimize(sphere, x0_uniform(seed, 10), dist=family, ftarget=1e-8, seed=seed,
                         vectorized=True, max_evals=60_000)
    assert res.success and res.fun < 1e-8, res.message
    assert res.status == 0 and res.fun == pytest.approx(sphere(res.x[None])[0])


@pytest.mark.parametrize("seed", range(3))
def test_rosenbrock_5d_reaches_1e_6_with_full_covariance(seed):
    res = ceopt.minimize(rosenbrock, x0_uniform(seed, 5), dist="full", ftarget=1e-6,
                         seed=seed, vectorized=True, max_evals=60_000)
    assert res.fun < 1e-6, res.message
    np.testing.assert_allclose(res.x, 1.0, atol=1e-2)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("dist, options, kind", [
    (None, dict(separable=False), ceopt.Gaussian),  # the default family in 10 dimensions
    (None, {}, ceopt.DiagGaussian),  # the ellipsoid is separable: the test finds it
    ("diag", {}, ceopt.DiagGaussian),
])
def test_ellipsoid_1e6_10d_reaches_1e_8(seed, dist, options, kind):
    res = ceopt.minimize(ellipsoid, x0_uniform(seed, 10), ftarget=1e-8, seed=seed, dist=dist,
                         vectorized=True, max_evals=60_000, **options)
    assert isinstance(res.dist, kind)
    assert res.fun < 1e-8, res.message


@pytest.mark.slow
def test_rastrigin_2d_finds_the_global_optimum_in_most_seeds():
    found = 0
    for seed in range(20):
        # With a budget the run restarts (IPOP) until it is spent or ftarget is reached.
        # Without the separability test, whose first point, the box centre, is Rastrigin's
        # optimum (tests/test_coordinate.py has the sweeps on a shifted Rastrigin).
        res = ceopt.minimize(rastrigin, bounds=[(-5.12, 5.12)] * 2, ftarget=1e-8, seed=seed,
                             vectorized=True, max_evals=20_000, separable=False)
        assert np.all(np.abs(res.x) <= 5.12)
        found += res.fun < 1e-8
    # Measured: 20 of 20, after a median 1647 evaluations; a drop below 18 would mean the
    # global search got worse.
    assert found >= 18, found


def test_textbook_ce_stalls_where_the_default_does_not():
    """The reason for the default: elite covariance about the elites' own mean shrinks too
    fast (docs/ce-method.md, "Why textbook CE stalls"). Pinned so that a change of default
    is deliberate."""
    kw = dict(x0=x0_uniform(0, 10), ftarget=1e-8, seed=0, vectorized=True, max_evals=60_000)
    textbook = ceopt.minimize(sphere, method="textbook", restarts=0, **kw)
    default = ceopt.minimize(sphere, **kw)
    assert default.fun < 1e-8
    assert textbook.fun > 1e-3 and textbook.dist.spread < 1e-10  # frozen far from the optimum


def test_onemax_100_bits_finds_all_ones():
    res = ceopt.maximize(lambda B: B.sum(axis=1), dist=Bernoulli(np.full(100, 0.5)),
                         vectorized=True, seed=0)
    assert res.fun == 100 and res.x.all()
    assert res.success and res.dist.mode.all()


def test_hidden_string_of_30_symbols_is_recovered_exactly():
    hidden = np.random.default_rng(7).integers(0, 10, 30)
    res = ceopt.maximize(lambda S: (S == hidden).sum(axis=1),
                         dist=Categorical(np.full((30, 10), 0.1)), vectorized=True, seed=0)
    assert res.fun == 30
    np.testing.assert_array_equal(res.x, hidden)
    np.testing.assert_array_equal(res.dist.mode, hidden)


def test_maximize_reports_the_maximum_and_minimize_agrees():
    kw = dict(x0=np.full(3, 2.0), seed=4, max_iter=30)
    up = ceopt.maximize(lambda x: -np.sum(x**2) + 5, **kw)
    down = ceopt.minimize(lambda x: np.sum(x**2) - 5, **kw)
    assert up.fun == pytest.approx(-down.fun)
    np.testing.assert_array_equal(up.x, down.x)
    assert np.all(np.diff(up.history["best"]) >= 0)
    assert np.all(np.diff(down.history["best"]) <= 0)
    for key in ("gamma", "best", "mean"):  # the history is in the user's sign
        np.testing.assert_allclose(up.history[key], -down.history[key])
    assert np.all(up.history["gamma"] <= up.history["best"])


def test_maximize_stops_at_its_ftarget_from_below():
    res = ceopt.maximize(lambda X: -(X**2).sum(axis=1), np.ones(3), vectorized=True,
                         ftarget=-1e-4, seed=0)
    assert res.success and res.status == 0 and -1e-4 <= res.fun <= 0
    assert res.history["best"][-2] < -1e-4  # it stopped on the first iteration past it

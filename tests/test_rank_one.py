"""The rank-one term (``rank_one=True``): the evolution path of the mean as one more weighted
pseudo-sample of a Gaussian's covariance fit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from resumes import assert_go_on_alike, assert_resumes_bit_identical

import ceopt
from ceopt.updates.covariance_path import CovariancePath, rank_one_rate
from ceopt.updates.path_control import PathControl


def sphere(X):
    return np.sum(X**2, axis=1)


def random_cov(rng, d):
    A = rng.normal(size=(d, d))
    return A @ A.T + 0.1 * np.eye(d)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31), st.integers(1, 6), st.floats(0.0, 1.0), st.floats(0.0, 1.0),
       st.floats(0.25, 4.0))
def test_smooth_mixes_the_pseudo_sample_at_the_expense_of_the_old_covariance(
        seed, d, b, share, scale):
    rng = np.random.default_rng(seed)
    old = ceopt.Gaussian(rng.normal(size=d), random_cov(rng, d))
    new = ceopt.Gaussian(rng.normal(size=d), random_cov(rng, d))
    q, c1 = rng.normal(size=d), share * (1 - b)
    mixed = old.smooth(new, 1.0, b, scale=scale, rank_one=(q, c1))
    expected = scale**2 * (b * new.cov + c1 * np.outer(q, q) + (1 - b - c1) * old.cov)
    np.testing.assert_allclose(mixed.cov, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(mixed.mean, new.mean)
    assert np.all(np.linalg.eigvalsh(mixed.cov) > 0)  # still a Gaussian (it was built)
    # The diagonal family takes the diagonal of the same mix.
    dold = ceopt.DiagGaussian(old.mean, old.std)
    dnew = ceopt.DiagGaussian(new.mean, new.std)
    dmixed = dold.smooth(dnew, 1.0, b, scale=scale, rank_one=(q, c1))
    np.testing.assert_allclose(dmixed.std**2, scale**2 * (
        b * new.std**2 + c1 * q**2 + (1 - b - c1) * old.std**2), rtol=1e-10)


def test_smooth_without_the_term_is_unchanged_and_a_zero_weight_adds_nothing():
    rng = np.random.default_rng(3)
    old = ceopt.Gaussian(np.zeros(3), random_cov(rng, 3))
    new = ceopt.Gaussian(np.ones(3), random_cov(rng, 3))
    plain = old.smooth(new, 1.0, 0.3, scale=1.5)
    zero = old.smooth(new, 1.0, 0.3, scale=1.5, rank_one=(np.ones(3), 0.0))
    np.testing.assert_allclose(plain.cov, zero.cov, rtol=1e-14)


@pytest.mark.parametrize("family", [ceopt.Gaussian, ceopt.DiagGaussian])
def test_a_bad_rank_one_term_is_refused(family):
    old = family(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match=r"\[0, 1 - alpha_cov\] = \[0, 0.7\]"):
        old.smooth(old, 1.0, 0.3, rank_one=(np.ones(3), 0.8))
    with pytest.raises(ValueError, match="shape \\(3,\\)"):
        old.smooth(old, 1.0, 0.3, rank_one=(np.ones(2), 0.1))
    with pytest.raises(ValueError, match="finite"):
        old.smooth(old, 1.0, 0.3, rank_one=(np.array([1.0, np.nan, 0.0]), 0.1))


# (that it needs a Gaussian and the previous-mean update: tests/test_active.py)


def test_the_weights_are_cma_es_and_leave_the_old_covariance_a_share():
    assert rank_one_rate(10, 3.0, diagonal=False) == pytest.approx(2 / (11.3**2 + 3))
    assert rank_one_rate(10, 3.0, diagonal=True) == pytest.approx(4 * 2 / (11.3**2 + 3))
    # A fit rate near one leaves the path only what the old covariance had.
    assert CovariancePath(2, 3.0, fit_rate=0.99, diagonal=False).weight == pytest.approx(0.01)
    assert CovariancePath(2, 3.0, fit_rate=1.0, diagonal=False).weight == 0.0


def test_the_path_stalls_while_the_scale_path_is_long():
    # CMA-ES's h_sigma: a scale path far longer than a random walk's keeps the move out.
    control = PathControl(4, 3.0)
    cov_path = CovariancePath(4, 3.0, fit_rate=0.2, diagonal=False)
    control.path = np.full(4, 10.0)
    q, _ = cov_path.term(np.ones(4), control)
    np.testing.assert_array_equal(q, 0.0)
    control.path = np.zeros(4)
    q, _ = cov_path.term(np.ones(4), control)
    c = cov_path.rate
    np.testing.assert_allclose(q, np.sqrt(c * (2 - c) * 3.0) * np.ones(4))


def test_the_path_stretches_the_covariance_along_a_constant_direction_of_progress():
    """On a linear slope along u, every move of the mean points along u: the path builds up
    along it, and the covariance learns the direction faster than from the elites alone.
    The share of the variance along u after 15 iterations, at a population of 8 in 10-d (the
    scale control off, so only the covariance's own learning differs)."""
    d = 10
    u = np.ones(d) / np.sqrt(d)
    share = {}
    for rank_one in (False, True):
        es = ceopt.CrossEntropy(ceopt.Gaussian(np.zeros(d), np.eye(d)), popsize=22,
                                scale_control=False, rank_one=rank_one, seed=4, restarts=0)
        for _ in range(15):
            X = es.ask()
            es.tell(X, -X @ u)
        cov = es.dist.cov
        share[rank_one] = float(u @ cov @ u / np.trace(cov))
    assert share[True] > 1.5 * share[False]


@pytest.mark.parametrize("control", ["success", "path"])
def test_a_run_with_the_rank_one_term_converges(control):
    # A full Gaussian down Rosenbrock's curved valley; a diagonal one on a separable
    # ellipsoid (condition 1e6), which is what it can learn.
    d = 6
    scales = 10 ** (3 * np.arange(d) / (d - 1))

    def rosenbrock(X):
        return np.sum(100 * (X[:, 1:] - X[:, :-1] ** 2) ** 2 + (1 - X[:, :-1]) ** 2, axis=1)

    def ellipsoid(X):
        return np.sum((scales * (X - 1)) ** 2, axis=1)

    for family, f in (("full", rosenbrock), ("diag", ellipsoid)):
        res = ceopt.minimize(f, np.zeros(d), sigma0=0.5, vectorized=True, dist=family,
                             rank_one=True, scale_control=control, seed=0, max_evals=20_000,
                             ftarget=1e-8)
        assert res.fun <= 1e-8, family


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**31), st.integers(1, 12))
def test_a_run_with_the_rank_one_term_pickles_and_resumes_bit_identical(seed, stop_after):
    es = ceopt.CrossEntropy(ceopt.Gaussian(np.ones(4), np.eye(4)), scale_control="path",
                            rank_one=True, seed=seed)
    assert_resumes_bit_identical(es, sphere, stop_after)


def test_the_rank_one_term_is_off_by_default_and_changes_a_run_when_on():
    runs = {}
    for rank_one in (None, False, True):
        res = ceopt.minimize(sphere, np.ones(5), vectorized=True, rank_one=rank_one,
                             max_evals=2000, seed=2)
        runs[rank_one] = (res.x, res.nfev)
    np.testing.assert_array_equal(runs[None][0], runs[False][0])
    assert not np.array_equal(runs[False][0], runs[True][0])


def test_a_saved_covariance_path_of_the_wrong_length_is_refused():
    cov_path = CovariancePath(3, 2.0, fit_rate=0.2, diagonal=False)
    with pytest.raises(ValueError, match="covariance path"):
        cov_path.load_state({"path": [0.0, 1.0], "iterations": 1})


# -- populations smaller than 2(d + 1) under method "adaptive" -------------------------------

def test_a_low_rank_fit_has_the_rank_of_its_samples():
    rng = np.random.default_rng(5)
    d, k = 8, 3
    dist = ceopt.Gaussian(np.zeros(d), np.eye(d))
    x, w = rng.normal(size=(k, d)), np.array([0.5, 0.3, 0.2])
    center = rng.normal(size=d)
    fitted = dist.fit(x, w, center=center, low_rank=True)
    dev = x - center
    np.testing.assert_allclose(fitted.cov, (dev * w[:, None]).T @ dev, atol=1e-8)
    eigenvalues = np.linalg.eigvalsh(fitted.cov)
    assert np.all(eigenvalues > 0) and np.sum(eigenvalues > 1e-6) == k
    with pytest.raises(ValueError, match="needs at least 9 samples"):
        dist.fit(x, w, center=center)
    with pytest.raises(ValueError, match="pass center="):
        dist.fit(x, w, low_rank=True)


def test_method_adaptive_takes_a_population_smaller_than_twice_the_dimension():
    # CMA-ES's 4 + 3 ln d = 10 samples in 10-d: 5 elites, a rank-5 fit mixed into the old
    # covariance; the other methods, and a fit taken whole, still need d + 1 elites.
    d = 10
    A = np.linalg.qr(np.random.default_rng(6).normal(size=(d, d)))[0]
    scales = 10 ** (2 * np.arange(d) / (d - 1))

    def rotated_ellipsoid(X):
        return np.sum((scales * ((X - 1) @ A.T)) ** 2, axis=1)

    res = ceopt.minimize(rotated_ellipsoid, np.zeros(d), vectorized=True, popsize=10,
                         rank_one=True, scale_control="path", seed=1, max_evals=30_000,
                         ftarget=1e-8)
    assert res.fun <= 1e-8
    with pytest.raises(ValueError, match="5 elites cannot fit a Gaussian in 10 dimensions, "
                                         "which needs 11"):
        ceopt.CrossEntropy(ceopt.Gaussian(np.zeros(d), np.eye(d)), method="adaptive",
                           popsize=10, smoothing_cov=1.0)
    with pytest.raises(ValueError, match="which needs 11"):
        ceopt.CrossEntropy(ceopt.Gaussian(np.zeros(d), np.eye(d)), method="ce", popsize=10,
                           elite_frac=0.5)


def test_a_checkpoint_from_before_the_rank_one_term_resumes_as_it_ran():
    # A 12-d run as the default made it before: 26 samples, the success rule, no rank-one
    # term. Its state without the new entries (as such a checkpoint was written) resumes to
    # the same samples, though the default from d = 10 now has the term.
    d = 12
    old = dict(popsize=2 * (d + 1), scale_control="success", rank_one=False)
    es = ceopt.CrossEntropy(ceopt.Gaussian(np.ones(d), np.eye(d)), seed=3, **old)
    for _ in range(4):
        X = es.ask()
        es.tell(X, sphere(X))
    state = es.state()
    del state["method"]["options"]["rank_one"]
    del state["search"]["update"]["cov_path"]
    assert_go_on_alike([es, ceopt.CrossEntropy.from_state(state)], sphere)


def test_from_d_10_a_full_covariance_learns_from_the_paths_by_default():
    # The presets by dimension (each one option away); a diagonal family and the noise
    # mode keep theirs.
    # From d = 40 on, active covariance too.
    for d, popsize, control, rank_one, active in ((9, 20, "success", False, False),
                                                  (10, 10, "path", True, False),
                                                  (39, 14, "path", True, False),
                                                  (40, 15, "path", True, True)):
        es = ceopt.CrossEntropy(ceopt.Gaussian(np.zeros(d), np.eye(d)))
        options = es.state()["method"]["options"]
        assert (es.popsize, options["scale_control"], options["rank_one"],
                options["active"]) == (popsize, control, rank_one, active)
    diag = ceopt.CrossEntropy(ceopt.DiagGaussian(np.zeros(40), 1.0)).state()["method"]
    assert (diag["options"]["scale_control"], diag["options"]["rank_one"],
            diag["options"]["active"]) == ("success", False, False)
    noisy = ceopt.CrossEntropy(ceopt.Gaussian(np.zeros(40), np.eye(40)), noise=True,
                               max_evals=40_000).state()["method"]["options"]
    assert (noisy["scale_control"], noisy["rank_one"], noisy["active"]) == (
        "path", True, False)
    assert not ceopt.CrossEntropy(ceopt.Gaussian(np.zeros(40), np.eye(40)), method="ce"
                                  ).state()["method"]["options"]["active"]
    pinned = ceopt.CrossEntropy(ceopt.Gaussian(np.zeros(20), np.eye(20)), popsize=42,
                                scale_control="success", rank_one=False)
    assert pinned.popsize == 42
    assert pinned.state()["method"]["options"]["scale_control"] == "success"

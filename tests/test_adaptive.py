"""Method "adaptive": the behaviour its benchmark gains rest on, each pinned."""

import math
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as hs
from problems import rastrigin, sphere

import ceopt
from ceopt import Bernoulli, CrossEntropy, DiagGaussian, Gaussian
from ceopt.handlers import Box
from ceopt.stopping import flat_window
from ceopt.updates import rank_weights
from ceopt.updates.previous_mean import Kept, kept_mean
from ceopt.updates.scale_control import REFERENCE_QUANTILE, SUCCESS_SMOOTHING


@given(mu=hs.integers(1, 2000))
def test_rank_weights_are_positive_decreasing_and_sum_to_one(mu):
    w = rank_weights(mu)
    assert w.shape == (mu,) and np.all(w > 0)
    assert np.all(np.diff(w) < 0)
    assert math.isclose(w.sum(), 1.0, rel_tol=1e-12)


def test_the_update_is_a_rank_weighted_fit_about_the_previous_mean_then_scaled():
    """Written out by hand for three iterations of a diagonal Gaussian in 4 dimensions: the
    covariance fitted to the new elites about the previous mean, the mean to the elites of
    the new population plus the previous population's best sample, then the scale."""
    d, rng = 4, np.random.default_rng(5)
    dist = DiagGaussian(np.zeros(d), 1.0)
    es = CrossEntropy(dist, popsize=12, seed=0)
    assert es.method == "adaptive" and es.n_elite == 6 and es.update_rule.smoothing == 1.0
    assert es.update_rule.keep_best and es.convergence.tol_fun == 1e-11
    w = rank_weights(6)
    mu_eff = 1 / np.sum(w**2)
    rate = min(1.0, 4 * mu_eff / (d + 2) ** 2 * (d + 2) / 3)
    assert es.update_rule.smoothing_cov == pytest.approx(rate)

    def f(X):
        return sphere(X - 3)  # the optimum off to one side

    expected, previous, kept, kept_entered, s = dist, None, None, 0, 0.0
    for _ in range(3):
        X = rng.normal(size=(12, d))  # tell accepts any population
        losses = f(X)
        elites = X[np.argsort(losses)[:6]]
        fitted = expected.fit(elites, w, center=expected.mean)
        mean = fitted.mean
        if kept is not None:  # the kept sample competes; a tie goes to the new sample
            pool, pool_losses = np.vstack([X, kept[0]]), np.append(losses, kept[1])
            chosen = np.argsort(pool_losses, kind="stable")[:6]
            kept_entered += 12 in chosen
            mean = w @ pool[chosen]
        expected = expected.smooth(DiagGaussian(mean, fitted.std), 1.0, rate)
        if previous is not None:  # the first population has nothing to compare with
            reference = np.sort(previous)[math.ceil(REFERENCE_QUANTILE * 12) - 1]
            p = np.mean(losses < reference)
            s += SUCCESS_SMOOTHING * ((2 * p - 1) - s)
            expected = DiagGaussian(expected.mean, math.exp(s / (2 - 2 / d)) * expected.std)
        es.tell(X, losses)
        previous, kept = losses, (X[np.argmin(losses)], losses.min())
        np.testing.assert_allclose(es.dist.mean, expected.mean, rtol=1e-12)
        np.testing.assert_allclose(es.dist.std, expected.std, rtol=1e-12)
    assert kept_entered == 2  # the kept sample was an elite of both later means


@pytest.mark.parametrize("family", [DiagGaussian, Gaussian])
@pytest.mark.parametrize("sigma0", [1e-4, 30.0])
def test_the_spread_follows_the_distance_while_the_threshold_improves(family, sigma0):
    """From a spread 10^4 times too small or 10 times too large, the spread adapts to the
    distance to the optimum and then shrinks with it: no collapse before arrival, no stall."""
    d = 8
    es = CrossEntropy(family(np.full(d, 3.0), sigma0**2 if family is Gaussian else sigma0),
                      seed=1, ftarget=1e-10, max_evals=50_000, separable=False)
    ratios = []
    while not es.stop():
        X = es.ask()
        es.tell(X, sphere(X))
        ratios.append(es.dist.spread / np.linalg.norm(es.dist.mean))
    assert es.best_f <= 1e-10 and es.nrestarts == 0
    settled = np.array(ratios[len(ratios) // 4:])  # after the first quarter of the run
    # Measured: between 0.03 and 3.2 over the four runs.
    assert 0.01 < settled.min() and settled.max() < 10, (settled.min(), settled.max())


def test_textbook_ce_collapses_where_adaptive_does_not():
    """The contrast the tests above rule out: the plain elite MLE shrinks the spread
    (relative to the distance left) until the run freezes far from the optimum."""
    kw = dict(x0=np.full(8, 3.0), sigma0=1.0, vectorized=True, seed=1, max_evals=50_000,
              restarts=0)
    textbook = ceopt.minimize(sphere, method="textbook", **kw)
    adaptive = ceopt.minimize(sphere, ftarget=1e-10, **kw)
    assert textbook.fun > 1e-2
    assert textbook.dist.spread / np.linalg.norm(textbook.dist.mean) < 1e-6
    assert adaptive.success and adaptive.fun <= 1e-10


def test_on_a_slope_the_spread_grows_geometrically():
    es = CrossEntropy(Gaussian(np.zeros(5), 1e-6), seed=2, max_iter=40)
    spreads = []
    while not es.stop():
        X = es.ask()
        es.tell(X, X[:, 0])  # a linear function: progress never ends
        spreads.append(es.dist.spread)
    assert spreads[-1] > 1e3 * spreads[0]
    assert es.best_f < -1.0  # and the mean travelled with it


def run_until_restart(es, f, restarts=1):
    while es.nrestarts < restarts:
        assert not es.stop()
        X = es.ask()
        es.tell(X, f(X))


def test_a_restart_doubles_the_population_and_keeps_the_best():
    box = [(-5.12, 5.12)] * 2
    start = DiagGaussian(np.zeros(2), 3.0)
    es = CrossEntropy(start, bounds=box, seed=3, max_evals=100_000, separable=False)
    assert es.restarts > 100  # a budget was given: restarts until it is spent
    popsize, n_elite = es.popsize, es.n_elite
    best, restarted_at = [], None
    while es.nrestarts < 2:
        X = es.ask()
        if es.nrestarts == 1 and restarted_at is None:  # this ask restarted the run
            restarted_at = es.dist
        es.tell(X, rastrigin(X))
        best.append(es.best_f)
    assert (es.popsize, es.n_elite) == (4 * popsize, 4 * n_elite)
    assert np.all(np.diff(best) <= 0)  # the best so far survives every restart
    np.testing.assert_array_equal(restarted_at.std, start.std)  # the initial spread again
    assert np.all(np.abs(restarted_at.mean) <= 5.12) and np.any(restarted_at.mean != 0)
    assert es.result().nrestarts == 2 and es.ask().shape == (4 * popsize, 2)


def test_restarts_follow_the_budget_but_not_for_the_gaussian_baselines():
    def restarts(**kw):
        return CrossEntropy(kw.pop("dist", DiagGaussian(np.zeros(2), 1.0)), **kw).restarts

    assert restarts() == 0 and restarts(max_evals=1000) > 10**6
    assert restarts(max_evals=1000, restarts=3) == 3
    for plain in (dict(method="ce"), dict(method="textbook")):
        assert restarts(max_evals=1000, **plain) == 0  # the Gaussian baselines stay plain
    # Other families restart within a budget (tests/test_schedules.py runs them).
    assert restarts(max_evals=1000, dist=Bernoulli(np.full(4, 0.5))) > 10**6
    assert restarts(dist=Bernoulli(np.full(4, 0.5))) == 0


def converge(es, f=sphere):
    while not es.stop():
        X = es.ask()
        es.tell(X, f(X))
    return es.result()


def test_a_restart_that_does_not_fit_the_budget_is_not_made():
    kw = dict(tol_spread=1e-3, seed=0, separable=False)
    alone = converge(CrossEntropy(DiagGaussian(np.ones(2), 1.0), **kw))
    assert alone.status == 1
    # One more population fits, a doubled one does not: the run stops converged, as alone.
    es = CrossEntropy(DiagGaussian(np.ones(2), 1.0), max_evals=alone.nfev + 6, **kw)
    res = converge(es)
    assert es.popsize == 6 and res.status == 1 and res.success
    assert (res.nfev, res.nrestarts) == (alone.nfev, 0)


def test_a_run_that_stops_on_max_iter_keeps_its_converged_distribution():
    kw = dict(tol_spread=1e-3, seed=0, separable=False)
    alone = converge(CrossEntropy(DiagGaussian(np.ones(2), 1.0), **kw))
    res = converge(CrossEntropy(DiagGaussian(np.ones(2), 1.0), restarts=5,
                                max_iter=alone.nit, **kw))
    assert res.status == 4 and res.nrestarts == 0  # no restart was made for nothing
    np.testing.assert_array_equal(res.dist.std, alone.dist.std)


def test_a_budget_spent_on_restarts_is_a_success():
    res = ceopt.minimize(sphere, np.ones(2), vectorized=True, seed=0, max_evals=3000)
    assert res.status == 3 and res.nrestarts >= 2 and res.success
    assert f"after {res.nrestarts} restarts" in res.message and res.fun < 1e-12
    first = ceopt.minimize(sphere, np.ones(2), vectorized=True, seed=0, max_evals=24)
    assert first.status == 3 and first.nrestarts == 0 and not first.success


@pytest.mark.slow
def test_resume_with_a_larger_budget_goes_on_restarting(tmp_path):
    # (Without the local start, which a small budget would take and 5000 would not.)
    kw = dict(x0=np.ones(2), vectorized=True, seed=0, tol_spread=1e-3, separable=False,
              local_start=False)
    alone = ceopt.minimize(sphere, **kw)
    path = tmp_path / "run.ckpt"
    # The doubled population does not fit: the run stops converged ...
    stopped = ceopt.minimize(sphere, max_evals=alone.nfev + 6, checkpoint=path, **kw)
    assert stopped.status == 1 and stopped.nrestarts == 0
    # ... and a larger budget lets it restart, as a fresh run with that budget does.
    more = ceopt.resume(path, sphere, max_evals=5000)
    fresh = ceopt.minimize(sphere, max_evals=5000, **kw)
    assert more.nrestarts == fresh.nrestarts > 0 and more.nfev == fresh.nfev
    np.testing.assert_array_equal(more.x, fresh.x)
    # A run started without a budget restarts once resumed with one.
    path2 = tmp_path / "run2.ckpt"
    ceopt.minimize(sphere, checkpoint=path2, **kw)
    assert ceopt.resume(path2, sphere, max_evals=5000).nrestarts > 0


def test_a_pickled_run_continues_identically_across_a_restart():
    es = CrossEntropy(Gaussian(np.zeros(3), 4.0), bounds=[(-5, 5)] * 3, seed=4,
                      max_evals=10**6, patience=5)
    run_until_restart(es, rastrigin)
    copy = pickle.loads(pickle.dumps(es))
    for solver in (es, copy):
        run_until_restart(solver, rastrigin, restarts=3)
    np.testing.assert_array_equal(es.best_x, copy.best_x)
    np.testing.assert_array_equal(es.dist.cov, copy.dist.cov)
    assert es.nfev == copy.nfev and es.popsize == copy.popsize


def test_the_default_distribution_is_full_up_to_100_dimensions():
    for d, kind in ((100, Gaussian), (101, DiagGaussian)):
        res = ceopt.minimize(sphere, np.ones(d), vectorized=True, max_iter=1, seed=0)
        assert type(res.dist) is kind
    for method in ("ce", "textbook"):  # the diagonal Gaussian they were measured with
        res = ceopt.minimize(sphere, np.ones(10), vectorized=True, max_iter=1, method=method)
        assert type(res.dist) is DiagGaussian


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(dist=Bernoulli(np.full(3, 0.5)), method="adaptive"), ValueError, "takes method 'ce'"),
    (dict(dist=Bernoulli(np.full(3, 0.5)), scale_control=True), ValueError, "Gaussian"),
    (dict(weights="linear"), ValueError, "weights"),
    (dict(scale_control="yes"), ValueError, "'path'"),
    (dict(scale_control=1), TypeError, "scale_control"),
    (dict(restarts=-1), ValueError, "restarts"),
    (dict(restarts=1.5), ValueError, "restarts"),
    (dict(dist=Bernoulli(np.full(3, 0.5)), rank_one=True), ValueError, "Gaussians only"),
    (dict(keep_best=1), TypeError, "keep_best"),
    (dict(keep_best=True, method="textbook"), ValueError, "not of 'textbook'"),
    (dict(tol_fun=-1e-9), ValueError, "tol_fun"),
    (dict(tol_fun=float("nan")), ValueError, "tol_fun"),
])
def test_bad_adaptive_options_are_named(kwargs, error, match):
    kwargs.setdefault("dist", DiagGaussian(np.zeros(3), 1.0))
    with pytest.raises(error, match=match):
        CrossEntropy(**kwargs)


def test_discrete_families_default_to_method_ce():
    es = CrossEntropy(Bernoulli(np.full(3, 0.5)))
    assert es.method == "ce" and es.update_rule.weights == "equal" and es.popsize == 50
    assert not es.update_rule.keep_best and es.convergence.tol_fun == 0


def told_three_times(keep_best, family=DiagGaussian, weights="rank"):
    """Three populations told by hand: the first has a far better sample than any later one,
    the second is better than the third throughout."""
    rng = np.random.default_rng(7)
    es = CrossEntropy(family(np.zeros(3), 1.0), popsize=8, seed=0, keep_best=keep_best,
                      weights=weights)
    pops = [rng.normal(size=(8, 3)) for _ in range(3)]
    losses = [np.r_[-100.0, np.arange(7.0)], np.arange(8.0), 100 + np.arange(8.0)]
    means = []
    for X, v in zip(pops, losses, strict=True):
        es.tell(X, v)
        means.append(es.dist.mean)
    return pops, means


@pytest.mark.parametrize("family", [DiagGaussian, Gaussian])
@pytest.mark.parametrize("weights", ["rank", "equal"])
def test_the_best_sample_is_kept_for_one_iteration_in_the_mean_only(family, weights):
    w = rank_weights(4) if weights == "rank" else np.full(4, 0.25)
    pops, means = told_three_times(True, family, weights)
    # Second mean: the first population's best (-100) ranks first among the new elites.
    np.testing.assert_allclose(means[1], w @ np.vstack([pops[0][0], pops[1][:3]]), rtol=1e-12)
    # Third mean: the second population's best (0) is kept, and the first one's is gone,
    # although it is still the best value told.
    np.testing.assert_allclose(means[2], w @ np.vstack([pops[1][0], pops[2][:3]]), rtol=1e-12)
    # Without keep_best each mean is the new elites' alone.
    _, plain = told_three_times(False, family, weights)
    for X, mean in zip(pops[1:], plain[1:], strict=True):
        np.testing.assert_allclose(mean, w @ X[:4], rtol=1e-12)


@given(hs.lists(hs.integers(0, 9), min_size=1, max_size=8), hs.integers(0, 10),
       hs.booleans())
def test_the_kept_mean_is_the_weighted_mean_of_the_merged_elites(ranks, kept_rank, equal):
    """The kept sample goes in after the new elites it does not beat (ties included), the
    last one drops out, and the weights follow the new order; no place: no kept mean."""
    chosen_rank = np.sort(np.array(ranks, dtype=float))
    mu = chosen_rank.size
    chosen = np.random.default_rng(mu).normal(size=(mu, 3))
    kept_x = np.full(3, 100.0)
    weights = None if equal else rank_weights(mu)
    got = kept_mean(chosen, chosen_rank, Kept(kept_x, float(kept_rank)), weights)
    place = int(np.count_nonzero(chosen_rank <= kept_rank))
    if place == mu:
        assert got is None
        return
    merged = np.vstack([chosen[:place], kept_x, chosen[place:]])[:mu]
    w = np.full(mu, 1 / mu) if equal else rank_weights(mu)
    np.testing.assert_allclose(got, w @ merged, rtol=1e-12)


def test_a_flat_population_keeps_no_sample():
    rng = np.random.default_rng(3)
    es = CrossEntropy(DiagGaussian(np.zeros(2), 1.0), popsize=6, seed=0)
    es.tell(rng.normal(size=(6, 2)), np.arange(6.0))
    es.tell(rng.normal(size=(6, 2)), np.full(6, 7.0))  # flat: no update, and no best to keep
    X = rng.normal(size=(6, 2))
    es.tell(X, 10 + np.arange(6.0))  # worse than the first population's best (0)
    np.testing.assert_allclose(es.dist.mean, rank_weights(3) @ X[:3], rtol=1e-12)


def test_the_kept_sample_is_ranked_with_the_bounds_penalty_and_fitted_as_drawn():
    start, box = DiagGaussian(np.full(2, 0.9), 0.5), Box.parse([(0, 1)] * 2, 2)
    es = CrossEntropy(start, popsize=8, seed=4, bounds=[(0, 1)] * 2)
    drawn = start.sample(8, np.random.default_rng(4))  # what ask draws first, same seed
    X = es.ask()
    np.testing.assert_array_equal(X, box.project(drawn))
    values = -X.sum(axis=1)  # best at the corner (1, 1), which outside samples project onto
    penalty = box.penalty(drawn, X, values)
    kept = np.argmin(values + penalty)
    assert kept != np.argmin(values) and penalty[kept] > 0  # the penalty counts, twice:
    es.tell(X, values)
    # New values between the kept sample's value and its value plus penalty: ranked with its
    # penalty, it comes after them and stays out of the mean; by its value alone it would lead.
    low, high = values[kept], values[kept] + penalty[kept]
    Y = np.random.default_rng(5).uniform(size=(8, 2))
    es.tell(Y, np.r_[np.linspace(low, high, 6)[1:5], high + 1 + np.arange(4.0)])
    np.testing.assert_allclose(es.dist.mean, rank_weights(4) @ Y[:4], rtol=1e-12)


def tiny_sphere(X):
    return 1e-12 * sphere(X)  # every difference below the default tol_fun


def test_flat_values_end_a_local_search():
    """tol_fun stops a run whose values no longer differ, after flat_window iterations,
    though the spread (and the threshold) would still shrink; 0 turns it off."""
    kw = dict(x0=np.ones(2), sigma0=0.5, vectorized=True, seed=0, max_iter=2000)
    flat = ceopt.minimize(tiny_sphere, **kw)
    assert flat.status == 7 and "tol_fun" in flat.message and flat.success
    assert flat.nit == flat_window(2, 6) == 20  # popsize 6 in 2 dimensions
    off = ceopt.minimize(tiny_sphere, tol_fun=0, **kw)
    assert off.status == 1 and off.nit > 3 * flat.nit  # collapsed, 84 iterations
    assert np.linalg.norm(off.x) < 1e-3 * np.linalg.norm(flat.x)


def test_flat_values_restart_the_run_and_the_restart_forgets_them():
    """Each restart follows flat_window iterations of flat values, counted afresh (the
    recent best values and the kept sample are cleared at a restart)."""
    es = CrossEntropy(Gaussian(np.ones(2), 1.0), seed=0, max_evals=5000, bounds=[(-5, 5)] * 2,
                      separable=False)

    def f(X):
        return 1e-14 * sphere(X)  # flat from the start

    restarted_at = []
    while es.nrestarts < 3:
        X = es.ask()
        if len(restarted_at) < es.nrestarts:  # this ask restarted the run
            restarted_at.append(es.nit)
        if restarted_at == [es.nit]:
            # The first population after the first restart: the kept sample of the converged
            # run (far better than anything told here) plays no part in the new mean.
            Y = np.random.default_rng(es.nit).uniform(-5, 5, size=X.shape)
            es.tell(Y, 1.0 + np.arange(len(Y)))
            np.testing.assert_allclose(es.dist.mean, rank_weights(es.n_elite) @ Y[:es.n_elite],
                                       rtol=1e-12)
            continue
        es.tell(X, f(X))
    # flat_window(2, 6) = 20; then the hand-told population's best (1.0) spoils the recent
    # best values for flat_window(2, 12) = 15 iterations after it; then 13 flat iterations.
    assert restarted_at == [20, 20 + 1 + 15, 36 + 13]
    assert [flat_window(2, p) for p in (6, 12, 24)] == [20, 15, 13]


@pytest.mark.parametrize("flat_part", ["population", "recent best"])
def test_both_ranges_must_be_flat(flat_part):
    """Values equal within each population but falling (the recent best still improve), or a
    constant best with a spread-out population: neither is flat."""
    es = CrossEntropy(DiagGaussian(np.zeros(2), 1.0), popsize=6, seed=0)
    rng = np.random.default_rng(0)
    for t in range(3 * flat_window(2, 6)):
        if flat_part == "population":
            v = np.full(6, 1.0 - 1e-3 * t)
            v[-1] += 1e-12  # not quite flat for the update, within tol_fun for the range
        else:
            v = np.r_[0.0, 10.0 - 1e-2 * t + np.arange(5.0)]  # the threshold still improves
        es.tell(rng.normal(size=(6, 2)), v)
        assert es.stop() is None, (t, es.stop())

"""The separability test and coordinate sweeps of method "adaptive" (ceopt.schedules)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from problems import rastrigin, sphere

import ceopt
from ceopt import CrossEntropy, DiagGaussian, Gaussian
from ceopt.handlers import Box
from ceopt.schedules.coordinate import SWEEP_SAMPLES, CoordinateSweep, budget_needed
from ceopt.schedules.separable import additive, probe

SHIFT = np.array([1.3, -2.2, 0.7, 2.9, -0.4])
BOX5 = [(-5, 5)] * 5


def shifted_rastrigin(X):
    """Separable, with 10^5 local minima in the box and the optimum off the centre."""
    return rastrigin(X - SHIFT)


def coupled(X):
    """Not separable: a sphere with an x0 * x1 term."""
    return sphere(X) + X[:, 0] * X[:, 1]


def rotated_ellipsoid(X):
    rotation = np.linalg.qr(np.random.default_rng(0).standard_normal((X.shape[1],) * 2))[0]
    return ((X @ rotation.T) ** 2 * 10.0 ** np.arange(X.shape[1])).sum(axis=1)


# -- the test ----------------------------------------------------------------------------------
@settings(deadline=None, max_examples=50)
@given(hs.integers(1, 8), hs.integers(0, 2**32 - 1))
def test_the_probe_moves_one_coordinate_per_row_then_all_inside_the_box(d, seed):
    rng = np.random.default_rng(seed)
    box = Box(np.full(d, -1.0), np.full(d, 2.0))
    x0 = rng.uniform(-1, 2, d)
    P = probe(x0, rng.uniform(0.1, 5, d), box)
    assert P.shape == (d + 2, d) and np.all(box.contains(P))
    np.testing.assert_array_equal(P[0], x0)
    moved = P[-1]
    assert np.all(moved != x0)  # every coordinate moves (the other way near the top face)
    for j in range(d):
        expected = x0.copy()
        expected[j] = moved[j]
        np.testing.assert_array_equal(P[j + 1], expected)


@settings(deadline=None, max_examples=50)
@given(hs.integers(2, 8), hs.integers(0, 2**32 - 1), hs.floats(1e-3, 1e6))
def test_separable_values_add_up_and_coupled_ones_do_not(d, seed, scale):
    rng = np.random.default_rng(seed)
    P = probe(rng.uniform(-3, 3, d), rng.uniform(0.1, 2, d), None)
    # Sums of different 1-D functions, at any scale and offset, add up ...
    separable = scale * (np.abs(P[:, 0]) + np.sin(P).sum(axis=1) + (P[:, 1:] ** 4).sum(axis=1))
    assert additive(separable + 1e3 * scale)
    P5 = probe(rng.uniform(-3, 3, 5), rng.uniform(0.1, 2, 5), None)
    assert additive(scale * shifted_rastrigin(P5))
    # ... and a coupling term or a rotation breaks the sum.
    assert not additive(scale * coupled(P))
    assert not additive(scale * rotated_ellipsoid(P))


def test_couplings_do_not_cancel_at_the_probes_points():
    """Equal steps along (1, 1) and (1, -1) would hide these couplings: the steps differ."""
    def blocks(X):
        return (1e4 * (X[:, 0] + X[:, 1]) ** 2 + (X[:, 0] - X[:, 1]) ** 2
                + 1e4 * (X[:, 2] - X[:, 3]) ** 2 + (X[:, 2] + X[:, 3]) ** 2)
    assert not additive(blocks(probe(np.full(4, 2.0), np.ones(4), None)))


def test_a_probe_from_a_face_steps_into_the_box():
    box = Box(np.zeros(3), np.ones(3))
    P = probe(np.array([0.0, 1.0, 0.5]), np.full(3, 3.0), box)  # steps wider than the box
    assert np.all(P[-1] != P[0]) and np.all(box.contains(P))


def test_a_plateau_or_a_failure_is_not_separable():
    assert not additive(np.full(5, 3.0))  # adds up, trivially: no step changed the value
    assert not additive(np.array([1.0, 2.0, np.nan, 2.0]))
    assert not additive(np.array([1.0, 2.0, np.inf, 2.0]))


# -- a sweep -----------------------------------------------------------------------------------
def test_a_sweep_batch_varies_one_coordinate_per_row_inside_the_box():
    box = Box(np.full(3, -1.0), np.full(3, 1.0))
    point = np.array([0.5, -0.5, 0.9])
    sweep = CoordinateSweep(point, np.inf, np.full(3, 0.5), box)
    X = sweep.ask(np.random.default_rng(0))
    assert X.shape == (3 * SWEEP_SAMPLES, 3) == (sweep.batch_size, 3)
    assert np.all(box.contains(X))
    for j in range(3):
        rows = X[j * SWEEP_SAMPLES:(j + 1) * SWEEP_SAMPLES]
        others = np.delete(rows, j, axis=1)
        np.testing.assert_array_equal(others, np.broadcast_to(np.delete(point, j), others.shape))
        assert np.unique(rows[:, j]).size > SWEEP_SAMPLES // 2  # spread over the coordinate


def test_the_sweep_point_takes_each_coordinates_gain_as_predicted():
    rng = np.random.default_rng(1)
    point = SHIFT + np.array([2.0, -1.0, 1.0, -2.0, 1.0])  # a wrong basin in every coordinate
    sweep = CoordinateSweep(point, float(shifted_rastrigin(point[None])[0]), np.full(5, 3.0),
                            Box.parse(BOX5, 5))
    losses, checked = [sweep.loss], 0
    while not sweep.done:
        X = sweep.ask(rng)
        values = shifted_rastrigin(X)
        predicted = sweep.loss
        sweep.tell(X, values)
        if X.shape[0] > 5 * SWEEP_SAMPLES:  # the last row: the point with several gains
            np.testing.assert_array_equal(X[-1], point)
            assert values[-1] == pytest.approx(predicted, rel=1e-12, abs=1e-12)
            checked += 1
        point = sweep.point
        losses.append(sweep.loss)
    assert checked >= 2 and not sweep.coupled and np.all(np.diff(losses) <= 0)
    # Every coordinate found the global basin: the rest is the local search's polish.
    assert np.all(np.abs(sweep.point - SHIFT) < 0.5), sweep.point - SHIFT


@pytest.mark.slow
def test_a_sweep_that_moves_coupled_coordinates_sees_it():
    """A coupling the test cannot see (a penalty inactive about x0) shows when the point's
    value misses its prediction, and the run goes on as for a non-separable objective."""
    def penalised(X):
        return ((X - 2) ** 2).sum(axis=1) + 1e4 * np.maximum(0, X.sum(axis=1) - 1) ** 2
    kw = dict(x0=np.zeros(4), sigma0=0.1, vectorized=True, max_evals=20_000, seed=0)
    assert additive(penalised(probe(np.zeros(4), np.full(4, 0.1), None)))  # fooled
    res = ceopt.minimize(penalised, **kw)
    swept = np.flatnonzero(np.isnan(res.history["gamma"]))
    assert 2 <= swept.size <= 10 and np.all(swept == np.arange(swept.size))  # test + sweep
    assert isinstance(res.dist, Gaussian)  # the full covariance is back
    plain = ceopt.minimize(penalised, separable=False, **kw)
    assert res.fun == pytest.approx(plain.fun, rel=1e-9)  # 12.25, the constrained optimum


def test_a_sweep_never_chooses_nan():
    sweep = CoordinateSweep(np.zeros(2), 10.0, np.ones(2), None)
    X = sweep.ask(np.random.default_rng(0))
    values = sphere(X)
    values[X[:, 0] > 0] = np.nan  # the better half of coordinate 0 fails
    sweep.tell(X, values)
    assert sweep.mean[0] <= 0 and sweep.point[0] <= 0


# -- in the CE loop ----------------------------------------------------------------------------
@pytest.mark.slow
def test_sweeps_solve_separable_rastrigin_where_the_gaussian_alone_does_not():
    """The gain they bring (BBOB f3/f4 in benchmarks/results/bbob.md): measured, 10 of 10
    seeds reach 1e-8 in 5000 evaluations with sweeps and none without."""
    def solved(**kw):
        return sum(ceopt.minimize(shifted_rastrigin, bounds=BOX5, vectorized=True,
                                  max_evals=5000, seed=seed, **kw).fun < 1e-8
                   for seed in range(10))
    assert solved() >= 8 and solved(separable=False) <= 1


@pytest.mark.parametrize("f", [coupled, rotated_ellipsoid])
def test_a_non_separable_objective_costs_the_test_only(f):
    """d + 2 evaluations, then the run without sweeps, drawn from the same random stream."""
    kw = dict(x0=np.ones(4), vectorized=True, seed=3, restarts=2, max_iter=60)
    tested = ceopt.minimize(f, **kw)
    plain = ceopt.minimize(f, separable=False, **kw)
    assert tested.history["nfev"][0] == 6 and np.isnan(tested.history["gamma"][0])
    np.testing.assert_array_equal(tested.history["nfev"][1:] - 6, plain.history["nfev"][:-1])
    np.testing.assert_array_equal(tested.history["gamma"][1:], plain.history["gamma"][:-1])


def test_a_restart_on_a_separable_objective_is_a_sweep_from_the_best_point():
    es = CrossEntropy(Gaussian(np.zeros(5), 9.0), bounds=BOX5, seed=0, max_evals=20_000)
    sweeps_started = []
    while es.nrestarts < 2:
        before = es.nrestarts
        X = es.ask()
        if es.nrestarts > before:  # this ask restarted the run: a sweep about the best point
            assert X.shape == (5 * SWEEP_SAMPLES, 5)
            sweeps_started.append(es.nfev)
        es.tell(X, shifted_rastrigin(X))
    # No doubling under sweeps: the population stays the diagonal Gaussian's (next test).
    assert es.popsize == 8 and len(sweeps_started) == 2


@pytest.mark.parametrize("sizes, popsize, n_elite", [
    ({}, 8, 4),  # the diagonal family's defaults at d = 5 (a full one's are 12 and 6)
    (dict(popsize=20), 20, 10),
    (dict(popsize=20, elite_frac=0.3), 20, 6),
])
def test_a_separable_objective_is_searched_with_a_diagonal_gaussian(sizes, popsize, n_elite):
    """No correlations to learn: the local searches after the test use a diagonal Gaussian,
    with its default population unless the user chose one."""
    es = CrossEntropy(Gaussian(np.zeros(5), 9.0), bounds=BOX5, seed=0, max_evals=20_000,
                      **sizes)
    while es.nrestarts < 1:
        X = es.ask()
        es.tell(X, shifted_rastrigin(X))
    assert isinstance(es.dist, DiagGaussian) and (es.popsize, es.n_elite) == (popsize, n_elite)
    rotated = CrossEntropy(Gaussian(np.zeros(5), 9.0), bounds=BOX5, seed=0, max_evals=20_000)
    X = rotated.ask()
    rotated.tell(X, rotated_ellipsoid(X))
    assert isinstance(rotated.dist, Gaussian) and rotated.popsize == 12


def test_separable_true_skips_the_test_and_false_never_sweeps():
    swept = CrossEntropy(DiagGaussian(np.zeros(3), 1.0), seed=0, separable=True)
    X = swept.ask()  # the samples and x0 itself, whose value the sweep does not know yet
    assert X.shape == (3 * SWEEP_SAMPLES + 1, 3) and np.all(X[-1] == 0)
    never = CrossEntropy(DiagGaussian(np.zeros(3), 1.0), seed=0, max_evals=10_000,
                         separable=False)
    assert never.ask().shape == (never.popsize, 3)
    # Without a budget there are no restarts, and the test is not worth its evaluations.
    untested = CrossEntropy(DiagGaussian(np.zeros(3), 1.0), seed=0)
    assert untested.ask().shape == (untested.popsize, 3)


def test_no_test_without_the_budget_for_the_sweeps_after_it():
    kw = dict(bounds=BOX5, vectorized=True, seed=0)
    need = 7 + budget_needed(5)  # the test, and ten iterations of a sweep
    small = ceopt.minimize(shifted_rastrigin, max_evals=need - 1, **kw)
    assert small.history["nfev"][0] == 12 and not np.isnan(small.history["gamma"]).any()
    enough = ceopt.minimize(shifted_rastrigin, max_evals=need, **kw)
    assert list(enough.history["nfev"][:2]) == [7, 7 + 5 * SWEEP_SAMPLES]


def test_a_sweep_the_budget_cuts_short_leaves_the_rest_to_the_polish():
    res = ceopt.minimize(shifted_rastrigin, bounds=BOX5, vectorized=True, seed=0,
                         max_evals=7 + budget_needed(5))
    gamma = res.history["gamma"]
    assert np.isnan(gamma[:3]).all() and not np.isnan(gamma[-1])  # ends in a local search
    assert res.nfev > res.history["nfev"][np.flatnonzero(np.isnan(gamma))[-1]]


@pytest.mark.slow
def test_a_coordinate_that_changes_nothing_does_not_hold_the_sweep():
    def four_of_five(X):
        return shifted_rastrigin(np.column_stack([X[:, :4], np.zeros(len(X))]))
    res = ceopt.minimize(four_of_five, bounds=BOX5, vectorized=True, seed=0, max_evals=20_000)
    first_sweep = np.flatnonzero(~np.isnan(res.history["gamma"]))[0] - 1  # after the test
    assert first_sweep <= 15  # not SWEEP_MAX_ITER (50): the fifth coordinate counts as done


def test_a_users_population_survives_the_switch_to_a_diagonal_gaussian():
    es = CrossEntropy(Gaussian(np.ones(5), 1.0), n_elite=10, max_evals=10_000, seed=0)
    X = es.ask()
    es.tell(X, sphere(X))
    assert isinstance(es.dist, DiagGaussian) and (es.popsize, es.n_elite) == (12, 10)


def test_a_sweep_takes_exactly_the_population_asked():
    es = CrossEntropy(DiagGaussian(np.zeros(3), 1.0), seed=0, max_evals=10_000)
    X = es.ask()  # the separability test
    with pytest.raises(ValueError, match="exactly the population ask returned"):
        es.tell(X[:-1], sphere(X[:-1]))
    X[0, 0] += 1.0  # the caller changed what it was given
    with pytest.raises(ValueError, match="exactly the population ask returned"):
        es.tell(X, sphere(X))
    # A population of one's own while the test is due: ask first, or no test.
    fresh = CrossEntropy(DiagGaussian(np.zeros(3), 1.0), seed=0, max_evals=10_000)
    with pytest.raises(ValueError, match="call ask first; pass separable=False"):
        fresh.tell(np.ones((8, 3)), np.arange(8.0))
    untested = CrossEntropy(DiagGaussian(np.zeros(3), 1.0), seed=0, max_evals=10_000,
                            separable=False)
    untested.tell(np.ones((8, 3)), np.arange(8.0))
    assert untested.nit == 1


def test_maximising_sweeps_as_minimising_the_negative():
    kw = dict(bounds=BOX5, vectorized=True, max_evals=3000, seed=2)
    low = ceopt.minimize(shifted_rastrigin, **kw)
    high = ceopt.maximize(lambda X: -shifted_rastrigin(X), **kw)
    np.testing.assert_array_equal(low.x, high.x)
    assert low.fun == -high.fun and low.nfev == high.nfev


@pytest.mark.slow
def test_a_run_interrupted_mid_sweep_resumes_bit_identical(tmp_path):
    kw = dict(bounds=BOX5, vectorized=True, max_evals=5000, seed=4)
    full = ceopt.minimize(shifted_rastrigin, **kw)
    path = tmp_path / "run.ckpt"
    part = ceopt.minimize(shifted_rastrigin, max_iter=4, checkpoint=path, **kw)
    assert np.isnan(part.history["gamma"][-1])  # stopped inside the first sweep
    rest = ceopt.resume(path, shifted_rastrigin, max_iter=10**6)
    np.testing.assert_array_equal(rest.x, full.x)
    assert (rest.fun, rest.nfev, rest.nit, rest.nrestarts) == (
        full.fun, full.nfev, full.nit, full.nrestarts)


@pytest.mark.parametrize("kw, error, match", [
    (dict(method="ce", separable=True), ValueError, "method 'adaptive'"),
    (dict(separable="yes"), TypeError, "separable"),
])
def test_separable_option_errors(kw, error, match):
    with pytest.raises(error, match=match):
        CrossEntropy(DiagGaussian(np.zeros(2), 1.0), **kw)


def test_one_dimension_is_never_tested():
    es = CrossEntropy(DiagGaussian(np.zeros(1), 1.0), seed=0, max_evals=1000)
    assert es.ask().shape == (es.popsize, 1)


@pytest.mark.slow
def test_rounding_near_the_optimum_is_not_a_coupling():
    """Rastrigin's terms (10 d + sum(x^2 - 10 cos)) round at 1e-14 while its values near
    the optimum are 1e-3: the check allows for the largest values seen, not the point's."""
    d = 8
    shift = np.linspace(-3, 3, d)
    for seed in range(6):
        es = CrossEntropy(Gaussian(np.zeros(d), 9.0), bounds=[(-5, 5)] * d, seed=seed,
                          max_evals=7 + 1200 * d)
        while not es.stop():
            X = es.ask()
            es.tell(X, rastrigin(X - shift))
        assert es.schedule.verdict and isinstance(es.dist, DiagGaussian), seed


def test_a_failed_evaluation_of_the_moved_point_proves_nothing():
    sweep = CoordinateSweep(np.zeros(3), 10.0, np.ones(3), None)
    rng = np.random.default_rng(0)
    X = sweep.ask(rng)
    sweep.tell(X, sphere(X - 0.5))  # gains in every coordinate: the point moves, unevaluated
    moved = sweep.point.copy()
    X = sweep.ask(rng)
    np.testing.assert_array_equal(X[-1], moved)
    values = sphere(X - 0.5)
    values[-1] = np.nan  # its evaluation fails
    sweep.tell(X, values)
    assert not sweep.coupled and sweep.loss == 10.0 and np.all(sweep.point == 0)


@pytest.mark.parametrize("at_x0", [np.inf, np.nan])
def test_a_sweep_from_a_point_that_failed_moves_on(at_x0):
    def f(X):
        v = sphere(X - 1.0)
        v[np.all(X == 0, axis=1)] = at_x0
        return v
    es = CrossEntropy(DiagGaussian(np.zeros(3), 1.0), seed=0, separable=True, max_evals=5000)
    X = es.ask()
    es.tell(X, f(X))
    assert np.all(es.search.point != 0)  # moved off x0, to a point still to evaluate
    while not es.stop():
        X = es.ask()
        es.tell(X, f(X))
    assert es.schedule.verdict and es.best_f < 1e-10  # never taken for a coupling


def test_a_run_resumed_mid_sweep_with_a_smaller_budget_polishes_with_the_rest(tmp_path):
    path = tmp_path / "run.ckpt"
    part = ceopt.minimize(shifted_rastrigin, bounds=BOX5, vectorized=True, seed=0,
                          max_evals=5000, max_iter=3, checkpoint=path)
    rest = ceopt.resume(path, shifted_rastrigin, max_evals=part.nfev + 150, max_iter=10**6)
    assert part.nfev + 100 < rest.nfev <= part.nfev + 150
    assert not np.isnan(rest.history["gamma"][-1])  # the polish spent it


@pytest.mark.slow
def test_a_run_started_without_a_budget_is_never_tested_even_if_resumed_with_one(tmp_path):
    """The test is the first population or never: a resumed budget brings IPOP restarts,
    not the test or sweeps (documented under ``separable``)."""
    path = tmp_path / "run.ckpt"
    part = ceopt.minimize(shifted_rastrigin, bounds=BOX5, vectorized=True, seed=0,
                          max_iter=3, checkpoint=path)
    assert part.history["nfev"][0] == 12  # no budget, no restarts: no test
    rest = ceopt.resume(path, shifted_rastrigin, max_evals=20_000, max_iter=10**6)
    assert rest.nrestarts >= 2  # the budget's restarts came
    assert not np.isnan(rest.history["gamma"]).any()  # but never the test or a sweep
    populations = np.diff(rest.history["nfev"], prepend=0)
    assert set(populations) <= {12 * 2**k for k in range(rest.nrestarts + 1)}  # IPOP


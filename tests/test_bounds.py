"""Samples outside the box are evaluated at their projection, ranked with a penalty, and
fitted as drawn (ceopt.handlers.box)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as hs
from problems import sphere

import ceopt
from ceopt import CrossEntropy
from ceopt.distributions import DiagGaussian
from ceopt.handlers import Box

finite = hs.floats(-1e3, 1e3)


@hs.composite
def boxes_and_points(draw):
    d = draw(hs.integers(1, 4))
    low = np.array([draw(finite) for _ in range(d)])
    width = np.array([draw(hs.floats(1e-3, 1e3)) for _ in range(d)])
    sides = [draw(hs.sampled_from(["both", "low", "high", "none"])) for _ in range(d)]
    lo = np.where([s in ("both", "low") for s in sides], low, -np.inf)
    hi = np.where([s in ("both", "high") for s in sides], low + width, np.inf)
    x = np.array([[draw(hs.floats(-1e5, 1e5)) for _ in range(d)] for _ in range(5)])
    return Box(lo, hi), x


@given(boxes_and_points())
def test_projected_points_lie_in_the_box_and_inside_points_stay(case):
    box, x = case
    y = box.project(x)
    assert y.shape == x.shape
    assert np.all(box.contains(y))
    inside = box.contains(x)
    np.testing.assert_array_equal(y[inside], x[inside])
    # The nearest point of the box: a coordinate outside lands on the bound it crossed.
    below, above = x < box.low, x > box.high
    np.testing.assert_array_equal(y[below], np.broadcast_to(box.low, x.shape)[below])
    np.testing.assert_array_equal(y[above], np.broadcast_to(box.high, x.shape)[above])


@given(boxes_and_points(), hs.floats(1e-3, 1e3), hs.floats(-1e3, 1e3),
       hs.lists(hs.floats(-10, 10), min_size=5, max_size=5))
def test_penalised_ranking_is_invariant_to_affine_changes_of_the_values(case, a, b, values):
    box, x = case
    losses = np.array(values)
    y = box.project(x)
    ranking = losses + box.penalty(x, y, losses)
    rescaled = a * losses + b
    ranking2 = rescaled + box.penalty(x, y, rescaled)
    # Same order up to rounding: compare the scaled difference, not argsort (ties).
    np.testing.assert_allclose(a * ranking + b, ranking2, rtol=1e-9,
                               atol=1e-9 * (1 + np.abs(ranking2).max()))


def test_penalty_is_zero_inside_and_grows_with_the_distance_outside():
    box = Box(np.zeros(2), np.ones(2))
    drawn = np.array([[0.5, 0.5], [1.1, 0.5], [1.3, 0.5], [1.3, -0.3], [0.2, 0.9]])
    losses = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    pen = box.penalty(drawn, box.project(drawn), losses)
    assert pen[0] == 0 and pen[4] == 0
    assert 0 < pen[1] < pen[2] < pen[3]
    # IQR(losses) = 2, the largest coordinate std is that of column 0.
    np.testing.assert_allclose(pen[1], 2 * (0.1 / drawn[:, 0].std()) ** 2)


def test_a_corner_optimum_is_reached_exactly():
    # A linear function on [0, 1]^20 whose minimum is the corner 0: every sample that falls
    # outside along every coordinate is evaluated at the corner itself. With reflection (the
    # old rule) the samples never reached the faces and this took the whole budget.
    d = 20
    res = ceopt.minimize(lambda X: X @ np.linspace(1, 10, d), bounds=[(0, 1)] * d,
                         vectorized=True, seed=0, max_evals=20_000, ftarget=0.0)
    assert res.success and res.fun == 0.0


def _bounded_solver(**kw):
    return CrossEntropy(DiagGaussian(np.zeros(2), 10.0), bounds=[(-1, 1)] * 2, seed=0,
                        method="textbook", smoothing=1.0, popsize=20, n_elite=5, **kw)


def test_tell_fits_the_samples_as_drawn_and_any_other_x_as_given():
    def run(repair):
        es = _bounded_solver()
        X = es.ask()
        assert np.all(np.abs(X) <= 1)
        X = repair(X)
        es.tell(X, X.sum(axis=1))
        return es.dist.mean

    # The population ask returned: the elites are the drawn samples, whose mean lies where
    # no point of the box can (the box's smallest coordinate sum is -2).
    assert run(lambda X: X).sum() < -2
    # A repaired population (here a copy with one value changed) is fitted as it is.
    changed = run(lambda X: np.vstack([X[:-1], [[0.0, 0.0]]]))
    assert np.all(np.abs(changed) <= 1)


@given(seed=hs.integers(0, 2**31), family=hs.sampled_from(["diag", "full"]))
@pytest.mark.slow
def test_minimize_never_evaluates_outside_the_bounds(seed, family):
    low, high = np.array([-1.0, 2.0, 0.0]), np.array([1.0, 2.5, 10.0])

    def f(X):
        assert np.all((X >= low) & (X <= high))
        return sphere(X)

    res = ceopt.minimize(f, bounds=list(zip(low, high, strict=True)), dist=family, vectorized=True,
                         seed=seed, max_iter=5)
    assert np.all((res.x >= low) & (res.x <= high))


def test_a_failed_tell_leaves_the_record_of_ask_in_place():
    es, ref = _bounded_solver(), _bounded_solver()
    X, Y = es.ask(), ref.ask()
    with pytest.raises(ValueError, match="NaN"):
        es.tell(X, np.full(len(X), np.nan))
    es.tell(X, X.sum(axis=1))  # the retry is fitted as drawn, like a first successful tell
    ref.tell(Y, Y.sum(axis=1))
    np.testing.assert_array_equal(es.dist.mean, ref.dist.mean)
    assert es.dist.mean.sum() < -2  # outside the box: the drawn samples were fitted


def test_a_nan_row_never_becomes_the_best_point():
    es = _bounded_solver(ftarget=1.0)
    X = es.ask()
    values = np.full(len(X), np.inf)
    values[0] = np.nan
    es.tell(X, values)
    assert es.best_f == np.inf
    X = es.ask()
    es.tell(X, np.zeros(len(X)))
    assert es.best_f == 0.0 and es.stop() is not None


def test_two_asks_before_a_tell_keep_the_penalty_for_the_latest():
    es, ref = _bounded_solver(), _bounded_solver()
    X1 = es.ask()
    X2 = es.ask()
    es.tell(X1, X1.sum(axis=1))  # not the latest ask's population: fitted as given
    Y1 = ref.ask()
    ref.ask()
    ref.tell(Y1, Y1.sum(axis=1))
    np.testing.assert_array_equal(es.dist.mean, ref.dist.mean)
    # The latest ask's record survives the unrelated tell: X2 is fitted as drawn, its mean
    # where no point of the box can be.
    es.tell(X2, X2.sum(axis=1))
    assert es.dist.mean.sum() < -2

"""Reflection keeps every sample inside the box and leaves inside points alone."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as hs
from problems import sphere

import ceopt
from ceopt.bounds import Box

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
def test_reflected_points_lie_in_the_box(case):
    box, x = case
    y = box.reflect(x)
    assert y.shape == x.shape
    assert np.all(box.contains(y))


@given(boxes_and_points())
def test_points_inside_are_unchanged(case):
    box, x = case
    inside = np.clip(x, box.low, box.high)
    np.testing.assert_allclose(box.reflect(inside), inside, rtol=1e-12, atol=1e-9)


def test_reflection_mirrors_at_the_violated_bound():
    box = Box(np.array([0.0]), np.array([1.0]))
    np.testing.assert_allclose(box.reflect(np.array([[1.25], [-0.25], [2.5], [-1.75]])),
                               [[0.75], [0.25], [0.5], [0.25]])
    one_sided = Box(np.array([0.0, -np.inf]), np.array([np.inf, 2.0]))
    np.testing.assert_allclose(one_sided.reflect(np.array([[-1.0, 3.5], [4.0, -9.0]])),
                               [[1.0, 0.5], [4.0, -9.0]])


@given(seed=hs.integers(0, 2**31), family=hs.sampled_from(["diag", "full"]))
def test_minimize_never_evaluates_outside_the_bounds(seed, family):
    low, high = np.array([-1.0, 2.0, 0.0]), np.array([1.0, 2.5, 10.0])

    def f(X):
        assert np.all((X >= low) & (X <= high))
        return sphere(X)

    res = ceopt.minimize(f, bounds=list(zip(low, high, strict=True)), dist=family, vectorized=True,
                         seed=seed, max_iter=5)
    assert np.all((res.x >= low) & (res.x <= high))

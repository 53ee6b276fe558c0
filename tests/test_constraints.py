"""Constraints as scipy spells them: one violation per sample, whatever the spelling."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as hs
from scipy.optimize import LinearConstraint, NonlinearConstraint

from ceopt.constraints import EQUALITY_TOL, Constraints

INF = np.inf


def by_hand(X):
    """The issue's example: x^2 - y <= 0 and x + y <= 2."""
    x, y = X[:, 0], X[:, 1]
    return np.maximum(x**2 - y, 0) + np.maximum(x + y - 2, 0)


SPELLINGS = {
    "one nonlinear, two components": lambda: Constraints(
        NonlinearConstraint(lambda v: [v[0] ** 2 - v[1], v[0] + v[1]], -INF, [0, 2]), 2),
    "nonlinear and linear": lambda: Constraints(
        [NonlinearConstraint(lambda v: v[0] ** 2 - v[1], -INF, 0),
         LinearConstraint([[1, 1]], -INF, 2)], 2),
    "scipy's dicts (ineq: fun >= 0)": lambda: Constraints(
        [{"type": "ineq", "fun": lambda v: v[1] - v[0] ** 2},
         {"type": "ineq", "fun": lambda v, c: c - v[0] - v[1], "args": (2.0,)}], 2),
    "vectorized": lambda: Constraints(
        NonlinearConstraint(lambda X: np.column_stack([X[:, 0] ** 2 - X[:, 1],
                                                       X[:, 0] + X[:, 1]]), -INF, [0, 2]),
        2, vectorized=True),
}


@pytest.mark.parametrize("spelling", SPELLINGS)
@given(seed=hs.integers(0, 2**32 - 1))
def test_every_spelling_gives_the_violation_by_hand(spelling, seed):
    X = np.random.default_rng(seed).uniform(-3, 3, (30, 2))
    values = SPELLINGS[spelling]().evaluate(X)
    assert values.values.shape == (30, 2)
    np.testing.assert_allclose(values.violation, by_hand(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(values.feasible, by_hand(X) == 0)


@given(seed=hs.integers(0, 2**32 - 1), m=hs.integers(1, 4))
def test_violation_is_zero_exactly_inside_the_bounds(seed, m):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(m, 3))
    lb = rng.uniform(-2, 0, m)
    ub = lb + rng.uniform(0, 2, m)
    X = rng.uniform(-2, 2, (40, 3))
    values = Constraints(LinearConstraint(A, lb, ub), 3).evaluate(X)
    C = X @ A.T
    inside = np.all((C >= lb) & (C <= ub), axis=1)
    np.testing.assert_array_equal(values.feasible, inside)
    assert np.all(values.violation >= 0)
    np.testing.assert_allclose(values.violation,
                               (np.maximum(lb - C, 0) + np.maximum(C - ub, 0)).sum(axis=1))


def test_an_equality_holds_within_its_tolerance():
    eq = Constraints({"type": "eq", "fun": lambda v: v[0] - 1.0}, 1)
    X = np.array([[1.0], [1.0 + 0.5 * EQUALITY_TOL], [1.0 - 3 * EQUALITY_TOL], [2.0]])
    values = eq.evaluate(X)
    np.testing.assert_array_equal(values.feasible, [True, True, False, False])
    np.testing.assert_allclose(values.violation, [0, 0, 2 * EQUALITY_TOL, 1 - EQUALITY_TOL])


@pytest.mark.parametrize("make, match", [
    (lambda: Constraints([], 2), "empty list"),
    (lambda: Constraints("x > 0", 2), "NonlinearConstraint, a LinearConstraint, a dict"),
    (lambda: Constraints([lambda x: x], 2), r"constraints\[0\] is function"),
    (lambda: Constraints({"type": "ge", "fun": abs}, 2), "'type' must be 'ineq'"),
    (lambda: Constraints({"type": "ineq", "fun": 3}, 2), "'fun' must be a function"),
    (lambda: Constraints({"type": "ineq", "fun": abs, "lb": 0}, 2), r"unknown keys \['lb'\]"),
    (lambda: Constraints(LinearConstraint([[1, 1, 1]], 0, 1), 2), "A has 3 columns"),
    (lambda: Constraints(NonlinearConstraint(abs, [0, 3], [1, 2]), 2),
     r"constraints\[0\]: lb\[1\] = 3.0 > ub\[1\] = 2.0"),
    (lambda: Constraints(NonlinearConstraint(abs, [0, 0, 0], [1, 1]), 2),
     "lb has 3 entries and ub 2"),
])
def test_bad_constraints_are_refused_naming_them(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_bad_values_name_the_constraint_and_what_to_return():
    X = np.zeros((4, 2))
    two = NonlinearConstraint(lambda v: [v[0], v[1], 0.0], -INF, [0, 0])
    with pytest.raises(ValueError, match=r"constraints\[1\]: called with each point x, it must "
                                         r"return a number or m numbers \(m = 2"):
        Constraints([{"type": "ineq", "fun": lambda v: 1.0}, two], 2).evaluate(X)
    whole = NonlinearConstraint(lambda X: X[:, 0], -INF, 0)  # takes the population
    with pytest.raises(ValueError, match="pass vectorized=True"):
        Constraints(whole, 2).evaluate(X)
    rows = NonlinearConstraint(lambda X: X[:2, 0], -INF, 0)
    with pytest.raises(ValueError, match=r"must return \(4,\) or \(4, m\)"):
        Constraints(rows, 2, vectorized=True).evaluate(X)
    nan = {"type": "ineq", "fun": lambda v: np.nan if v[0] > 0 else 1.0}
    with pytest.raises(ValueError, match=r"constraints\[0\] is NaN at the point \[1.0, 0.0\]"):
        Constraints(nan, 2).evaluate(np.array([[0.0, 0.0], [1.0, 0.0]]))

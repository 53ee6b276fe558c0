"""Where and when a run's constraints are evaluated: told by the caller (ask/tell), before the
objective (constraints_first), failing (on_error), and what the history says of them."""

import numpy as np
import pytest
from scipy.optimize import NonlinearConstraint

import ceopt
from ceopt import CrossEntropy, Gaussian

INF = np.inf


def g(X):
    """The issue's example: x^2 - y <= 0 and x + y <= 2, as two columns."""
    return np.column_stack([X[:, 0] ** 2 - X[:, 1], X[:, 0] + X[:, 1]])


def f(X):
    return (X[:, 0] - 2) ** 2 + (X[:, 1] - 1) ** 2


CONS = NonlinearConstraint(g, -INF, [0, 2])


def ask_tell(tell_values: bool, seed: int = 3):
    es = CrossEntropy(Gaussian(np.zeros(2), 1.0), seed=seed, max_evals=1500,
                      constraints=ceopt.constraints.Constraints(CONS, 2, vectorized=True))
    while not es.stop():
        X = es.ask()
        if tell_values:
            es.tell(X, f(X), g(X))
        else:
            es.tell(X, f(X))
    return es


def test_told_constraint_values_give_the_run_that_evaluates_them_itself():
    own, told = ask_tell(False), ask_tell(True)
    np.testing.assert_array_equal(own.best_x, told.best_x)
    assert own.result().constr_nfev == own.nfev  # evaluated at every told point
    assert told.result().constr_nfev == 0  # the caller evaluated them
    np.testing.assert_array_equal(told.result().constr, g(told.best_x[None])[0])


def test_told_constraint_values_are_checked():
    es = CrossEntropy(Gaussian(np.zeros(2), 1.0), seed=0,
                      constraints=ceopt.constraints.Constraints(CONS, 2, vectorized=True))
    X = es.ask()
    with pytest.raises(ValueError, match=r"constraint_values must have shape \(\d+, 2\)"):
        es.tell(X, f(X), g(X)[:, :1])
    plain = CrossEntropy(Gaussian(np.zeros(2), 1.0), seed=0)
    X = plain.ask()
    with pytest.raises(ValueError, match="run without constraints"):
        plain.tell(X, f(X), g(X))


def test_the_history_has_each_populations_feasible_fraction():
    fractions = []
    es = CrossEntropy(Gaussian(np.zeros(2), 1.0), seed=1, max_iter=15,
                      constraints=ceopt.constraints.Constraints(CONS, 2, vectorized=True))
    while not es.stop():
        X = es.ask()
        fractions.append(np.mean(np.all(g(X) <= [0, 2], axis=1)))
        es.tell(X, f(X))
    np.testing.assert_array_equal(es.result().history["feasible"], fractions)
    assert 0 < fractions[0] < 1 and fractions[-1] > fractions[0]  # it learns where they hold
    unconstrained = ceopt.minimize(f, x0=[0, 0], vectorized=True, seed=0, max_iter=5)
    assert np.all(unconstrained.history["feasible"] == 1)


def test_constraints_first_evaluates_the_objective_at_feasible_points_only():
    seen = []

    def counted(X):
        seen.append(X.copy())
        return f(X)
    res = ceopt.minimize(counted, x0=[0, 0], vectorized=True, seed=2, max_evals=1500,
                         constraints=CONS, constraints_first=True, polish=False)
    X = np.vstack(seen)
    assert np.all(np.all(g(X) <= [0, 2], axis=1))  # never an infeasible point
    assert res.nfev == len(X) <= 1500 < res.constr_nfev  # the saving, counted
    assert res.constr_violation == 0 and abs(res.fun - 1) < 1e-3  # still the optimum (1, 1)


def test_constraints_first_ends_a_run_that_never_finds_a_feasible_point():
    never = NonlinearConstraint(lambda X: X[:, 0] ** 2 + 1, -INF, 0)  # x^2 + 1 <= 0
    calls = []
    res = ceopt.minimize(lambda X: calls.append(len(X)) or f(X), x0=[0, 0], vectorized=True,
                         seed=0, max_evals=100, constraints=never, constraints_first=True,
                         polish=False)
    assert not calls and res.nfev == 0 and not res.success
    assert res.constr_nfev <= 10 * 100 and "constraint evaluations" in res.message
    with pytest.raises(ValueError, match="constraints_first=True needs constraints="):
        ceopt.minimize(f, x0=[0, 0], vectorized=True, constraints_first=True)


def nan_at_negative_x(v):
    return np.nan if v[0] < 0 else v[0] + v[1] - 2  # <= 0: x + y <= 2


def test_a_nan_constraint_raises_by_default_naming_it_and_the_way_out():
    with pytest.raises(ValueError, match=r"constraints\[0\] is NaN at the point .*on_error"):
        ceopt.minimize(lambda v: float(np.sum((v - 1) ** 2)), x0=[0, 0], seed=0, max_iter=5,
                       constraints=NonlinearConstraint(nan_at_negative_x, -INF, 0))


@pytest.mark.parametrize("failing", [pytest.param("nan", marks=pytest.mark.slow), "raises"])
def test_under_on_error_worst_a_failing_constraint_makes_its_point_infeasible(failing):
    def fails(v):
        if v[0] < 0 and failing == "raises":
            raise RuntimeError("solver diverged")
        return nan_at_negative_x(v)
    res = ceopt.minimize(lambda v: float(np.sum((v - 2) ** 2)), x0=[0, 0], seed=0,
                         max_evals=1500, on_error="worst",
                         constraints=NonlinearConstraint(fails, -INF, 0))
    assert res.x[0] >= 0 and res.x.sum() <= 2 + 1e-12 and res.constr_violation == 0
    assert abs(res.fun - 2) < 1e-6  # the optimum (1, 1), on the line x + y = 2
    assert res.nfail > 0 and any("constraints[0]" in m for m in res.failures)
    if failing == "raises":
        assert any("RuntimeError: solver diverged" in m for m in res.failures)


def test_search_evals_ends_each_local_search():
    es = CrossEntropy(Gaussian(np.zeros(3), 1.0), seed=0, popsize=10, search_evals=35,
                      restarts=0)
    while not es.stop():
        X = es.ask()
        es.tell(X, np.sum(X**2, axis=1))
    assert es.nfev == 40 and es.result().status == 8  # 4 populations reach 35
    with pytest.raises(ValueError, match="search_evals"):
        CrossEntropy(Gaussian(np.zeros(3), 1.0), search_evals=0)


def test_a_run_without_a_feasible_point_names_the_constraints_it_violates():
    half = NonlinearConstraint(lambda B: B.sum(axis=1), 2.5, 2.5)  # bits never sum to 2.5
    at_most_5 = {"type": "ineq", "fun": lambda B: 5 - B.sum(axis=1)}
    res = ceopt.maximize(lambda B: B.sum(axis=1), dist=ceopt.Bernoulli(np.full(6, 0.5)),
                         vectorized=True, seed=0, constraints=[half, at_most_5])
    assert not res.success and res.constr_violation == pytest.approx(0.5 - 1e-6)  # the tol
    assert res.message.endswith("violates the constraints by 0.5: constraints[0] (an "
                                "equality, held within 1e-6 of its target: discrete or "
                                "integer variables may never meet it))")
    assert res.x.sum() in (2, 3)  # the least infeasible, and within constraints[1]


def test_a_constrained_search_is_cut_at_search_evals_only_once_it_found_a_feasible_point():
    far = NonlinearConstraint(lambda X: X[:, 0], 2, INF)  # x >= 2, far from the start
    es = CrossEntropy(Gaussian(np.zeros(2), 0.3), seed=0, popsize=10, search_evals=20,
                      constraints=ceopt.constraints.Constraints(far, 2, vectorized=True))
    ended_at = None
    while ended_at is None:
        X = es.ask()
        es.tell(X, np.sum(X**2, axis=1))
        if es.search_ended:
            ended_at = es.nfev
        else:  # past search_evals only while nothing feasible was found
            assert es.nfev < 20 or es.search_best.violation > 0
    assert ended_at > 20 and es.search_best.violation == 0


# -- where they run: the objective's workers --------------------------------------------------
def f_point(v):
    return float((v[0] - 2) ** 2 + (v[1] - 1) ** 2)


CALLED_FROM = []


def g_point(v):
    import threading
    CALLED_FROM.append(threading.current_thread().name)
    if v[0] < -1:
        raise RuntimeError("mesh failed")
    return [v[0] ** 2 - v[1], v[0] + v[1]]


POINT_CONS = NonlinearConstraint(g_point, -INF, [0, 2])


def test_constraints_run_on_the_objectives_worker_threads_and_give_the_serial_run():
    from concurrent.futures import ThreadPoolExecutor
    kw = dict(x0=[0.0, 0.0], sigma0=1.0, seed=5, max_evals=800, constraints=POINT_CONS,
              on_error="worst", polish=False)
    serial = ceopt.minimize(f_point, **kw)
    CALLED_FROM.clear()
    with ThreadPoolExecutor(2) as pool:
        threaded = ceopt.minimize(f_point, workers=pool, **kw)
    assert CALLED_FROM and "MainThread" not in CALLED_FROM
    np.testing.assert_array_equal(serial.x, threaded.x)
    assert serial.constr_nfev == threaded.constr_nfev == serial.nfev
    assert serial.nfail == threaded.nfail > 0  # x < -1 raised, on either side
    assert serial.failures == threaded.failures
    assert "constraints[0] raised RuntimeError: mesh failed at x = " in serial.failures[0]


@pytest.mark.slow
def test_constraints_run_on_worker_processes_and_give_the_serial_run():
    kw = dict(x0=[0.0, 0.0], sigma0=1.0, seed=5, max_evals=400, constraints=POINT_CONS,
              on_error="worst", polish=False)
    serial = ceopt.minimize(f_point, **kw)
    pooled = ceopt.minimize(f_point, workers=2, **kw)
    np.testing.assert_array_equal(serial.x, pooled.x)
    assert serial.failures == pooled.failures and serial.nfail == pooled.nfail
    with pytest.raises(TypeError, match="constraint functions must be picklable"):
        ceopt.minimize(f_point, x0=[0.0, 0.0], workers=2, max_evals=100,
                       constraints={"type": "ineq", "fun": lambda v: v[0]})


@pytest.mark.slow
def test_a_constraints_first_run_with_failures_resumes_bit_for_bit(tmp_path):
    kw = dict(x0=[0.0, 0.0], sigma0=1.0, seed=7, max_evals=600, constraints=POINT_CONS,
              constraints_first=True, on_error="worst")
    full = ceopt.minimize(f_point, **kw)
    path = tmp_path / "run.ckpt"
    part = ceopt.minimize(f_point, max_iter=max(full.nit // 2, 1), checkpoint=path, **kw)
    assert part.nit < full.nit
    rest = ceopt.resume(path, f_point, max_iter=10**6, constraints=POINT_CONS)
    np.testing.assert_array_equal(rest.x, full.x)
    assert (rest.nfev, rest.constr_nfev, rest.nfail) == (full.nfev, full.constr_nfev,
                                                         full.nfail)
    assert rest.failures == full.failures and full.nfail > 0
    np.testing.assert_array_equal(rest.history["feasible"], full.history["feasible"])

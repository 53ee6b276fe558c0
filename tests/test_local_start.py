"""A local method before the population search (``local_start=``, ceopt/local_start.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ceopt
from ceopt.handlers import Box
from ceopt.local_start import (
    LOCAL_EVALS,
    LOCAL_START_FROM_DIM,
    NELDER_MEAD_BELOW,
    SMALL_BUDGET,
    local_start_method,
)


def ellipsoid(X):
    """A separable ill-conditioned quadratic (condition 1e4), minimum 0 at 1."""
    X = np.atleast_2d(X)
    return ((X - 1.0) ** 2 * np.logspace(0, 4, X.shape[1])).sum(axis=1)


class Recorded:
    """A vectorized objective that keeps every batch it is given."""

    def __init__(self, f=ellipsoid):
        self.f, self.batches = f, []

    def __call__(self, X):
        self.batches.append(np.array(X))
        return self.f(X)

    @property
    def points(self):
        return np.vstack(self.batches)


def gaussian(d):
    return ceopt.Gaussian(np.zeros(d), np.eye(d))


# -- when a run starts with a local method -----------------------------------------------------
@pytest.mark.parametrize("d", [2, 3, 4, 10])
def test_the_default_starts_locally_within_a_small_budget_only(d):
    pick = "nelder-mead" if d < NELDER_MEAD_BELOW else "l-bfgs-b"
    on = dict(method="adaptive", bounds=None)
    assert local_start_method(None, gaussian(d), max_evals=SMALL_BUDGET * d, **on) == pick
    assert local_start_method(None, gaussian(d), max_evals=SMALL_BUDGET * d + 1, **on) is None
    assert local_start_method(None, gaussian(d), max_evals=None, **on) is None
    assert local_start_method(True, gaussian(d), None, method="adaptive", max_evals=None) == pick
    assert local_start_method(False, gaussian(d), None, method="adaptive", max_evals=10) is None


def test_a_full_covariance_starts_locally_from_40_dimensions_with_any_budget():
    on = dict(method="adaptive", bounds=None)
    full, diag = gaussian(LOCAL_START_FROM_DIM), ceopt.DiagGaussian(np.zeros(40), np.ones(40))
    assert local_start_method(None, full, max_evals=None, **on) == "l-bfgs-b"
    assert local_start_method(None, full, max_evals=10**9, **on) == "l-bfgs-b"
    assert local_start_method(None, gaussian(LOCAL_START_FROM_DIM - 1), max_evals=10**9,
                              **on) is None
    assert local_start_method(None, diag, max_evals=10**9, **on) is None
    assert local_start_method(None, full, max_evals=None, method="ce", bounds=None) is None
    res = ceopt.minimize(ellipsoid, np.zeros(40), vectorized=True, max_iter=2, seed=0)
    assert "began with l-bfgs-b" in res.message


@pytest.mark.parametrize("why", [
    dict(method="ce"), dict(method="textbook"), dict(dist=ceopt.Bernoulli(np.full(4, 0.5))),
    dict(bounds=Box.parse([(0, 3)] * 4, 4, [True] * 4)), dict(constraints=lambda x: x),
    dict(noise=True), dict(improve=True)])
def test_the_default_does_not_start_locally_where_it_does_not_apply(why):
    options = dict(dist=ceopt.DiagGaussian(np.zeros(4), np.ones(4)), bounds=None, method="adaptive",
                   max_evals=100)
    options.update(why)
    dist, bounds = options.pop("dist"), options.pop("bounds")
    assert local_start_method(None, dist, bounds, **options) is None


def test_an_asked_local_start_that_does_not_apply_is_refused_by_name():
    with pytest.raises(ValueError, match="local_start must be True, False or one of"):
        ceopt.minimize(ellipsoid, np.zeros(3), local_start="bfgs")
    with pytest.raises(ValueError, match="leave it out with noise="):
        ceopt.minimize(ellipsoid, np.zeros(3), vectorized=True, noise=True, local_start=True)
    with pytest.raises(ValueError, match="leave it out with constraints="):
        ceopt.minimize(ellipsoid, np.zeros(3), vectorized=True, local_start=True,
                       constraints={"type": "ineq", "fun": lambda x: x[0]})
    with pytest.raises(ValueError, match="integer variables"):
        ceopt.minimize(ellipsoid, np.zeros(3), bounds=[(-5, 5)] * 3, integrality=[1, 0, 0],
                       vectorized=True, local_start=True)
    # integrality without an integer coordinate is real numbers still
    res = ceopt.minimize(ellipsoid, np.zeros(3), bounds=[(-5, 5)] * 3, integrality=[0, 0, 0],
                         vectorized=True, max_evals=300, seed=0)
    assert "began with nelder-mead" in res.message
    with pytest.raises(ValueError, match="leave it out for this family"):
        ceopt.maximize(lambda b: b.sum(axis=1), dist=ceopt.Bernoulli(np.full(5, 0.5)),
                       vectorized=True, local_start=True)


# -- what the phase does ------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["nelder-mead", "l-bfgs-b", "cobyqa"])
def test_its_evaluations_count_and_its_best_point_is_kept(method):
    f = Recorded()
    res = ceopt.minimize(f, np.zeros(3), bounds=[(-5, 5)] * 3, vectorized=True,
                         max_evals=300, seed=1, local_start=method)
    assert res.nfev == len(f.points) <= 300
    assert f"began with {method}" in res.message
    values = ellipsoid(f.points)
    assert res.fun == values.min()
    # Every method converges on this quadratic well inside 100·d evaluations.
    assert res.fun < 1e-8


def test_the_search_begins_about_the_local_methods_best_point():
    f = Recorded()
    run = ceopt.minimize(f, np.zeros(6), sigma0=0.5, vectorized=True, max_evals=600,
                         method="ce", local_start=True, seed=2)
    local = int(run.message.split("(")[-1].split()[0])
    local_best = f.points[:local][np.argmin(ellipsoid(f.points[:local]))]
    first = f.batches[next(i for i, n in enumerate(np.cumsum([len(b) for b in f.batches]))
                           if n > local)]
    # The first population is drawn about the local best, with the spread asked for: its
    # mean within 4 standard errors of it.
    se = 0.5 / np.sqrt(len(first))
    assert np.all(np.abs(first.mean(axis=0) - local_best) < 4 * se)
    assert np.allclose(local_best, 1.0, atol=1e-3)


def test_it_stops_at_ftarget_and_within_its_share():
    f = Recorded()
    res = ceopt.minimize(f, np.zeros(5), vectorized=True, ftarget=1e-6, local_start=True,
                         seed=0)
    assert res.success and res.fun <= 1e-6 and res.nit == 0
    assert res.nfev == len(f.points) < LOCAL_EVALS * 5
    # Without a target it spends at most LOCAL_EVALS·d, then the population search goes on.
    rough = Recorded(lambda X: ellipsoid(X) + np.abs(np.sin(50 * X)).sum(axis=1))
    res = ceopt.minimize(rough, np.zeros(5), vectorized=True, max_iter=3, local_start=True,
                         seed=0)
    local = int(res.message.split("(")[-1].split()[0])
    assert 0 < local <= LOCAL_EVALS * 5 and res.nit == 3


@settings(max_examples=15, deadline=None)
@given(d=st.integers(1, 6), share=st.floats(0.05, 1.0), seed=st.integers(0, 2**16))
def test_a_run_never_spends_more_than_its_budget(d, share, seed):
    popsize = ceopt.CrossEntropy(gaussian(d)).popsize
    budget = max(popsize, int(share * SMALL_BUDGET * d))
    f = Recorded()
    res = ceopt.minimize(f, np.full(d, 3.0), vectorized=True, max_evals=budget, seed=seed)
    assert res.nfev == len(f.points) <= budget
    assert "began with" in res.message  # the default's small budget


def test_a_maximisation_starts_locally_too():
    res = ceopt.maximize(lambda X: -ellipsoid(X), np.zeros(4), vectorized=True,
                         max_evals=400, seed=0)
    assert "began with l-bfgs-b" in res.message and res.fun > -1e-8


def test_a_failed_value_ends_the_gradient_phase_and_the_search_goes_on():
    def holed(X):  # NaN on a slab the descent must cross
        values = ellipsoid(X)
        values[np.abs(X[:, 0] - 0.5) < 0.2] = np.nan
        return values
    res = ceopt.minimize(holed, np.zeros(4), vectorized=True, on_nan="worst", max_evals=1200,
                         local_start=True, seed=0)
    assert np.isfinite(res.fun) and res.nit > 0


def test_an_objective_that_raises_in_the_phase_loses_nothing():
    calls = []

    def dies(x):
        calls.append(float(ellipsoid(x)[0]))
        if len(calls) == 40:
            raise RuntimeError("the simulator crashed")
        return calls[-1]
    with pytest.raises(RuntimeError, match="crashed") as info:
        ceopt.minimize(dies, np.zeros(2), max_evals=400, seed=0)
    kept = info.value.ceopt_result
    assert kept.nfev == 39 and kept.fun == min(calls[:39])


def test_the_same_seed_gives_the_same_run_serial_and_on_threads():
    kw = dict(x0=np.zeros(5), bounds=[(-5, 5)] * 5, max_evals=1000, seed=4)
    serial = ceopt.minimize(lambda x: float(ellipsoid(x)[0]), **kw)
    again = ceopt.minimize(lambda x: float(ellipsoid(x)[0]), **kw)
    with ThreadPoolExecutor(2) as pool:
        threads = ceopt.minimize(lambda x: float(ellipsoid(x)[0]), workers=pool, **kw)
    for other in (again, threads):
        assert other.fun == serial.fun and other.nfev == serial.nfev
        assert np.array_equal(other.x, serial.x)


def test_a_checkpointed_run_resumes_after_its_local_start(tmp_path):
    path = tmp_path / "run.ckpt"
    kw = dict(x0=np.zeros(4), vectorized=True, max_evals=1000, seed=5)
    whole = ceopt.minimize(ellipsoid, **kw)
    first = ceopt.minimize(ellipsoid, checkpoint=path, callback=lambda r: r.nit == 3, **kw)
    assert "began with" in first.message
    rest = ceopt.resume(path, ellipsoid)
    assert "began with" not in rest.message  # a resumed run does not start again
    assert rest.nfev == whole.nfev and rest.fun == whole.fun
    assert np.array_equal(rest.x, whole.x)


def test_begin_at_moves_only_a_run_not_yet_told():
    es = ceopt.CrossEntropy(gaussian(3), method="ce", seed=0, popsize=400)
    es.begin_at([2.0, -1.0, 0.5])
    X = es.ask()
    assert np.all(np.abs(X.mean(axis=0) - [2.0, -1.0, 0.5]) < 4 / np.sqrt(400))
    es.tell(X, ellipsoid(X))
    with pytest.raises(RuntimeError, match="before the first tell"):
        es.begin_at(np.zeros(3))


def test_a_small_budget_reaches_lower_values_with_the_local_start():
    """Rotated ellipsoid, d = 10, 100·d evaluations, 5 seeds: the local start ends lower in
    every seed (it converges where the population search has barely begun)."""
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((10, 10)))

    def rotated(X):
        return ellipsoid(np.atleast_2d(X) @ Q.T + 1.0)
    for seed in range(5):
        kw = dict(x0=np.full(10, 2.0), vectorized=True, max_evals=1000, seed=seed)
        with_start = ceopt.minimize(rotated, **kw)
        without = ceopt.minimize(rotated, local_start=False, **kw)
        assert with_start.fun < 1e-3 * without.fun

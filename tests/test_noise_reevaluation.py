"""The noise mode's second look at each population's best samples (``reevaluate``)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ceopt
from ceopt import CrossEntropy, DiagGaussian, Gaussian, checkpoint
from ceopt.noise import REEVALUATED, Reevaluation


def sphere(X):
    return (np.atleast_2d(X) ** 2).sum(axis=1)


@settings(max_examples=60, deadline=None)
@given(losses=st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(np.nan)), min_size=1,
                       max_size=60),
       share=st.floats(0.01, 0.99))
def test_the_best_rows_are_asked_again_and_their_fresh_values_replace_the_first(losses,
                                                                              share):
    losses = np.array(losses)
    X = np.arange(2 * losses.size, dtype=float).reshape(-1, 2)
    reeval = Reevaluation(share)
    held = reeval.hold(X, losses)
    numbers = np.flatnonzero(~np.isnan(losses))
    assert held == (numbers.size > 0)
    if not held:
        return
    again = reeval.ask()
    k = min(reeval.size(losses.size), numbers.size)
    assert reeval.size(losses.size) == max(1, round(share * losses.size))
    # The k smallest values, best first (ties by position).
    rows = numbers[np.argsort(losses[numbers], kind="stable")][:k]
    assert np.array_equal(again, X[rows])
    fresh = np.linspace(5.0, 6.0, k)
    population, told = reeval.tell(again, fresh)
    assert np.array_equal(population, X) and reeval.pending is None
    expected = losses.copy()
    expected[rows] = fresh
    assert np.array_equal(told, expected, equal_nan=True)


def test_a_population_is_fitted_with_its_best_samples_fresh_values():
    """A run with reevaluate fits what a run without it fits when told the fresh values in
    place of the first ones: the lucky first values of the best samples are forgotten."""
    def make(share):
        return CrossEntropy(Gaussian(np.full(3, 2.0), np.ones(3)), noise=True, popsize=40,
                            max_evals=10_000, seed=5, reevaluate=share)

    looked_twice, plain = make(0.1), make(0.0)
    rng = np.random.default_rng(0)
    for _ in range(4):
        X = looked_twice.ask()
        assert np.array_equal(X, plain.ask())
        first = sphere(X) - 10.0 * (rng.random(len(X)) < 0.2)  # lucky outliers
        looked_twice.tell(X, first)
        again = looked_twice.ask()
        assert len(again) == 4
        fresh = sphere(again)
        looked_twice.tell(again, fresh)
        told = first.copy()
        rows = np.argsort(first, kind="stable")[:4]
        assert np.array_equal(X[rows], again)
        told[rows] = fresh
        plain.tell(X, told)
        assert np.array_equal(looked_twice.dist.mean, plain.dist.mean)
        assert np.array_equal(looked_twice.dist.cov, plain.dist.cov)
    assert looked_twice.nit == plain.nit == 4
    assert looked_twice.nfev == plain.nfev + 4 * 4


def test_every_evaluation_is_counted_and_the_budget_holds():
    calls = []

    def noisy(X):
        calls.append(len(X))
        return sphere(X) + 0.1 * np.random.default_rng(len(calls)).standard_normal(len(X))

    res = ceopt.minimize(noisy, np.full(4, 2.0), noise=True, vectorized=True,
                         max_evals=3000, seed=1)
    assert res.nfev == sum(calls) <= 3000
    popsize = calls[0]
    steps = np.diff(res.history["nfev"])
    assert np.all(steps == popsize + round(REEVALUATED * popsize))


def test_which_runs_look_twice():
    def share(dist, **kw):
        state = CrossEntropy(dist, max_evals=5000, **kw).state()["reevaluation"]
        return None if state is None else state["share"]

    full, diag = Gaussian(np.zeros(4), np.ones(4)), DiagGaussian(np.zeros(4), 1.0)
    assert share(full, noise=True) == share(diag, noise=True) == REEVALUATED == 0.1
    assert share(full) is None and share(diag) is None
    assert share(full, noise=True, method="ce") is None
    assert share(ceopt.Bernoulli(np.full(4, 0.5)), noise=True) is None
    assert share(diag, noise=True, reevaluate=0.2) == 0.2
    assert share(full, noise=True, reevaluate=0) is None


@pytest.mark.parametrize("kwargs, match", [
    (dict(reevaluate=0.1), "pass noise=True with it"),
    (dict(noise=True, reevaluate=1.0), "0 <= reevaluate < 1"),
    (dict(noise=True, reevaluate=-0.1), "0 <= reevaluate < 1"),
])
def test_bad_reevaluate(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ceopt.minimize(sphere, np.ones(3), vectorized=True, max_evals=3000, **kwargs)


def test_a_run_saved_between_a_population_and_its_second_look_goes_on_the_same():
    def run():
        return CrossEntropy(Gaussian(np.full(3, 2.0), np.ones(3)), noise=True,
                            max_evals=4000, seed=2)

    es = run()
    X = es.ask()
    es.tell(X, sphere(X))
    copy = CrossEntropy.from_state(es.state())
    assert copy.stop() is None and es.stop() is None
    rng = np.random.default_rng(9)
    while not es.stop():
        X = es.ask()
        assert np.array_equal(X, copy.ask())
        values = sphere(X) + 0.1 * rng.standard_normal(len(X))
        es.tell(X, values)
        copy.tell(X, values)
    assert copy.stop() == es.stop()
    assert np.array_equal(copy.result().x, es.result().x) and copy.nfev == es.nfev


def test_a_run_cut_before_its_second_look_resumes_from_the_held_population(tmp_path):
    """The checkpoint written after a population's tell holds it and its first values: a
    run cut off there (its objective failed on the second look) resumes with the second
    look and ends as the run that was not cut."""
    def noisy(X, seeds):
        return sphere(X) + 0.1 * np.array([np.random.default_rng(s).standard_normal()
                                           for s in seeds])

    def run(fun, **kw):
        return ceopt.minimize(fun, np.full(3, 2.0), noise=True, eval_seeds="each",
                              vectorized=True, max_evals=2000, seed=3, **kw)

    whole = run(noisy)
    calls = []

    def failing(X, seeds):
        calls.append(len(X))
        if len(calls) == 6:  # the 3rd population's second look
            raise RuntimeError("the cluster went down")
        return noisy(X, seeds)

    path = tmp_path / "run.ckpt"
    with pytest.raises(RuntimeError, match="went down"):
        run(failing, checkpoint=path)
    assert calls[4] > calls[5]  # a population, then its best
    held = checkpoint.load(path)["solver"]["reevaluation"]["pending"]
    assert held is not None and len(held["rows"]) == calls[5]
    resumed = ceopt.resume(path, noisy)
    assert np.array_equal(resumed.x, whole.x) and resumed.fun == whole.fun
    assert resumed.nfev == whole.nfev and resumed.nit == whole.nit

"""Restart schedules (ceopt.schedules): every family restarts within a budget, IPOP and BIPOP
do what their papers say, and a schedule is a value a run copies."""

import numpy as np
import pytest
from problems import rastrigin, sphere

import ceopt
from ceopt import Bernoulli, Categorical, CrossEntropy, DiagGaussian, Exponential, Gaussian
from ceopt.distributions import Distribution, UnsupportedOperation
from ceopt.schedules import BIPOP, IPOP


def cut_of_a_random_graph(n=30, seed=0):
    """The cut size of each row of bits, on a G(n, 0.3) graph."""
    upper = np.triu(np.random.default_rng(seed).random((n, n)) < 0.3, 1)
    W = (upper | upper.T).astype(float)

    def cut(B):
        s = 2.0 * B - 1.0
        return (W.sum() / 2 - 0.5 * np.einsum("ij,jk,ik->i", s, W, s)) / 2
    return cut


@pytest.mark.parametrize("dist, f, kwargs", [
    (Bernoulli(np.full(30, 0.5)), cut_of_a_random_graph(), {}),
    (Categorical(np.full((10, 4), 0.25)),
     lambda S: (S == np.arange(10) % 4).sum(axis=1) + (S[:, 0] == 3) * 5, {}),
    (Exponential(np.ones(3)), lambda X: -((X - 0.7) ** 2).sum(axis=1),
     dict(bounds=[(0, 2)] * 3)),
])
def test_every_family_restarts_until_the_budget_is_spent(dist, f, kwargs):
    """A run with max_evals restarts after each convergence (a discrete one at the same
    population) until the next population no longer fits, keeping the best."""
    res = ceopt.maximize(f, dist=dist, vectorized=True, seed=1, max_evals=20_000, **kwargs)
    alone = ceopt.maximize(f, dist=dist, vectorized=True, seed=1, restarts=0, **kwargs)
    assert alone.nfev < 10_000 and alone.status in (1, 2)  # converged long before the budget
    assert res.nrestarts >= 2 and res.status == 3 and res.success
    assert f"after {res.nrestarts} restarts" in res.message
    popsize = CrossEntropy(dist).popsize
    assert 20_000 - popsize < res.nfev <= 20_000
    assert res.fun >= alone.fun
    populations = set(np.diff(res.history["nfev"], prepend=0))
    assert populations == {popsize}  # the same population at every restart


def test_a_bounded_exponential_restarts_at_random_points_of_the_box():
    """The issue's example: it raised AttributeError ('Exponential' object has no attribute
    'moved') before the families declared what the solver calls."""
    es = CrossEntropy(Exponential(np.ones(3)), bounds=[(0, 2)] * 3, restarts=2, seed=0)
    starts = []
    while not es.stop():
        before = es.nrestarts
        X = es.ask()
        if es.nrestarts > before:
            starts.append(es.dist.mean)
        es.tell(X, ((X - 0.7) ** 2).sum(axis=1))
    assert es.nrestarts == 2 and len(starts) == 2
    for mean in starts:
        assert np.all((mean > 0) & (mean < 2)) and not np.allclose(mean, 1.0)
    res = ceopt.minimize(lambda X: ((X - 0.7) ** 2).sum(axis=1), dist=Exponential(np.ones(3)),
                         bounds=[(0, 2)] * 3, restarts=2, vectorized=True, seed=0)
    assert res.nrestarts == 2 and res.success


class Immobile(Distribution):
    """A family that cannot be moved: a restart in a box must say so, by name."""

    def __init__(self, dim):
        self._dim = dim
    dim = property(lambda self: self._dim)
    mode = property(lambda self: np.zeros(self._dim))
    spread = property(lambda self: 1.0)
    min_spread = property(lambda self: 0.0)
    n_params = property(lambda self: 1)
    min_fit_samples = property(lambda self: 1)

    def sample(self, n, rng):
        return rng.uniform(-1, 1, (n, self._dim))

    def log_prob(self, x):
        return np.zeros(len(x))

    def fit(self, x, weights=None):
        return self

    def smooth(self, new, alpha):
        return self

    def entropy(self):
        return 0.0


def test_a_restart_a_family_cannot_make_is_a_clear_error():
    es = CrossEntropy(Immobile(2), bounds=[(-1, 1)] * 2, restarts=1, patience=2, seed=0)
    with pytest.raises(UnsupportedOperation, match="Immobile cannot be moved.*restarts=0"):
        while not es.stop():
            X = es.ask()
            es.tell(X, sphere(X))


def test_ipop_doubles_the_population_and_the_elites_each_time():
    es = CrossEntropy(Gaussian(np.zeros(2), 9.0), bounds=[(-5, 5)] * 2, seed=0,
                      max_evals=20_000, separable=False)
    sizes = []
    while es.nrestarts < 3:
        X = es.ask()
        sizes.append((es.popsize, es.n_elite))
        es.tell(X, rastrigin(X))
    assert sorted(set(sizes)) == [(6, 3), (12, 6), (24, 12), (48, 24)]


@pytest.mark.parametrize("restarts, kind", [("ipop", IPOP), ("bipop", BIPOP),
                                            (IPOP(growth=3), IPOP)])
def test_restarts_takes_a_name_or_a_schedule(restarts, kind):
    es = CrossEntropy(DiagGaussian(np.zeros(2), 1.0), restarts=restarts, separable=False,
                      max_evals=1000)
    assert isinstance(es.schedule, kind) and es.restarts > 10**6
    assert CrossEntropy(DiagGaussian(np.zeros(2), 1.0), restarts=restarts).restarts == 0


def test_a_schedule_object_configures_several_runs_alike():
    """A run copies the schedule it is given, so one object gives every run the same start."""
    bipop = BIPOP()
    kw = dict(bounds=[(-5, 5)] * 3, vectorized=True, max_evals=3000, seed=5, restarts=bipop)
    first, second = ceopt.minimize(rastrigin, **kw), ceopt.minimize(rastrigin, **kw)
    np.testing.assert_array_equal(first.x, second.x)
    assert first.nfev == second.nfev and bipop.large_restarts == 0


@pytest.mark.parametrize("restarts, error, match", [
    ("sometimes", ValueError, "restarts must be an int, a Schedule or one of"),
    ("separable", ValueError, "restarts must be"),
    (IPOP, TypeError, "restarts must be an integer"),
])
def test_bad_restarts_name_the_argument(restarts, error, match):
    with pytest.raises(error, match=match):
        CrossEntropy(DiagGaussian(np.zeros(2), 1.0), restarts=restarts)


@pytest.mark.slow
def test_bipop_alternates_regimes_by_the_budget_each_has_spent():
    """After the first run, a restart is large (2^k times the population, the initial spread)
    when the large regime has spent no more than the small one, else small (a population
    between the initial and the last large one, a narrower spread, and at most half of the
    last large restart's evaluations)."""
    es = CrossEntropy(Gaussian(np.zeros(4), 9.0), bounds=[(-5, 5)] * 4, seed=3,
                      max_evals=60_000, separable=False, restarts="bipop")
    popsize0, spread0 = es.popsize, es.dist.spread
    runs = []  # (regime, popsize, spread at its start, evaluations at its start)
    while not es.stop():
        before = es.nrestarts
        X = es.ask()
        if es.nrestarts > before:
            runs.append((es.schedule.regime, es.popsize, es.dist.spread, es.nfev))
        es.tell(X, rastrigin(X))
    spent = np.diff([r[3] for r in runs] + [es.nfev])
    large = small = 0
    last_large, k = 0, 0
    assert len(runs) >= 6 and {r[0] for r in runs} == {"large", "small"}
    for (regime, popsize, spread, _), evaluations in zip(runs, spent, strict=True):
        assert regime == ("small" if small < large else "large")
        if regime == "large":
            k += 1
            assert popsize == popsize0 * 2**k and spread == spread0
            large, last_large = large + evaluations, evaluations
        else:
            assert popsize0 <= popsize <= popsize0 * 2**k and spread < spread0
            assert evaluations <= max(last_large // 2, popsize) + popsize  # its share, at most
            small += evaluations


@pytest.mark.slow
def test_a_bipop_run_resumes_bit_identical(tmp_path):
    kw = dict(bounds=[(-5, 5)] * 3, vectorized=True, max_evals=8000, seed=2,
              restarts="bipop", separable=False)
    full = ceopt.minimize(rastrigin, **kw)
    path = tmp_path / "run.ckpt"
    part = ceopt.minimize(rastrigin, max_iter=full.nit // 2, checkpoint=path, **kw)
    assert part.nrestarts >= 2  # stopped after restarts of both kinds had begun
    rest = ceopt.resume(path, rastrigin, max_iter=10**6)
    np.testing.assert_array_equal(rest.x, full.x)
    assert (rest.fun, rest.nfev, rest.nrestarts) == (full.fun, full.nfev, full.nrestarts)
    np.testing.assert_array_equal(rest.history["spread"], full.history["spread"])

"""The permutation families: every sample is a permutation, the draws follow the model's
probabilities, the fit is the weighted frequency (the MM ascent for Plackett–Luce), and a run
with one solves small ordering problems exactly."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy.optimize import linear_sum_assignment

import ceopt
from ceopt import NodeTransition, Permutation, PlackettLuce, PositionMatrix
from ceopt.distributions import FAMILIES, from_state, to_state
from ceopt.distributions._permutation import Remaining, RowSampler

MODELS = ("transition", "position", "plackett-luce")
SEEDS = hs.integers(0, 2**32 - 1)


def is_permutation(x, n):
    return np.array_equal(np.sort(x, axis=-1), np.broadcast_to(np.arange(n), x.shape))


def learned(model, n, seed, cyclic=False):
    """A model fitted (with smoothing) to a few random permutations: uneven probabilities."""
    rng = np.random.default_rng(seed)
    dist = NodeTransition.uniform(n, cyclic=cyclic) if cyclic else Permutation(n, model)
    x = np.array([rng.permutation(n) for _ in range(3)])
    return dist.smooth(dist.fit(x, rng.uniform(0.1, 1, 3)), 0.8)


@given(model=hs.sampled_from(MODELS), n=hs.integers(2, 9), m=hs.integers(0, 40), seed=SEEDS)
@settings(max_examples=60, deadline=None)
def test_every_sample_is_a_permutation(model, n, m, seed):
    dist = learned(model, n, seed)
    x = dist.sample(m, np.random.default_rng(seed))
    assert x.shape == (m, n) and x.dtype == np.int64
    assert is_permutation(x, n)


@pytest.mark.parametrize("model", MODELS)
def test_a_seed_gives_the_same_samples(model):
    dist = learned(model, 7, 3)
    a = dist.sample(50, np.random.default_rng(9))
    assert np.array_equal(a, dist.sample(50, np.random.default_rng(9)))


@pytest.mark.parametrize("dist", [learned("transition", 5, 1), learned("plackett-luce", 5, 1),
                                  learned("transition", 5, 2, cyclic=True)],
                         ids=["transition", "plackett-luce", "cyclic"])
def test_log_prob_is_a_distribution_that_the_draws_follow(dist):
    perms = np.array(list(itertools.permutations(range(5))))
    p = np.exp(dist.log_prob(perms))
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    m = 200_000
    x = dist.sample(m, np.random.default_rng(0))
    code = x @ 5 ** np.arange(5)
    freq = np.array([(code == c).mean() for c in perms @ 5 ** np.arange(5)])
    se = np.sqrt(p * (1 - p) / m)
    # 120 cells: |z| < 4.5 everywhere has probability > 0.999 under the model.
    assert np.all(np.abs(freq - p) < 4.5 * se + 1e-12)


def test_log_prob_of_rows_that_are_not_permutations_is_minus_infinity():
    dist = learned("transition", 4, 0)
    lp = dist.log_prob(np.array([[0, 1, 2, 3], [0, 0, 2, 3], [0, 1, 2, 7]]))
    assert np.isfinite(lp[0]) and np.all(lp[1:] == -np.inf)


def test_the_row_sampler_draws_among_the_free_items_in_proportion():
    """Rejection from the whole row, then the fallback among the free items: both draw from
    the row restricted to the free items."""
    rng = np.random.default_rng(5)
    n, m = 6, 60_000
    probs = rng.dirichlet(np.full(n, 0.5), size=n)
    left = Remaining(m, n)
    left.take(np.full(m, 2))
    left.take(np.full(m, 4))
    item = RowSampler(probs).draw(np.full(m, 1, dtype=np.int64), left, rng)
    free = np.array([0, 1, 3, 5])
    expected = probs[1, free] / probs[1, free].sum()
    freq = np.bincount(item, minlength=n)
    assert freq[[2, 4]].sum() == 0
    se = np.sqrt(expected * (1 - expected) / m)
    assert np.all(np.abs(freq[free] / m - expected) < 4.5 * se)


def test_remaining_keeps_the_free_items_listed():
    rng = np.random.default_rng(0)
    m, n = 30, 8
    x = np.array([rng.permutation(n) for _ in range(m)])
    left = Remaining(m, n)
    for t in range(n):
        left.take(x[:, t])
        for s in range(m):
            assert sorted(left.items[s, :left.k]) == sorted(x[s, t + 1:])
            assert np.array_equal(np.flatnonzero(left.free[s]), np.sort(x[s, t + 1:]))


def test_the_transition_fit_is_the_weighted_frequency_floored():
    x = np.array([[0, 1, 2, 3], [0, 2, 1, 3]])
    f = NodeTransition.uniform(4, min_prob=0.01).fit(x, [3.0, 1.0])
    # Row 0 over its 3 successors: 1 with weight 3/4, 2 with 1/4.
    assert f.trans[0] == pytest.approx([0, 0.01 + 0.97 * 0.75, 0.01 + 0.97 * 0.25, 0.01])
    assert f.start == pytest.approx([0.01 + 0.96, 0.01, 0.01, 0.01])
    # Row 3 is never left (always last): uniform over its successors.
    assert f.trans[3] == pytest.approx([1 / 3, 1 / 3, 1 / 3, 0])
    cyclic = NodeTransition.uniform(4, min_prob=0.01, cyclic=True).fit(x, [3.0, 1.0])
    assert cyclic.trans[3] == pytest.approx([0.97 + 0.01, 0.01, 0.01, 0])  # back to 0
    assert cyclic.start == pytest.approx(np.full(4, 0.25))


def test_the_position_fit_is_the_weighted_frequency_floored():
    x = np.array([[0, 1, 2], [1, 0, 2]])
    f = PositionMatrix.uniform(3, min_prob=0.02).fit(x, [1.0, 3.0])
    assert f.probs[0] == pytest.approx([0.02 + 0.94 * 0.25, 0.02 + 0.94 * 0.75, 0.02])
    assert f.probs[2] == pytest.approx([0.02, 0.02, 0.96])


@given(n=hs.integers(3, 7), seed=SEEDS)
@settings(max_examples=40, deadline=None)
def test_the_plackett_luce_fit_climbs_the_weighted_likelihood(n, seed):
    rng = np.random.default_rng(seed)
    dist = learned("plackett-luce", n, seed)
    x = dist.sample(30, rng)
    w = rng.uniform(0.1, 1, 30)
    fitted = dist.fit(x, w)
    assert w @ fitted.log_prob(x) >= w @ dist.log_prob(x) - 1e-9


@pytest.mark.slow
def test_plackett_luce_recovers_its_preferences():
    truth = PlackettLuce(np.array([2.0, 1.0, 0.0, -0.5, -2.5]))
    x = truth.sample(20_000, np.random.default_rng(1))
    dist = PlackettLuce.uniform(5)
    for _ in range(20):
        dist = dist.fit(x)
    # 20 000 rankings: the MLE is within a few hundredths of the truth (centred).
    assert dist.theta == pytest.approx(truth.theta, abs=0.08)


@pytest.mark.parametrize("model", MODELS)
def test_fitting_one_permutation_collapses_onto_it(model):
    target = np.array([3, 1, 4, 0, 2, 5])
    dist = Permutation(6, model)
    for _ in range(30):
        dist = dist.smooth(dist.fit(np.tile(target, (4, 1))), 0.7)
    assert np.array_equal(dist.mode, target)
    draws = dist.sample(2000, np.random.default_rng(0))
    if model == "plackett-luce":  # the MM ascent widens the gaps slowly (module docstring)
        assert dist.spread < 0.05 and (draws == target).all(axis=1).mean() > 0.85
    else:
        assert dist.spread_above_floor < 1e-3 * (1 + dist.min_spread)
        assert (draws == target).all(axis=1).mean() > 0.95


def test_a_zero_floor_draws_only_what_the_rows_allow():
    target = np.array([2, 0, 3, 1])
    probs = np.eye(4)[target]
    dist = PositionMatrix(probs, min_prob=0.0)
    assert np.all(dist.sample(100, np.random.default_rng(0)) == target)
    trans = np.full((4, 4), 0.0)
    trans[[2, 0, 3, 1], [0, 3, 1, 2]] = 1.0
    walk = NodeTransition(np.eye(4)[2], trans, min_prob=0.0)
    assert np.all(walk.sample(100, np.random.default_rng(0)) == target)


@pytest.mark.parametrize("model", MODELS)
def test_state_round_trip_is_exact(model):
    dist = learned(model, 6, 4)
    back = from_state(to_state(dist))
    assert type(back) is type(dist) and type(back).__name__ in FAMILIES
    rng_a, rng_b = np.random.default_rng(2), np.random.default_rng(2)
    assert np.array_equal(back.sample(20, rng_a), dist.sample(20, rng_b))
    assert back.spread == dist.spread


@pytest.mark.parametrize("model", MODELS)
def test_bad_input_names_the_problem(model):
    dist = Permutation(4, model)
    with pytest.raises(ValueError, match="row 1 of x is not a permutation"):
        dist.fit(np.array([[0, 1, 2, 3], [0, 1, 1, 3]]))
    with pytest.raises(ValueError, match=r"shape \(n, 4\)"):
        dist.fit(np.zeros((2, 5), dtype=int))


def test_constructor_errors():
    with pytest.raises(ValueError, match="model must be one of"):
        Permutation(5, "mallows")
    with pytest.raises(ValueError, match="n must be at least 2"):
        Permutation(1)
    with pytest.raises(ValueError, match="zero diagonal"):
        NodeTransition(np.full(3, 1 / 3), np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError, match="min_prob must be in"):
        PositionMatrix.uniform(4, min_prob=0.3)


# -- runs ------------------------------------------------------------------------------------
def circle_tour_length(X):
    """Cities on a circle, shuffled: the shortest tour visits them in circle order."""
    angle = 2 * np.pi * CIRCLE / CIRCLE.size
    xy = np.stack([np.cos(angle), np.sin(angle)], axis=-1)[X]
    return np.linalg.norm(xy - np.roll(xy, -1, axis=1), axis=-1).sum(axis=1)


CIRCLE = np.random.default_rng(7).permutation(12)


def test_the_transition_model_finds_the_shortest_tour():
    res = ceopt.minimize(circle_tour_length, dist=Permutation(12), vectorized=True, seed=0)
    best = circle_tour_length(np.argsort(CIRCLE)[None, :])[0]
    assert res.fun == pytest.approx(best, rel=1e-12)
    assert is_permutation(res.x, 12) and res.x.dtype.kind == "i"


def test_the_position_model_solves_an_assignment_problem():
    cost = np.random.default_rng(3).uniform(0, 1, (10, 10))
    rows, cols = linear_sum_assignment(cost)
    res = ceopt.minimize(lambda X: cost[np.arange(10), X].sum(axis=1),
                         dist=Permutation(10, "position"), vectorized=True, seed=0)
    assert res.fun == pytest.approx(cost[rows, cols].sum(), rel=1e-12)


def test_plackett_luce_finds_a_ranking():
    target = np.random.default_rng(2).permutation(10)

    def inversions(X):  # Kendall's distance to the target ranking
        place = np.argsort(X, axis=1)[:, target]  # where each target item is in x
        return np.triu(place[:, :, None] > place[:, None, :], 1).sum(axis=(1, 2))

    res = ceopt.minimize(inversions, dist=Permutation(10, "plackett-luce"), vectorized=True,
                         seed=0)
    assert res.fun == 0 and np.array_equal(res.x, target)


def test_the_objective_gets_integer_permutations():
    seen = []

    def fun(x):
        seen.append(x.dtype.kind)
        return float(np.arange(5) @ x)

    ceopt.minimize(fun, dist=Permutation(5), max_iter=2, seed=0)
    assert set(seen) == {"i"}


def test_a_run_resumes_bit_for_bit(tmp_path):
    path = tmp_path / "run.ckpt"
    full = ceopt.minimize(circle_tour_length, dist=Permutation(12), vectorized=True, seed=4,
                          max_iter=12)
    ceopt.minimize(circle_tour_length, dist=Permutation(12), vectorized=True, seed=4,
                   max_iter=5, checkpoint=path)
    rest = ceopt.resume(path, circle_tour_length, max_iter=12)
    assert rest.fun == full.fun and np.array_equal(rest.x, full.x)
    assert np.array_equal(rest.history["gamma"], full.history["gamma"])


def test_a_permutation_block_beside_a_gaussian():
    """A schedule (the order of six jobs) and a real setting in one run: a Product. Smith's
    rule (jobs by weight / time, largest first) orders them optimally."""
    times, weights = np.array([3, 1, 4, 1, 5, 2.0]), np.array([1, 3, 1, 2, 1, 1.0])

    def cost(Z):
        order = Z[:, 1:].astype(int)
        done = np.cumsum(times[order], axis=1)
        return (weights[order] * done).sum(axis=1) + 10 * (Z[:, 0] - 2) ** 2

    dist = ceopt.Product([ceopt.DiagGaussian(np.zeros(1), 1.0), Permutation(6)])
    res = ceopt.minimize(cost, dist=dist, vectorized=True, seed=0, max_evals=20_000)
    smith = np.argsort(-weights / times, kind="stable")
    assert res.fun == pytest.approx(cost(np.r_[2.0, smith][None, :])[0], abs=1e-6)
    assert is_permutation(res.x[1:], 6)


# -- an ordering in a space ------------------------------------------------------------------
TIMES = {"a": 3, "b": 1, "c": 4, "d": 1, "e": 5, "f": 2}
WEIGHTS = {"a": 1, "b": 3, "c": 1, "d": 2, "e": 1, "f": 1}
SCHEDULE = {"speed": ceopt.Real(0, 5), "order": ceopt.Ordering(list("abcdef")),
            "mode": ceopt.Choice(["slow", "fast"])}


def schedule_cost(v):
    t = c = 0
    for job in v["order"]:
        t += TIMES[job]
        c += WEIGHTS[job] * t
    return c + 10 * (v["speed"] - 2) ** 2 + (0 if v["mode"] == "fast" else 5)


def schedule_costs(v):
    t = np.vectorize(TIMES.get)(v["order"])
    w = np.vectorize(WEIGHTS.get)(v["order"])
    return ((w * np.cumsum(t, axis=1)).sum(axis=1) + 10 * (v["speed"] - 2) ** 2
            + np.where(v["mode"] == "fast", 0, 5))


@pytest.mark.parametrize("vectorized", [pytest.param(False, marks=pytest.mark.slow), True])
def test_an_ordering_in_a_space_is_searched_with_the_other_variables(vectorized):
    fun = schedule_costs if vectorized else schedule_cost
    res = ceopt.minimize(fun, space=SCHEDULE, seed=0, max_evals=20_000, vectorized=vectorized)
    smith = sorted("abcdef", key=lambda job: -WEIGHTS[job] / TIMES[job])
    assert res.x["order"] == smith and res.x["mode"] == "fast"
    assert res.fun == pytest.approx(45.0, abs=1e-6)
    assert res.x_encoded.shape == (8,)  # speed, mode, then six places


def test_an_ordering_decodes_to_its_items():
    space = ceopt.Space([ceopt.Ordering(3), ceopt.Ordering([(1, 2), "x"])])
    X = np.array([[2, 0, 1, 1, 0], [0, 1, 2, 0, 1]], dtype=float)
    first, second = space.decode(X)
    assert first.tolist() == [[2, 0, 1], [0, 1, 2]] and first.dtype.kind == "i"
    assert space.decode_point(X[0]) == [[2, 0, 1], ["x", (1, 2)]]
    assert space.width == 5 and space.dim == 2


def test_a_run_over_an_ordering_resumes_bit_for_bit(tmp_path):
    kwargs = dict(space=SCHEDULE, seed=2, vectorized=True)
    full = ceopt.minimize(schedule_costs, max_iter=8, **kwargs)
    ceopt.minimize(schedule_costs, max_iter=3, checkpoint=tmp_path / "run.ckpt", **kwargs)
    rest = ceopt.resume(tmp_path / "run.ckpt", schedule_costs, max_iter=8)
    assert rest.x == full.x and rest.fun == full.fun


def test_ordering_errors_say_what_to_pass():
    with pytest.raises(TypeError, match="sequence of items or their number"):
        ceopt.Ordering("abc")
    with pytest.raises(ValueError, match="at least two items"):
        ceopt.Ordering([1])
    with pytest.raises(ValueError, match="distinct"):
        ceopt.Ordering([1, 1, 2])

"""Local improvement (improve=): the moves make neighbours, the descent ends at a local
optimum, every neighbour is counted in nfev and the budget holds; and the instance readers."""

from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import ceopt
from ceopt.improvement import Improvement
from ceopt.instances import assignment_cost, read_qaplib, read_tsplib, tour_length
from ceopt.moves import MOVES, Flip, Insert, OrOpt, Swap, TwoOpt, moves_named

INSTANCES = Path(__file__).parents[1] / "benchmarks" / "instances"
PERMUTATION_MOVES = (TwoOpt, Swap, Insert, OrOpt)


@pytest.mark.parametrize("moves, count", [(TwoOpt, lambda n: n * (n - 1) // 2),
                                          (Swap, lambda n: n * (n - 1) // 2),
                                          (Insert, lambda n: (n - 1) ** 2),
                                          (OrOpt, lambda n: OrOpt.table(n).shape[0]),
                                          (Flip, lambda n: n)])
@pytest.mark.parametrize("n", [2, 3, 7])
def test_each_move_set_makes_distinct_neighbours(moves, count, n):
    moves = moves()
    assert moves.count(n) == count(n)
    x = np.random.default_rng(n).permutation(n)[None, :]
    if isinstance(moves, Flip):
        x = x > n / 2
    out = moves.neighbours(x, np.arange(moves.count(n))[None, :])[0]
    assert out.shape == (count(n), n)
    assert len({tuple(row) for row in out}) == count(n)  # no duplicates
    assert not (out == x).all(axis=1).any()               # none is the point itself
    if not isinstance(moves, Flip):
        assert np.array_equal(np.sort(out, axis=1), np.tile(np.arange(n), (count(n), 1)))


def test_the_moves_do_what_they_say():
    x = np.array([[0, 1, 2, 3, 4]])
    assert [2, 1, 0, 3, 4] in TwoOpt().neighbours(x, np.arange(10)[None, :])[0].tolist()
    assert [3, 1, 2, 0, 4] in Swap().neighbours(x, np.arange(10)[None, :])[0].tolist()
    assert [1, 2, 3, 0, 4] in Insert().neighbours(x, np.arange(16)[None, :])[0].tolist()
    every = np.arange(OrOpt().count(5))[None, :]
    assert [2, 3, 0, 1, 4] in OrOpt().neighbours(x, every)[0].tolist()      # 0 1 moved on
    assert [0, 4, 1, 2, 3] in OrOpt().neighbours(x, every)[0].tolist()      # 4 moved back
    assert [0, 3, 2, 1, 4] not in OrOpt().neighbours(x, every)[0].tolist()  # no reversal


def test_or_moves_hold_every_insertion_and_combinations_hold_their_parts():
    n = 8
    rows = {tuple(row) for row in OrOpt.table(n)}
    assert {tuple(row) for row in Insert.table(n)} <= rows
    both = moves_named("2opt+oropt")
    assert both.name == "2opt+oropt" and both.count(n) == len(rows | {
        tuple(row) for row in TwoOpt.table(n)})
    with pytest.raises(ValueError, match="joined by"):
        moves_named("2opt+flip")


@given(n=hs.integers(4, 9), seed=hs.integers(0, 2**32 - 1),
       moves=hs.sampled_from(PERMUTATION_MOVES))
@settings(max_examples=30, deadline=None)
def test_the_descent_ends_at_a_local_optimum_and_counts_its_evaluations(n, seed, moves):
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0, 1, (n, n))
    fun = tour_length(cost)
    calls = []

    def counted(X):
        calls.append(len(X))
        return fun(X)

    X = np.array([rng.permutation(n) for _ in range(6)])
    losses = fun(X)
    improvement = Improvement.parse(moves.name, 3, ceopt.Permutation(n))
    better_X, better, spent = improvement(X, losses, counted, np.inf, rng)
    assert spent == sum(calls)
    assert np.all(better <= losses) and np.array_equal(better, fun(better_X))
    best3 = np.argsort(losses, kind="stable")[:3]
    rest = np.setdiff1d(np.arange(6), best3)
    assert np.array_equal(better_X[rest], X[rest])
    every = np.arange(moves().count(n))[None, :]
    for row in best3:  # no single move improves an improved sample
        around = moves().neighbours(better_X[row][None, :], every)[0]
        assert fun(around).min() >= better[row]


def test_the_descent_keeps_to_its_budget():
    rng = np.random.default_rng(0)
    fun = tour_length(rng.uniform(0, 1, (30, 30)))
    X = np.array([rng.permutation(30) for _ in range(4)])
    improvement = Improvement.parse("2opt", 4, ceopt.Permutation(30))
    _, _, spent = improvement(X, fun(X), fun, 500, rng)
    assert 0 < spent <= 500


def test_an_improved_run_counts_every_evaluation_and_keeps_the_budget():
    rng = np.random.default_rng(1)
    fun = tour_length(rng.uniform(0, 1, (15, 15)))
    calls = []

    def counted(X):
        calls.append(len(X))
        return fun(X)

    res = ceopt.minimize(counted, dist=ceopt.Permutation(15), vectorized=True, seed=0,
                         improve="2opt", improve_best=3, max_evals=20_000)
    assert res.nfev == sum(calls) <= 20_000
    assert res.history["nfev"][-1] == res.nfev
    assert res.fun == fun(res.x[None, :])[0]


@pytest.mark.slow
def test_bit_flips_end_at_cuts_no_single_flip_improves():
    """Max-cut on G(40, 0.3) with 10 000 evaluations: every improved run returns a 1-flip
    local optimum, and the cuts are larger on average than plain CE's on the same seeds."""
    rng = np.random.default_rng(1000)
    upper = np.triu(rng.random((40, 40)) < 0.3, 1)
    W = (upper | upper.T).astype(float)

    def cut(B):
        s = 2.0 * B - 1
        return (W.sum() / 2 - 0.5 * np.einsum("ij,jk,ik->i", s, W, s)) / 2

    kwargs = dict(dist=ceopt.Bernoulli(np.full(40, 0.5)), vectorized=True, max_evals=10_000)
    plain = [ceopt.maximize(cut, seed=s, **kwargs) for s in range(5)]
    flips = [ceopt.maximize(cut, seed=s, improve="flip", **kwargs) for s in range(5)]
    for res in flips:
        around = Flip().neighbours(res.x[None, :], np.arange(40)[None, :])[0]
        assert cut(around.astype(float)).max() <= res.fun
    assert np.mean([r.fun for r in flips]) > np.mean([r.fun for r in plain])


@pytest.mark.parametrize("order", ["random", "model", "candidates"])
def test_an_improved_run_resumes_bit_for_bit(tmp_path, order):
    fun = tour_length(np.random.default_rng(2).uniform(0, 1, (12, 12)))
    kwargs = dict(dist=ceopt.Permutation(12), vectorized=True, seed=3, improve="2opt",
                  improve_order=order)
    full = ceopt.minimize(fun, max_iter=10, **kwargs)
    ceopt.minimize(fun, max_iter=4, checkpoint=tmp_path / "run.ckpt", **kwargs)
    rest = ceopt.resume(tmp_path / "run.ckpt", fun, max_iter=10)
    assert rest.nfev == full.nfev and rest.fun == full.fun
    assert np.array_equal(rest.history["best"], full.history["best"])


def test_bad_improve_arguments_say_what_to_pass():
    fun = tour_length(np.ones((5, 5)))
    with pytest.raises(ValueError, match="use 'flip'"):
        ceopt.minimize(fun, dist=ceopt.Bernoulli(np.full(5, .5)), improve="2opt")
    with pytest.raises(ValueError, match="improve must be one of"):
        ceopt.minimize(fun, dist=ceopt.Permutation(5), improve="3opt")
    with pytest.raises(ValueError, match="improve_best applies with improve="):
        ceopt.minimize(fun, dist=ceopt.Permutation(5), improve_best=3)
    with pytest.raises(ValueError, match="improve= with noise= is not supported"):
        ceopt.minimize(fun, dist=ceopt.Permutation(5), improve="swap", noise=True)
    with pytest.raises(ValueError,
                       match=r"improve_order must be one of \('candidates', 'model', 'random'\)"):
        ceopt.minimize(fun, dist=ceopt.Permutation(5), improve="swap", improve_order="best")
    assert set(MOVES) == {"2opt", "swap", "insert", "oropt", "or3opt", "flip"}


# -- the order of the moves -------------------------------------------------------------------
@pytest.mark.slow
def test_the_first_move_is_drawn_in_proportion_to_its_neighbours_mass():
    """order="model": P(move j first) = exp(affinity_j) / sum exp(affinity), here the
    probability of the bit string with bit j flipped under independent bits."""
    p = np.array([0.9, 0.6, 0.5, 0.2, 0.05])
    dist = ceopt.Bernoulli(p, min_prob=0)
    x = np.zeros((1, 5), dtype=bool)
    mass = np.exp(dist.log_prob(Flip().neighbours(x, np.arange(5)[None, :])[0]))
    expected = mass / mass.sum()
    m = 20_000
    X = np.zeros((m, 5), dtype=bool)
    first = Improvement(Flip(), order="model")._orders(X, 5, np.random.default_rng(0),
                                                       dist)[:, 0]
    freq = np.bincount(first, minlength=5) / m
    # 5 cells: |z| < 4 everywhere has probability > 0.999.
    assert np.all(np.abs(freq - expected) < 4 * np.sqrt(expected * (1 - expected) / m))


def test_random_order_and_model_order_without_a_model_try_every_move_uniformly():
    X = np.zeros((20_000, 4), dtype=bool)
    for improvement, dist in [(Improvement(Flip()), ceopt.Bernoulli([.9] * 4)),
                              (Improvement(Flip(), order="model"), None)]:
        orders = improvement._orders(X, 4, np.random.default_rng(1), dist)
        assert np.array_equal(np.sort(orders, axis=1), np.tile(np.arange(4), (len(X), 1)))
        freq = np.bincount(orders[:, 0], minlength=4) / len(X)
        assert np.all(np.abs(freq - 0.25) < 4 * np.sqrt(0.25 * 0.75 / len(X)))


@pytest.mark.filterwarnings("ignore:divide by zero")  # log of the zero diagonal
def test_the_permutation_models_affinities():
    rng = np.random.default_rng(5)
    x = np.array([rng.permutation(6) for _ in range(4)])
    tours = ceopt.NodeTransition.uniform(6).fit(x, rng.uniform(0.1, 1, 4))
    logs, logt = np.log(tours.start), np.log(tours.trans)
    walk = [logs[r[0]] + logt[r[:-1], r[1:]].sum() for r in x]
    np.testing.assert_allclose(tours.affinity(x), walk)
    closed = ceopt.NodeTransition.uniform(6, cyclic=True).fit(x)
    ring = [np.log(1 / 6) + np.log(closed.trans)[r, np.roll(r, -1)].sum() for r in x]
    np.testing.assert_allclose(closed.affinity(x), ring)
    places = ceopt.PositionMatrix.uniform(6).fit(x)
    np.testing.assert_allclose(places.affinity(x),
                               np.log(places.probs)[np.arange(6), x].sum(axis=1))
    ranks = ceopt.Permutation(6, "plackett-luce").fit(x)
    np.testing.assert_allclose(ranks.affinity(x), ranks.log_prob(x))


def test_a_run_tries_the_moves_in_the_models_order_when_told():
    fun = tour_length(np.random.default_rng(2).uniform(0, 1, (12, 12)))
    kwargs = dict(dist=ceopt.Permutation(12), vectorized=True, seed=3, improve="2opt",
                  max_iter=3)
    guided = ceopt.minimize(fun, improve_order="model", **kwargs)
    plain = ceopt.minimize(fun, **kwargs)
    assert guided.nfev != plain.nfev or not np.array_equal(guided.x, plain.x)


# -- instances ---------------------------------------------------------------------------------
def read_tour(path):
    import tsplib95
    return np.array(tsplib95.load(path).tours[0]) - 1


# read_tsplib reads through tsplib95 (the combinatorial extra).
needs_tsplib95 = pytest.mark.skipif(find_spec("tsplib95") is None,
                                    reason="needs tsplib95 (pip install '.[combinatorial]')")


@needs_tsplib95
@pytest.mark.parametrize("name, optimum", [("eil51", 426), ("berlin52", 7542), ("st70", 675)])
def test_tsplib_optimal_tours_have_their_published_lengths(name, optimum):
    tsp = read_tsplib(INSTANCES / f"{name}.tsp")
    assert tsp.symmetric and tsp.n == int(name.strip("abcdefghijklmnopqrstuvwxyz"))
    tour = read_tour(INSTANCES / f"{name}.opt.tour")
    assert tour_length(tsp.distances)(tour[None, :])[0] == optimum


@needs_tsplib95
def test_an_asymmetric_instance_reads_as_one():
    tsp = read_tsplib(INSTANCES / "ftv33.atsp")
    assert tsp.n == 34 and not tsp.symmetric
    tour = np.arange(34)[None, :]
    assert tour_length(tsp.distances)(tour)[0] != tour_length(tsp.distances)(tour[:, ::-1])[0]


@pytest.mark.parametrize("name", ["nug12", "chr12a", "nug20", "tai20a"])
def test_qaplib_solutions_have_their_published_costs(name):
    qap = read_qaplib(INSTANCES / f"{name}.dat")
    numbers = (INSTANCES / f"{name}.sln").read_text().split()
    n, value, perm = int(numbers[0]), float(numbers[1]), np.array(numbers[2:], int) - 1
    assert qap.n == n
    assert assignment_cost(qap.flow, qap.distance)(perm[None, :])[0] == value


def test_a_damaged_qaplib_file_is_refused(tmp_path):
    path = tmp_path / "bad.dat"
    path.write_text("3\n1 2 3\n")
    with pytest.raises(ValueError, match="needs 18 matrix entries"):
        read_qaplib(path)


def test_by_default_the_elites_of_a_small_population_descend():
    rng = np.random.default_rng(4)
    fun = tour_length(rng.uniform(0, 1, (40, 40)))
    X = np.array([rng.permutation(40) for _ in range(8)])
    improvement = Improvement.parse("swap", None, ceopt.Permutation(40))
    better_X, _, _ = improvement(X, fun(X), fun, np.inf, rng, n_elite=2)
    changed = np.flatnonzero((better_X != X).any(axis=1))
    assert set(changed) == set(np.argsort(fun(X))[:2])
    calls = []

    def counted(X):
        calls.append(len(X))
        return fun(X)

    ceopt.minimize(counted, dist=ceopt.Permutation(40), vectorized=True, improve="swap",
                   max_iter=1, seed=0)
    assert calls[0] == 80  # max(50, 2 * 40)


@pytest.mark.parametrize("dist, name", [(ceopt.Permutation(6), "2opt+oropt"),
                                        (ceopt.Permutation(6, "position"), "swap"),
                                        (ceopt.Permutation(6, "plackett-luce"), "insert"),
                                        (ceopt.Bernoulli(np.full(6, .5)), "flip")])
def test_improve_true_takes_the_familys_usual_moves(dist, name):
    assert Improvement.parse(True, None, dist).moves.name == name


def test_improve_true_without_usual_moves_says_what_to_pass():
    with pytest.raises(ValueError, match="no default moves for a Categorical"):
        Improvement.parse(True, None, ceopt.Categorical.uniform([3, 3]))


def test_a_small_budget_finishes_the_best_descents_first():
    """OneMax over 300 bits: one flip descent from a random point takes about 150 steps of
    300 evaluations. A budget for a little more than one descent finishes the best sample's
    (all ones) and leaves the worst chosen sample as it was."""
    rng = np.random.default_rng(0)
    X = rng.random((6, 300)) < 0.5
    losses = -X.sum(axis=1).astype(float)
    improvement = Improvement.parse("flip", 6, ceopt.Bernoulli(np.full(300, 0.5)))
    better_X, better, spent = improvement(X, losses, lambda B: -B.sum(axis=1).astype(float),
                                          60_000, rng)
    ranked = np.argsort(losses, kind="stable")
    assert better[ranked[0]] == -300 and spent <= 60_000
    assert np.array_equal(better_X[ranked[-1]], X[ranked[-1]])


def test_an_improved_run_of_the_position_model_smooths_slower():
    from ceopt.improvement import improved_defaults
    assert improved_defaults(ceopt.Permutation(30, "position")) == {
        "popsize": 60, "smoothing": 0.3, "keep_best": True}
    assert improved_defaults(ceopt.Permutation(30)) == {"popsize": 60, "keep_best": True}


def test_an_improved_run_is_the_same_on_a_thread_pool():
    from concurrent.futures import ThreadPoolExecutor
    fun = tour_length(np.random.default_rng(5).uniform(0, 1, (20, 20)))
    kwargs = dict(dist=ceopt.Permutation(20), vectorized=True, seed=1, improve=True,
                  max_evals=30_000)
    serial = ceopt.minimize(fun, **kwargs)
    with ThreadPoolExecutor(2) as pool:
        pooled = ceopt.minimize(fun, workers=pool, **kwargs)
    assert pooled.fun == serial.fun and pooled.nfev == serial.nfev
    assert np.array_equal(pooled.history["best"], serial.history["best"])

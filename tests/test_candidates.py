"""improve_order="candidates": descents over the moves that put only items the tour model
finds likely side by side, and over every move for a new best of the run."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import ceopt
from ceopt.improvement import Improvement, improved_defaults
from ceopt.instances import tour_length
from ceopt.moves import Combined, Insert, OrOpt, Swap, TwoOpt

REARRANGEMENTS = (TwoOpt, Swap, Insert, OrOpt)


def ring(x) -> set[frozenset]:
    """The pairs of items side by side in the closed tour ``x``, either way round."""
    return {frozenset((int(a), int(b))) for a, b in zip(x, np.roll(x, -1), strict=True)}


def new_pairs(moves, x, m) -> set[frozenset]:
    first, second, valid = moves.new_adjacencies(len(x))
    return {frozenset((int(x[p]), int(x[q])))
            for p, q, v in zip(first[m], second[m], valid[m], strict=True) if v}


@settings(max_examples=40, deadline=None)
@given(n=hs.integers(3, 9), kind=hs.sampled_from(REARRANGEMENTS + (None,)),
       seed=hs.integers(0, 2**32 - 1))
def test_a_moves_new_adjacencies_are_the_pairs_its_neighbour_has_and_the_point_had_not(
        n, kind, seed):
    moves = Combined([TwoOpt(), OrOpt()]) if kind is None else kind()
    x = np.random.default_rng(seed).permutation(n)
    out = moves.neighbours(x[None, :], np.arange(moves.count(n))[None, :])[0]
    for m, y in enumerate(out):
        assert new_pairs(moves, x, m) == ring(y) - ring(x)


def test_2opt_brings_two_new_pairs_and_a_swap_of_distant_items_four():
    first, second, valid = TwoOpt().new_adjacencies(8)
    assert valid.sum(axis=1).max() == 2
    x = np.arange(8)
    which = np.flatnonzero((Swap.table(8) != x).sum(axis=1) == 2)
    counts = [len(new_pairs(Swap(), x, m)) for m in which]
    assert max(counts) == 4 and min(counts) == 2   # neighbours in the ring share a pair


def fitted_to(tour, n, min_prob=1e-3):
    """A tour model that has learnt one tour, and only weakly anything else."""
    return ceopt.NodeTransition.uniform(n, cyclic=True, min_prob=min_prob).fit(
        np.array([tour]))


def test_likely_pairs_are_each_items_k_likeliest_neighbours_either_way():
    n = 8
    tour = np.random.default_rng(0).permutation(n)
    dist = fitted_to(tour, n)
    pairs = dist.likely_pairs(2)
    assert np.array_equal(pairs, pairs.T) and not pairs.diagonal().any()
    found = {frozenset((int(a), int(b))) for a, b in zip(*np.nonzero(pairs), strict=True)}
    assert found == ring(tour)
    # A model with nothing learnt ties everywhere, and keeps every pair.
    uniform = ceopt.NodeTransition.uniform(n, cyclic=True).likely_pairs(2)
    assert uniform.sum() == n * (n - 1)


def test_the_candidates_are_the_moves_whose_new_pairs_are_all_likely_in_a_random_order():
    n = 9
    rng = np.random.default_rng(1)
    dist = fitted_to(rng.permutation(n), n)
    likely = dist.likely_pairs(3)
    moves = Combined([TwoOpt(), OrOpt()])
    improvement = Improvement(moves, order="candidates")
    X = np.array([rng.permutation(n) for _ in range(4)])
    order, limit, _ = improvement._candidates(X, likely, rng)
    allowed = {frozenset((int(a), int(b))) for a, b in zip(*np.nonzero(likely), strict=True)}
    for x, row, count in zip(X, order, limit, strict=True):
        expected = [m for m in range(moves.count(n)) if new_pairs(moves, x, m) <= allowed]
        assert sorted(row[:count]) == expected
    # The order differs between rows with the same candidates.
    twins, _, _ = improvement._candidates(np.repeat(X[:1], 2, axis=0), likely, rng)
    assert not np.array_equal(twins[0], twins[1])


def brute_force_better(fun, moves, x, among=None) -> bool:
    """Whether a move of ``moves`` (those numbered ``among``, default all) improves ``x``."""
    which = np.arange(moves.count(len(x))) if among is None else np.asarray(among)
    around = moves.neighbours(x[None, :], which[None, :])[0]
    return bool(fun(around).min() < fun(x[None, :])[0])


def test_a_descent_ends_where_no_candidate_improves_and_a_new_best_where_no_move_does(
        monkeypatch):
    monkeypatch.setattr("ceopt.improvement.CANDIDATES", 2)   # the learnt tour's own pairs
    n = 14
    rng = np.random.default_rng(3)
    fun = tour_length(rng.uniform(0, 1, (n, n)))
    dist = fitted_to(rng.permutation(n), n, min_prob=1e-4)
    likely = dist.likely_pairs(2)
    moves = TwoOpt()
    improvement = Improvement(moves, order="candidates")
    X = np.array([rng.permutation(n) for _ in range(6)])
    losses = fun(X)
    spent = {}
    for record in (np.inf, -np.inf):
        calls: list[int] = []

        def evaluate(B, calls=calls):
            calls.append(len(B))
            return fun(B)

        Y, after, spent[record] = improvement(X, losses, evaluate, np.inf,
                                              np.random.default_rng(7), n_elite=6,
                                              dist=dist, record=record)
        assert spent[record] == sum(calls) and np.array_equal(after, fun(Y))
        assert np.all(after <= losses)
        for y in Y:
            order, limit, _ = improvement._candidates(y[None, :], likely, rng)
            assert limit[0] < moves.count(n)
            assert not brute_force_better(fun, moves, y, order[0, :limit[0]])
        if record == np.inf:   # every row beat the record: none has a better 2-opt move
            assert not any(brute_force_better(fun, moves, y) for y in Y)
    # Past a record no row beats (-inf) the descents stop at their candidates' optima.
    assert spent[-np.inf] < spent[np.inf]


def test_a_candidates_run_keeps_the_budget_and_returns_a_local_optimum_of_every_move():
    n = 20
    rng = np.random.default_rng(4)
    fun = tour_length(rng.uniform(0, 1, (n, n)))
    calls = []

    def counted(X):
        calls.append(len(X))
        return fun(X)

    res = ceopt.minimize(counted, dist=ceopt.Permutation(n), vectorized=True, seed=0,
                         improve="2opt", improve_order="candidates", max_evals=30_000)
    assert res.nfev == sum(calls) <= 30_000
    assert res.fun == fun(res.x[None, :])[0]
    unbounded = ceopt.minimize(fun, dist=ceopt.Permutation(n), vectorized=True, seed=0,
                               improve="2opt", improve_order="candidates", max_iter=8)
    assert not brute_force_better(fun, TwoOpt(), unbounded.x)


def test_candidates_apply_to_tours_and_their_rearrangements_only():
    fun = tour_length(np.ones((5, 5)))
    with pytest.raises(ValueError, match="applies to tours, Permutation.*PositionMatrix"):
        ceopt.minimize(fun, dist=ceopt.Permutation(5, "position"), improve="swap",
                       improve_order="candidates")
    with pytest.raises(ValueError, match="applies to tours.*Bernoulli"):
        ceopt.minimize(fun, dist=ceopt.Bernoulli(np.full(5, .5)), improve="flip",
                       improve_order="candidates")


@pytest.mark.parametrize("dist, improve, order", [
    (ceopt.Permutation(8), True, "candidates"),
    (ceopt.Permutation(8), "swap", "candidates"),
    (ceopt.Permutation(8), Combined([TwoOpt(), Swap()]), "candidates"),
    (ceopt.Permutation(8, "position"), True, "random"),
    (ceopt.Bernoulli(np.full(8, .5)), True, "random"),
])
def test_tours_take_candidate_moves_unless_told_otherwise(dist, improve, order):
    assert Improvement.parse(improve, None, dist, None).order == order
    assert Improvement.parse(improve, None, dist, "random").order == "random"


@pytest.mark.parametrize("n, popsize", [(10, 50), (40, 80), (76, 100), (150, 100)])
def test_a_candidates_run_draws_at_most_100_samples(n, popsize):
    dist = ceopt.Permutation(n)
    assert improved_defaults(dist, "candidates")["popsize"] == popsize
    assert improved_defaults(dist, "random")["popsize"] == max(50, 2 * n)

"""improve="or3opt": exchanges of two neighbouring stretches of a tour, the 3-opt moves that
reverse nothing beyond Or's; tried only among a descent's candidates when combined with
others (wide moves), and the default for tours over candidate moves."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import ceopt
from ceopt.improvement import WIDE_SHARE, Improvement
from ceopt.instances import tour_length
from ceopt.moves import Combined, OrOpt, OrThreeOpt, TwoOpt, moves_named


def closed(x) -> tuple[int, ...]:
    """A closed tour written from item 0: the same for every rotation of ``x``."""
    x = [int(v) for v in x]
    start = x.index(0)
    return tuple(x[start:] + x[:start])


def directed_ring(x) -> set[tuple[int, int]]:
    return {(int(a), int(b)) for a, b in zip(x, np.roll(x, -1), strict=True)}


def exchanges(n: int) -> set[tuple[int, ...]]:
    """Every tour ``A B C`` -> ``A C B`` of the tour 0 .. n-1, by brute force, as closed
    tours, without the tour itself."""
    x = list(range(n))
    out = {closed(x[:i] + x[j:k] + x[i:j] + x[k:])
           for i, j, k in itertools.combinations(range(n + 1), 3)}
    return out - {closed(x)}


def neighbours(moves, x) -> np.ndarray:
    return moves.neighbours(np.asarray(x)[None, :], np.arange(moves.count(len(x)))[None, :])[0]


@pytest.mark.parametrize("n", [5, 11, 12, 13, 17])
def test_or_moves_and_or3opt_together_are_every_exchange_of_two_stretches_once(n):
    x = np.arange(n)
    or3 = {closed(y) for y in neighbours(OrThreeOpt(), x)}
    assert len(or3) == OrThreeOpt().count(n)              # no two moves make the same tour
    oro = {closed(y) for y in neighbours(OrOpt(), x)} - {closed(x)}  # (some Or moves rotate)
    assert or3 | oro == exchanges(n) and not or3 & oro
    assert (OrThreeOpt().count(n) == 0) == (n < 11)       # two stretches of four, and more


@settings(max_examples=25, deadline=None)
@given(n=hs.integers(12, 20), seed=hs.integers(0, 2**32 - 1))
def test_an_exchange_keeps_the_direction_and_brings_three_new_pairs(n, seed):
    x = np.random.default_rng(seed).permutation(n)
    moves = OrThreeOpt()
    first, second, valid = moves.new_adjacencies(n)
    assert valid.all() and first.shape == (moves.count(n), 3)
    for m, y in enumerate(neighbours(moves, x)):
        assert np.array_equal(np.sort(y), np.arange(n))
        new = directed_ring(y) - directed_ring(x)
        assert new == {(int(x[p]), int(x[q])) for p, q in zip(first[m], second[m],
                                                               strict=True)}


def test_a_combination_puts_the_wide_moves_last_and_rounds_leave_them_out():
    n = 16
    moves = moves_named("2opt+oropt+or3opt")
    narrow = Combined([TwoOpt(), OrOpt()])
    assert moves.narrow(n) == narrow.count(n)
    assert moves.count(n) == narrow.count(n) + OrThreeOpt().count(n)
    x = np.random.default_rng(0).permutation(n)
    out = neighbours(moves, x)
    assert np.array_equal(out[:moves.narrow(n)], neighbours(narrow, x))
    assert np.array_equal(out[moves.narrow(n):], neighbours(OrThreeOpt(), x))
    first, second, valid = moves.new_adjacencies(n)
    for m, y in enumerate(out):   # the pairs each move brings, whichever part it is from
        got = {frozenset((int(x[p]), int(x[q])))
               for p, q, v in zip(first[m], second[m], valid[m], strict=True) if v}
        ring = {frozenset(pair) for pair in directed_ring(y)}
        assert got == ring - {frozenset(pair) for pair in directed_ring(x)}
    # Wide moves on their own are all tried in a round.
    assert moves_named("or3opt").narrow(n) == OrThreeOpt().count(n)
    alone = Combined([OrThreeOpt(), OrThreeOpt()])
    assert alone.narrow(n) == alone.count(n) == 2 * OrThreeOpt().count(n)


def test_wide_moves_join_the_candidates_only_once_they_are_few():
    n = 60   # 24,651 exchanges against 11,466 other moves
    rng = np.random.default_rng(2)
    improvement = Improvement(moves_named("2opt+oropt+or3opt"), order="candidates")
    narrow = improvement.moves.narrow(n)
    # Nothing learnt: every move is a candidate, and the wide ones are left out, also where
    # they are fewer than WIDE_SHARE times the others (n = 20: 331 against 1,046).
    for size in (n, 20):
        uniform = ceopt.NodeTransition.uniform(size, cyclic=True).likely_pairs(6)
        rows = np.array([rng.permutation(size) for _ in range(3)])
        order, limit, whole = improvement._candidates(rows, uniform, rng)
        others = improvement.moves.narrow(size)
        assert np.all(limit == others) and whole.all()
        assert np.array_equal(np.sort(order[0, :others]), np.arange(others))
    # A model learnt from three tours, and those tours: the wide candidates are kept where
    # they are at most WIDE_SHARE times the others.
    tours = np.array([rng.permutation(n) for _ in range(3)])
    model = ceopt.NodeTransition.uniform(n, cyclic=True, min_prob=1e-4).fit(tours)
    likely = model.likely_pairs(6)
    order, limit, whole = improvement._candidates(tours, likely, rng)
    first, second, new = improvement.moves.new_adjacencies(n)
    kept = []
    for x, row, count in zip(tours, order, limit, strict=True):
        candidates = np.flatnonzero((likely[x[first], x[second]] | ~new).all(axis=1))
        wide = candidates[candidates >= narrow]
        kept.append(wide.size <= WIDE_SHARE * (candidates.size - wide.size))
        expected = candidates if kept[-1] else candidates[candidates < narrow]
        assert np.array_equal(np.sort(row[:count]), expected)
    assert any(kept) and not whole.any()


def test_the_default_for_tours_adds_or3opt_among_candidates_only():
    dist = ceopt.Permutation(30)
    assert Improvement.parse(True, None, dist, None).moves.name == "2opt+oropt+or3opt"
    assert Improvement.parse(True, None, dist, "random").moves.name == "2opt+oropt"
    assert Improvement.parse("2opt", None, dist, None).moves.name == "2opt"


def brute_force_better(fun, moves, x) -> bool:
    return bool(fun(neighbours(moves, x)).min() < fun(x[None, :])[0])


def test_a_run_with_or3opt_keeps_the_budget_and_ends_at_an_optimum_of_the_narrow_moves():
    n = 24
    rng = np.random.default_rng(5)
    fun = tour_length(rng.uniform(0, 1, (n, n)))   # asymmetric
    calls = []

    def counted(X):
        calls.append(len(X))
        return fun(X)

    res = ceopt.minimize(counted, dist=ceopt.Permutation(n), vectorized=True, seed=1,
                         improve=True, max_evals=60_000)
    assert res.nfev == sum(calls) <= 60_000
    assert res.fun == fun(res.x[None, :])[0]
    unbounded = ceopt.minimize(fun, dist=ceopt.Permutation(n), vectorized=True, seed=1,
                               improve=True, max_iter=6)
    assert not brute_force_better(fun, Combined([TwoOpt(), OrOpt()]), unbounded.x)
    again = ceopt.minimize(fun, dist=ceopt.Permutation(n), vectorized=True, seed=1,
                           improve=True, max_iter=6)
    assert np.array_equal(again.x, unbounded.x) and again.nfev == unbounded.nfev


def test_or3opt_alone_on_a_short_tour_has_no_moves_and_changes_nothing():
    n = 8
    fun = tour_length(np.random.default_rng(0).uniform(0, 1, (n, n)))
    res = ceopt.minimize(fun, dist=ceopt.Permutation(n), vectorized=True, seed=0,
                         improve="or3opt", improve_order="random", max_iter=3)
    plain = ceopt.minimize(fun, dist=ceopt.Permutation(n), vectorized=True, seed=0,
                           improve=False, popsize=res.nfev // res.nit, max_iter=3)
    assert res.nfev == plain.nfev


def test_wide_moves_combined_only_with_wide_ones_are_all_tried_among_candidates():
    n = 14
    fun = tour_length(np.random.default_rng(0).uniform(0, 1, (n, n)))
    moves = moves_named("or3opt+or3opt")
    first, second, valid = moves.new_adjacencies(n)
    assert first.shape[0] == moves.count(n) == moves.narrow(n) and valid.sum(axis=1).min() == 3
    res = ceopt.minimize(fun, dist=ceopt.Permutation(n), vectorized=True, seed=0,
                         improve=moves, max_iter=3)
    assert res.fun == fun(res.x[None, :])[0]
    assert not brute_force_better(fun, OrThreeOpt(), res.x)

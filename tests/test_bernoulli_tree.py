"""Bits with a tree of dependencies: the draws follow the tree's probabilities, the fit is
Chow and Liu's (the best tree by weighted likelihood), and a run with it solves a problem whose
two optima independent bits cannot tell apart."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import ceopt
from ceopt import Bernoulli, BernoulliTree
from ceopt.distributions import from_state, to_state

SEEDS = hs.integers(0, 2**32 - 1)


def every_string(d):
    return np.array(list(itertools.product([0, 1], repeat=d)), dtype=bool)


def learned(d, seed, min_prob=None):
    """A tree fitted (with smoothing) to a few weighted strings: uneven dependencies."""
    rng = np.random.default_rng(seed)
    start = BernoulliTree(rng.uniform(0.2, 0.8, d), min_prob=min_prob)
    x = rng.random((6, d)) < 0.5
    x[:, -1] = x[:, 0]  # one strong edge (none for a single bit)
    return start.smooth(start.fit(x, rng.uniform(0.1, 1, 6)), 0.8)


def tree_likelihood(x, w, parent):
    """The weighted log-likelihood of the MLE tree with these parents (no floor), from the
    weighted counts: what Chow and Liu's tree must match or beat for every tree."""
    total = 0.0
    for j, q in enumerate(parent):
        given = x[:, q] if q >= 0 else np.zeros(len(x), dtype=int)
        for a, b in itertools.product([0, 1], repeat=2):
            joint = w[(given == a) & (x[:, j] == b)].sum()
            if joint > 0:
                total += joint * np.log(joint / w[given == a].sum())
    return total


def all_trees(d):
    """Every spanning tree on d labelled nodes (Prüfer sequences), as parents from root 0."""
    for code in itertools.product(range(d), repeat=d - 2):
        degree = [1] * d
        for v in code:
            degree[v] += 1
        edges, code = [], list(code)
        for v in code:
            leaf = min(i for i in range(d) if degree[i] == 1)
            edges.append((leaf, v))
            degree[leaf] -= 1
            degree[v] -= 1
        u, v = [i for i in range(d) if degree[i] == 1]
        edges.append((u, v))
        parent, frontier = [-1] * d, [0]
        seen = {0}
        while frontier:
            a = frontier.pop()
            for e in edges:
                for s, t in (e, e[::-1]):
                    if s == a and t not in seen:
                        parent[t], seen = s, seen | {t}
                        frontier.append(t)
        yield parent


@given(d=hs.integers(1, 8), m=hs.integers(0, 30), seed=SEEDS)
@settings(max_examples=60, deadline=None)
def test_samples_are_bits_and_a_seed_repeats_them(d, m, seed):
    tree = learned(d, seed)
    x = tree.sample(m, np.random.default_rng(seed))
    assert x.shape == (m, d) and x.dtype == bool
    assert np.array_equal(x, tree.sample(m, np.random.default_rng(seed)))


def test_log_prob_is_a_distribution_that_the_draws_follow():
    tree = learned(5, 1)
    strings = every_string(5)
    p = np.exp(tree.log_prob(strings))
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    m = 200_000
    code = tree.sample(m, np.random.default_rng(0)) @ 2 ** np.arange(5)
    freq = np.bincount(code, minlength=32)[strings @ 2 ** np.arange(5)] / m
    se = np.sqrt(p * (1 - p) / m)
    # 32 cells: |z| < 4 everywhere has probability > 0.998 under the model.
    assert np.all(np.abs(freq - p) < 4 * se + 1e-12)


@given(d=hs.integers(1, 7), seed=SEEDS)
@settings(max_examples=40, deadline=None)
def test_marginals_mode_and_entropy_are_those_of_the_mass(d, seed):
    tree = learned(d, seed)
    strings = every_string(d)
    p = np.exp(tree.log_prob(strings))
    np.testing.assert_allclose(tree.marginals, p @ strings, atol=1e-12)
    assert tree.entropy() == pytest.approx(-(p * np.log(p)).sum(), abs=1e-10)
    best = tree.log_prob(tree.mode[None, :])[0]
    assert best == pytest.approx(tree.log_prob(strings).max(), abs=1e-12)


@given(n=hs.integers(2, 25), seed=SEEDS)
@settings(max_examples=40, deadline=None)
def test_the_fit_is_the_best_tree_by_weighted_likelihood(n, seed):
    """Chow and Liu: no tree on four bits explains the weighted samples better."""
    rng = np.random.default_rng(seed)
    x = (rng.random((n, 4)) < rng.uniform(0.1, 0.9, 4)).astype(int)
    x[:, 2] ^= x[:, 0] & (rng.random(n) < 0.8)
    w = rng.uniform(0.1, 1.0, n)
    fitted = BernoulliTree(np.full(4, 0.5), min_prob=0).fit(x, w)
    w = w / w.sum()
    got = w @ fitted.log_prob(x)
    best = max(tree_likelihood(x, w, parent) for parent in all_trees(4))
    assert got == pytest.approx(best, abs=1e-9)
    assert got >= w @ Bernoulli(np.full(4, 0.5), min_prob=0).fit(x, w).log_prob(x) - 1e-9


def test_the_fit_recovers_the_tree_that_drew_the_samples():
    rng = np.random.default_rng(4)
    m, d = 20_000, 6
    x = np.zeros((m, d), dtype=bool)
    x[:, 0] = rng.random(m) < 0.5
    parents = [-1, 0, 1, 1, 0, 4]  # 0-1, 1-2, 1-3, 0-4, 4-5
    for j in range(1, d):
        x[:, j] = np.where(rng.random(m) < 0.85, x[:, parents[j]], ~x[:, parents[j]])
    fitted = BernoulliTree(np.full(d, 0.5), min_prob=0).fit(x)
    edges = {frozenset((j, int(q))) for j, q in enumerate(fitted.parent) if q >= 0}
    assert edges == {frozenset((j, q)) for j, q in enumerate(parents) if q >= 0}
    for j, q in enumerate(fitted.parent):
        if q >= 0:  # P(x_j = 1 | parent = 1) = 0.85, P(x_j = 1 | parent = 0) = 0.15
            se = np.sqrt(0.85 * 0.15 / (m / 2))
            assert abs(fitted.table[j, 1] - 0.85) < 5 * se
            assert abs(fitted.table[j, 0] - 0.15) < 5 * se


def test_independent_moments_draw_what_bernoulli_draws():
    p = np.array([0.1, 0.5, 0.7, 0.95])
    strings = every_string(4)
    np.testing.assert_allclose(BernoulliTree(p, min_prob=0).log_prob(strings),
                               Bernoulli(p, min_prob=0).log_prob(strings), atol=1e-12)
    x = np.random.default_rng(1).random((30, 4)) < p
    floor = 0.01
    fitted = BernoulliTree(p, min_prob=floor).fit(x)
    # With no dependence kept, the floored marginals are Bernoulli's floored frequencies.
    flat = BernoulliTree(fitted.p, min_prob=floor)
    np.testing.assert_allclose(flat.marginals, Bernoulli(p, min_prob=floor).fit(x).p)


def test_smoothing_mixes_the_moments():
    old, new = learned(5, 1), learned(5, 2)
    half = old.smooth(new, 0.5)
    np.testing.assert_allclose(half.p, (old.p + new.p) / 2)
    np.testing.assert_allclose(half.pair, (old.pair + new.pair) / 2)
    assert np.array_equal(old.smooth(new, 1.0).table, new.table)
    assert np.array_equal(old.smooth(new, 0.0).table, old.table)


def test_the_floor_keeps_every_string_possible_and_zero_lets_bits_freeze():
    ones = np.ones((5, 4), dtype=bool)
    floored = BernoulliTree(np.full(4, 0.5)).fit(ones)
    assert np.all(np.isfinite(floored.log_prob(every_string(4))))
    assert floored.spread == pytest.approx(floored.min_spread)
    frozen = BernoulliTree(np.full(4, 0.5), min_prob=0).fit(ones)
    assert np.all(frozen.sample(100, np.random.default_rng(0)))
    assert frozen.spread == 0 and frozen.entropy() == 0


def test_state_round_trip_is_exact():
    tree = learned(6, 3)
    back = from_state(to_state(tree))
    assert type(back) is BernoulliTree
    assert np.array_equal(back.table, tree.table) and np.array_equal(back.parent, tree.parent)


@pytest.mark.parametrize("make, match", [
    (lambda: BernoulliTree([0.5, 1.5]), r"p must hold probabilities"),
    (lambda: BernoulliTree([0.5, 0.5], np.eye(3)), r"shape \(2, 2\)"),
    (lambda: BernoulliTree([0.5, 0.5], [[0.5, 0.1], [0.3, 0.5]]), "symmetric"),
    (lambda: BernoulliTree([0.5, 0.5], [[0.4, 0.25], [0.25, 0.5]]), "diagonal must equal p"),
    (lambda: BernoulliTree([0.5, 0.5], [[0.5, 0.6], [0.6, 0.5]]), r"min\(p_i, p_j\)"),
    (lambda: BernoulliTree([0.5, 0.5], min_prob=0.5), "min_prob"),
    (lambda: BernoulliTree([0.5, 0.5]).fit([[0, 2]]), "0/1 or bool"),
    (lambda: BernoulliTree([0.5, 0.5]).smooth(Bernoulli([0.5, 0.5]), 0.5), "cannot smooth"),
])
def test_bad_input_names_the_problem(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def ring(B):
    """Ising ring: the number of neighbours (cyclically) that agree; optima all 0 or all 1."""
    B = np.asarray(B, dtype=bool)
    return (B == np.roll(B, 1, axis=1)).sum(axis=1)


def test_a_tree_run_finds_an_optimum_of_the_ising_ring():
    n = 32
    res = ceopt.maximize(ring, dist=BernoulliTree(np.full(n, 0.5)), vectorized=True, seed=1,
                         max_evals=100_000, ftarget=n)
    assert res.fun == n and (res.x.all() or not res.x.any())


def test_improve_flips_the_bits_of_a_tree_run():
    n = 24
    res = ceopt.maximize(ring, dist=BernoulliTree(np.full(n, 0.5)), vectorized=True, seed=2,
                         max_evals=50_000, ftarget=n, improve=True)
    assert res.fun == n


def test_a_tree_run_resumes_bit_for_bit(tmp_path):
    n, path = 16, tmp_path / "run.ckpt"
    full = ceopt.maximize(ring, dist=BernoulliTree(np.full(n, 0.5)), vectorized=True, seed=5,
                          max_iter=8)
    ceopt.maximize(ring, dist=BernoulliTree(np.full(n, 0.5)), vectorized=True, seed=5,
                   max_iter=4, checkpoint=path)
    resumed = ceopt.resume(path, ring, max_iter=8)
    assert np.array_equal(resumed.x, full.x) and resumed.nfev == full.nfev
    assert np.array_equal(resumed.dist.pair, full.dist.pair)


def test_a_tree_proposal_estimates_a_rare_event_of_independent_bits():
    """P(at least 27 of 30 fair bits are 1) = 4526 / 2**30; the tree is a valid proposal."""
    res = ceopt.estimate_rare_event(lambda B: B.sum(axis=1), Bernoulli(np.full(30, 0.5)), 27,
                                    proposal=BernoulliTree(np.full(30, 0.5)), seed=3,
                                    final_samples=20_000)
    exact = 4526 / 2**30
    assert abs(res.probability - exact) < 4 * res.std_error


def test_a_tree_learns_at_its_own_default_rate_unless_told():
    tree = BernoulliTree(np.full(4, 0.5))
    assert ceopt.CrossEntropy(dist=tree).update_rule.smoothing == 0.3
    assert ceopt.CrossEntropy(dist=tree, smoothing=0.9).update_rule.smoothing == 0.9
    assert ceopt.CrossEntropy(dist=tree, method="textbook").update_rule.smoothing == 0.7

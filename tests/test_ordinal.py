"""The ordinal (discrete Laplace) family: its law, its weighted MLE, its floor, its use."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import ceopt
from ceopt import Ordinal
from ceopt.distributions import from_state, to_state
from ceopt.distributions.ordinal import _mean_distance

SEEDS = hs.integers(0, 2**32 - 1)


@hs.composite
def ordinals(draw):
    rng = np.random.default_rng(draw(SEEDS))
    d = draw(hs.integers(1, 5))
    sizes = rng.integers(2, 40, d)
    return Ordinal(rng.integers(0, sizes), rng.uniform(0.0, 0.95, d), sizes, min_decay=0.0)


def law(mode, q, n):
    """P(v) = q**|v - m| / Z over 0 .. n-1, written out."""
    mass = np.array([q ** abs(v - mode) for v in range(n)])
    return mass / mass.sum()


def log_likelihood(x, w, mode, q, n):
    return float(w @ np.log(law(mode, q, n)[x]))


@given(dist=ordinals())
def test_probs_are_the_discrete_laplace_law(dist):
    probs = dist.probs
    for j, n in enumerate(dist.sizes):
        np.testing.assert_allclose(probs[j, :n], law(dist.mode[j], dist.decay[j], n),
                                   rtol=1e-9, atol=1e-15)
        assert np.all(probs[j, n:] == 0)


def test_sample_frequencies_match_the_law_within_their_standard_error():
    dist = Ordinal([2, 0, 7, 500], [0.5, 0.1, 0.9, 0.99], [5, 2, 16, 1000])
    n = 200_000
    x = dist.sample(n, np.random.default_rng(5))
    assert x.dtype == np.int64 and x.shape == (n, 4)
    probs = dist.probs
    for j, size in enumerate(dist.sizes):
        freq = np.bincount(x[:, j], minlength=size) / n
        se = np.sqrt(probs[j, :size] * (1 - probs[j, :size]) / n)
        assert np.all(np.abs(freq - probs[j, :size]) <= 5 * se + 1e-12), j


@given(dist=ordinals())
def test_log_prob_is_the_log_of_the_law_and_minus_infinity_outside(dist):
    x = dist.sample(20, np.random.default_rng(0))
    probs = dist.probs
    expected = np.log(probs[np.arange(dist.dim), x]).sum(axis=1)
    np.testing.assert_allclose(dist.log_prob(x), expected, rtol=1e-9)
    outside = x.copy()
    outside[0, 0] = dist.sizes[0]
    assert dist.log_prob(outside)[0] == -np.inf


@settings(max_examples=50)
@given(dist=ordinals(), seed=SEEDS, n=hs.integers(2, 60))
def test_fit_takes_a_weighted_median_and_the_likelihood_equations_decay(dist, seed, n):
    rng = np.random.default_rng(seed)
    x = dist.sample(n, rng)
    w = rng.uniform(0.1, 1.0, n)
    w /= w.sum()
    fitted = dist.fit(x, w)
    for j, size in enumerate(dist.sizes):
        m = fitted.mode[j]
        # a weighted median: at most half of the weight strictly below it and above it
        assert w[x[:, j] < m].sum() <= 0.5 + 1e-9 and w[x[:, j] > m].sum() <= 0.5 + 1e-9
        distance = w @ np.abs(x[:, j] - m)
        q = fitted.decay[j]
        if distance == 0:
            assert q == 0
            continue
        if distance >= np.abs(np.arange(size) - m).mean():  # wider than uniform: q < 1 caps it
            assert q >= 1 - 1e-6
            continue
        # the model's mean distance from the mode is the samples' ...
        model = _mean_distance(np.array([q]), np.array([size - m]), np.array([m]))[0]
        assert model == pytest.approx(distance, rel=1e-3)
        # ... so no other decay is more likely, given the mode
        best = log_likelihood(x[:, j], w, m, q, size)
        for other in (q * 0.9, q + 0.1 * (1 - q)):
            assert log_likelihood(x[:, j], w, m, other, size) <= best + 1e-9


@given(dist=ordinals(), seed=SEEDS)
@pytest.mark.slow
def test_integer_weights_are_repeated_samples_and_scale_does_not_matter(dist, seed):
    rng = np.random.default_rng(seed)
    x = dist.sample(8, rng)
    counts = rng.integers(1, 4, 8)
    by_weight = dist.fit(x, counts)
    repeated = dist.fit(np.repeat(x, counts, axis=0))
    scaled = dist.fit(x, 1e6 * counts)
    for other in (repeated, scaled):
        np.testing.assert_array_equal(by_weight.mode, other.mode)
        np.testing.assert_allclose(by_weight.decay, other.decay, rtol=1e-9)


def test_a_large_sample_fit_recovers_the_parameters():
    dist = Ordinal([3, 10, 0], [0.3, 0.7, 0.5], [8, 30, 4], min_decay=0.0)
    fitted = dist.fit(dist.sample(100_000, np.random.default_rng(1)))
    np.testing.assert_array_equal(fitted.mode, dist.mode)
    np.testing.assert_allclose(fitted.decay, dist.decay, atol=0.01)


def test_the_floor_keeps_the_neighbours_of_the_mode():
    dist = Ordinal.uniform([2, 5, 50], min_decay=[0.01, 0.02, 0.05])
    collapsed = dist.fit(np.array([[1, 2, 40]] * 10))
    np.testing.assert_array_equal(collapsed.mode, [1, 2, 40])
    np.testing.assert_allclose(collapsed.decay, [0.01, 0.02, 0.05])
    probs = collapsed.probs
    assert probs[2, 41] == pytest.approx(0.05 * probs[2, 40])
    assert collapsed.spread_above_floor == pytest.approx(0.0, abs=1e-12)
    assert dist.spread_above_floor > 0.5  # the uniform start is far above it


def test_smoothing_mixes_the_decay_and_moves_the_mode_by_the_rounded_mix():
    old = Ordinal([0, 10], [0.2, 0.8], [5, 20], min_decay=0.0)
    new = Ordinal([4, 12], [0.6, 0.4], [5, 20], min_decay=0.0)
    mixed = old.smooth(new, 0.6)
    np.testing.assert_array_equal(mixed.mode, [2, 11])  # 2.4 -> 2, 11.2 -> 11
    np.testing.assert_allclose(mixed.decay, [0.44, 0.56])
    assert old.smooth(new, 1.0).mode.tolist() == [4, 12]
    assert old.smooth(new, 0.0).mode.tolist() == [0, 10]


def test_state_round_trips_exactly():
    dist = Ordinal([1, 7], [0.3, 0.123456789], [3, 9], min_decay=[0.01, 0.02])
    back = from_state(to_state(dist))
    assert isinstance(back, Ordinal)
    for name in ("mode", "decay", "sizes", "min_decay"):
        np.testing.assert_array_equal(getattr(back, name), getattr(dist, name))


@pytest.mark.parametrize("make, match", [
    (lambda: Ordinal([0], [0.5], [1]), "at least 2 values"),
    (lambda: Ordinal([3], [0.5], [3]), r"mode\[0\] = 3 is outside 0 .. 2"),
    (lambda: Ordinal([0.5], [0.5], [3]), "mode must be 1 integers"),
    (lambda: Ordinal([0], [1.0], [3]), r"decay must be 1 numbers in \[0, 1\)"),
    (lambda: Ordinal([0], [0.5], [3], min_decay=1.0), r"min_decay must be in \[0, 1\)"),
    (lambda: Ordinal([0], [0.5], [2.5]), "sizes must be a non-empty list of integers"),
    (lambda: Ordinal([0], [0.5], [3]).fit([[3]]), "integers in 0 .. 2 in column 0"),
])
def test_bad_parameters_name_what_to_pass(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("seed", range(5))
def test_minimize_with_an_ordinal_distribution_finds_an_integer_optimum(seed):
    # With a budget the run restarts after a search that settled one value off (without one,
    # 2 of 6 seeds end there: benchmarks/results/integer-ranges.md has the families' figures).
    target = np.array([3, 17, 0, 41, 29, 8])

    def f(v):
        return np.sum((v - target) ** 2, axis=1)
    res = ceopt.minimize(f, dist=Ordinal.uniform([10, 20, 5, 50, 50, 9]), vectorized=True,
                         seed=seed, max_evals=5000)
    np.testing.assert_array_equal(res.x, target)
    assert isinstance(res.dist, Ordinal)

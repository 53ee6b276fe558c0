"""Mixture: EM finds the components and their number, the density is the weighted sum, and
smoothing moves each component from the old one nearest it."""

import numpy as np
import pytest
from scipy.special import logsumexp

from ceopt import Exponential, Gaussian, Mixture
from ceopt.distributions import FAMILIES, from_state, to_state


def two_clusters(n=3000, share=0.3, seed=0):
    rng = np.random.default_rng(seed)
    k = int(share * n)
    return np.vstack([rng.normal([-4.0, 0.0], 0.5, (k, 2)),
                      rng.normal([4.0, 1.0], 1.0, (n - k, 2))])


def test_fit_finds_two_clusters_their_weights_and_spreads():
    m = Mixture([Gaussian(np.zeros(2), np.eye(2))]).fit(two_clusters())
    assert len(m.components) == 2
    left, right = sorted(range(2), key=lambda k: m.components[k].mean[0])
    se = np.sqrt(0.3 * 0.7 / 3000)
    assert abs(m.weights[left] - 0.3) < 4 * se
    assert np.allclose(m.components[left].mean, [-4.0, 0.0], atol=4 * 0.5 / np.sqrt(900))
    assert np.allclose(m.components[right].std, 1.0, atol=0.1)
    assert np.allclose(m.components[left].std, 0.5, atol=0.05)


def test_one_cluster_keeps_one_component():
    x = np.random.default_rng(1).normal(0, 1, (3000, 3))
    assert len(Mixture([Gaussian(np.zeros(3), np.eye(3))]).fit(x).components) == 1


def test_integer_weights_fit_as_repeated_samples():
    x = two_clusters(600, seed=2)
    w = np.random.default_rng(3).integers(1, 4, len(x))
    start = Mixture([Gaussian(np.zeros(2), np.eye(2))])
    a, b = start.fit(x, w), start.fit(np.repeat(x, w, axis=0))
    assert len(a.components) == len(b.components) == 2
    assert np.allclose(a.weights, b.weights, atol=1e-6)
    for ca, cb in zip(a.components, b.components, strict=True):
        assert np.allclose(ca.mean, cb.mean, atol=1e-6)
        assert np.allclose(ca.cov, cb.cov, atol=1e-6)


def test_log_prob_is_the_weighted_sum_and_samples_follow_the_weights():
    comps = [Gaussian([0.0, 0.0], np.eye(2)), Gaussian([6.0, 0.0], 0.25 * np.eye(2))]
    m = Mixture(comps, [0.2, 0.8])
    x = np.random.default_rng(4).normal(0, 3, (50, 2))
    manual = logsumexp([np.log(0.2) + comps[0].log_prob(x), np.log(0.8) + comps[1].log_prob(x)],
                       axis=0)
    assert np.allclose(m.log_prob(x), manual)
    n = 20_000
    share = (m.sample(n, np.random.default_rng(5))[:, 0] > 3).mean()
    assert abs(share - 0.8) < 4 * np.sqrt(0.16 / n)


def test_smoothing_moves_each_component_from_the_old_one_nearest_it():
    old = Mixture([Gaussian([-1.0, 0.0], np.eye(2)), Gaussian([1.0, 0.0], np.eye(2))])
    new = Mixture([Gaussian([3.0, 0.0], np.eye(2)), Gaussian([-3.0, 0.0], np.eye(2))],
                  [0.6, 0.4])
    s = old.smooth(new, 0.5)
    assert [c.mean[0] for c in s.components] == [2.0, -2.0]  # paired by nearness, not order
    assert np.allclose(s.weights, [0.55, 0.45])
    one = Mixture([Gaussian([0.0, 0.0], np.eye(2))]).smooth(new, 0.5)
    assert len(one.components) == 2  # the new number of components, each moved from the one
    assert [c.mean[0] for c in one.components] == [1.5, -1.5]


def test_a_mixture_of_another_family():
    rng = np.random.default_rng(6)
    x = np.vstack([rng.exponential(0.1, (1500, 1)), rng.exponential(10.0, (1500, 1))])
    m = Mixture([Exponential([1.0])]).fit(x)
    assert len(m.components) == 2
    assert sorted(c.mean[0] for c in m.components) == pytest.approx([0.1, 10.0], rel=0.2)


def test_state_round_trip_and_registry():
    m = Mixture([Gaussian([0.0, 1.0], np.eye(2)), Gaussian([2.0, 1.0], 2 * np.eye(2))],
                [0.3, 0.7], max_components=5)
    back = from_state(to_state(m))
    assert FAMILIES.find("Mixture") is Mixture
    assert back.max_components == 5 and np.array_equal(back.weights, m.weights)
    x = np.random.default_rng(7).normal(size=(10, 2))
    assert np.array_equal(back.log_prob(x), m.log_prob(x))


@pytest.mark.parametrize("args, kwargs, match", [
    (([],), {}, "at least one"),
    (([Gaussian([0.0], 1.0), Exponential([1.0])],), {}, "one family and dimension"),
    (([Gaussian([0.0], 1.0), Gaussian([0.0, 0.0], np.eye(2))],), {}, "one family"),
    (([Gaussian([0.0], 1.0)], [-1.0]), {}, "non-negative"),
    (([Gaussian([0.0], 1.0)],), {"max_components": 0}, "max_components"),
    (([np.zeros(2)],), {}, "must be a ceopt Distribution"),
])
def test_bad_input(args, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Mixture(*args, **kwargs)

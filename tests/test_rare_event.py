"""Rare-event estimation: exact tails within the reported standard error, and degeneracy that
is reported instead of returned as a confident wrong answer."""

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st

import ceopt
from ceopt import (
    Bernoulli,
    DiagGaussian,
    Exponential,
    RareEventWarning,
    estimate_rare_event,
)


def total(X):
    return X.sum(axis=1).astype(np.float64)


def assert_estimates(res, exact):
    """Within 3 reported standard errors, relative error below 5%, a sound final ESS."""
    assert res.converged
    assert abs(res.probability - exact) < 3 * res.std_error, (res, exact)
    assert res.rel_error < 0.05
    assert res.ess > 100


@pytest.mark.parametrize("exact", [1e-6, 1e-10])
def test_gaussian_tail(exact):
    level = np.sqrt(10) * st.norm.isf(exact)  # S = sum of 10 standard normals ~ N(0, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RareEventWarning)
        res = estimate_rare_event(total, DiagGaussian(np.zeros(10), 1.0), level, seed=1)
    assert_estimates(res, exact)
    assert res.nfev == res.n_iter * 2000 + 100_000  # default: 100 samples x 20 parameters


def test_bernoulli_tail_of_100_bits_with_default_settings():
    exact = st.binom.sf(39, 100, 0.1)  # P(at least 40 ones of 100) = 2.9455e-15
    with warnings.catch_warnings():
        warnings.simplefilter("error", RareEventWarning)
        res = estimate_rare_event(total, Bernoulli(np.full(100, 0.1)), 40, seed=2)
    assert_estimates(res, exact)
    # Ties: every sample at the quantile is an elite, so the discrete levels rise to 40.
    assert res.levels[-1] == 40 and np.all(np.diff(res.levels) > 0)


@pytest.mark.parametrize("level", [20.0, 30.0])
def test_exponential_tail_against_erlang(level):
    exact = st.gamma.sf(level, 5)  # the sum of 5 Exp(1) is Erlang(5, 1)
    res = estimate_rare_event(total, Exponential(np.ones(5)), level, seed=3)
    assert_estimates(res, exact)


def test_degenerate_weights_warn_instead_of_answering_silently():
    # 100 bits fitted from 200 samples a level: the weights collapse onto a few points and the
    # estimate comes out orders of magnitude off (1e-35 against 3e-15 at this seed).
    with pytest.warns(RareEventWarning) as record:
        res = estimate_rare_event(total, Bernoulli(np.full(100, 0.1)), 40, n_samples=200,
                                  seed=0)
    messages = [str(w.message) for w in record]
    assert any("effective sample size" in m for m in messages)
    assert any("not to be trusted" in m for m in messages)
    assert res.ess < 100 and res.level_ess.min() < 100


def test_an_unreached_level_warns_and_says_how_far_it_got():
    with pytest.warns(RareEventWarning) as record:
        res = estimate_rare_event(total, DiagGaussian(np.zeros(10), 1.0), 40.0, max_iter=2,
                                  final_samples=1000, seed=0)
    messages = [str(w.message) for w in record]
    assert any("not reached in 2 levels" in m for m in messages)
    assert any("no final sample reached" in m for m in messages) and res.probability == 0
    assert not res.converged and res.n_iter == 2 and "the last was" in res.message


def test_a_score_stuck_on_one_value_stops_with_a_message_not_a_loop():
    with pytest.warns(RareEventWarning) as record:
        res = estimate_rare_event(lambda X: np.minimum(X.sum(axis=1), 3.0),
                                  Bernoulli(np.full(20, 0.1)), 5, seed=0, final_samples=1000)
    assert not res.converged and "stopped rising at 3" in res.message
    assert any("stopped rising" in str(w.message) for w in record)
    assert res.probability == 0 and res.levels[-1] == 3


def test_coarse_integer_scores_step_to_the_next_attained_value():
    # floor(sum / 10) >= 4 is the event sum >= 40 seen through a coarse score: the 0.9
    # quantile sits on the last level for several levels, and the run steps past the ties.
    # Each step is a big jump for the likelihood ratio, so levels may warn of a thin ESS.
    exact = st.binom.sf(39, 100, 0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RareEventWarning)
        res = estimate_rare_event(lambda X: np.floor(X.sum(axis=1) / 10),
                                  Bernoulli(np.full(100, 0.1)), 4, seed=1)
    assert_estimates(res, exact)
    np.testing.assert_array_equal(res.levels, [1, 2, 3, 4])
    # Redraws double the samples of a stalled level only: 4 levels, at most 3 redraws each.
    assert res.nfev <= 4 * (10_000 + 20_000 + 40_000 + 80_000) + 100_000


def test_support_is_checked_from_the_parameters():
    # A proposal bit frozen at 0 misses a third of the event though sampling would not see it.
    with pytest.raises(ValueError, match="probability 0"):
        estimate_rare_event(total, Bernoulli(np.full(3, 1e-5)), 1.0,
                            proposal=Bernoulli(np.array([0.5, 0.5, 0.0]), min_prob=0))
    with pytest.raises(ValueError, match="probability 0"):
        estimate_rare_event(lambda X: np.abs(X[:, 0] - 6), DiagGaussian([6.0], 1.0), 6.5,
                            proposal=Exponential([6.0]))
    # The other way round is fine: a Gaussian covers an exponential's support.
    res = estimate_rare_event(total, Exponential(np.ones(2)), 12.0,
                              proposal=DiagGaussian(np.ones(2), 1.0), seed=0,
                              final_samples=20_000)
    assert abs(res.probability - st.gamma.sf(12.0, 2)) < 4 * res.std_error


def test_probabilities_below_float64s_range_keep_their_logarithm():
    # P(Exp(1) >= 800) = exp(-800): probability underflows to 0, its log does not.
    # (An exponential proposal cannot concentrate near 800, so this tail is estimated with a
    # 10 % relative error and thin weights, which the warnings also say.)
    with pytest.warns(RareEventWarning) as record:
        res = estimate_rare_event(total, Exponential([1.0]), 800.0, seed=0)
    assert any("read log_probability" in str(w.message) for w in record)
    assert res.converged and res.probability == 0.0
    assert abs(res.log_probability - (-800.0)) < 3 * res.rel_error < 0.5


def test_same_seed_same_estimate():
    args = (total, DiagGaussian(np.zeros(5), 1.0), 8.0)
    kw = {"final_samples": 5000, "seed": 7}
    a, b = estimate_rare_event(*args, **kw), estimate_rare_event(*args, **kw)
    assert a.probability == b.probability and np.array_equal(a.levels, b.levels)
    assert estimate_rare_event(*args, final_samples=5000, seed=8).probability != a.probability


def test_scalar_scores_work_and_the_result_reads_well():
    res = estimate_rare_event(lambda x: float(x.sum()), Exponential(np.ones(2)), 12.0,
                              vectorized=False, n_samples=1000, final_samples=5000, seed=0)
    assert abs(res.probability - st.gamma.sf(12.0, 2)) < 4 * res.std_error
    assert repr(res).startswith("RareEventResult(probability=")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"proposal": Exponential(np.ones(3))}, ValueError, "probability 0"),
    ({"proposal": Bernoulli(np.full(3, 0.5))}, ValueError, "discrete vs continuous"),
    ({"proposal": DiagGaussian(np.zeros(4), 1.0)}, ValueError, "dimensions differ"),
    ({"elite_frac": 1.0}, ValueError, "elite_frac"),
    ({"n_samples": 1}, ValueError, "n_samples"),
    ({"smoothing": 0}, ValueError, "smoothing"),
    ({"level": np.inf}, ValueError, "level"),
])
def test_bad_input_is_a_clear_error(kwargs, error, match):
    kwargs = {"level": 5.0, **kwargs}
    with pytest.raises(error, match=match):
        estimate_rare_event(total, DiagGaussian(np.zeros(3), 1.0), **kwargs)


def test_non_finite_scores_are_counted_as_missing_the_level_with_a_warning():
    with pytest.warns(RuntimeWarning, match="on_nan"):
        res = estimate_rare_event(lambda X: np.where(X[:, 0] > 1, np.nan, X.sum(axis=1)),
                                  DiagGaussian(np.zeros(3), 1.0), 5.0, seed=0)
    assert res.nfail > 0 and res.failures[0].startswith("returned nan")
    assert res.probability < st.norm.sf(5.0 / np.sqrt(3.0))  # the NaN half never hits


def test_tiny_probabilities_do_not_underflow():
    # P(N(0, 1) >= 37) = 5.7e-300: the weights live near float64's smallest normal numbers.
    exact = st.norm.sf(37.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RareEventWarning)  # a level or two may dip in ESS
        res = estimate_rare_event(total, DiagGaussian(np.zeros(1), 1.0), 37.0, seed=0)
    assert res.converged and res.probability > 0
    assert abs(res.probability - exact) < 3 * res.std_error
    assert res.rel_error < 0.1
    assert ceopt.RareEventResult is type(res)


def test_the_bridge_network_example_estimates_the_tutorials_value(capsys):
    path = Path(__file__).resolve().parents[1] / "examples" / "bridge_network.py"
    spec = importlib.util.spec_from_file_location("bridge_network", path)
    bridge = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bridge)
    res = estimate_rare_event(bridge.shortest_path, Exponential(bridge.MEANS), 2.0, seed=0)
    assert abs(res.probability - bridge.EXACT) < 3 * res.std_error and res.rel_error < 0.05

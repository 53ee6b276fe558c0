"""The records that end a local search (ceopt.stopping), on their own."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as hs

from ceopt import DiagGaussian
from ceopt.stopping import COLLAPSED, FLAT, STAGNATED, Convergence, LocalSearchRecord

WIDE = DiagGaussian(np.zeros(2), 1.0)


def until(spread_tol=0.0, patience=100, tol_fun=0.0):
    return Convergence(spread_tol, patience, tol_fun)


@given(hs.lists(hs.floats(-1e6, 1e6), min_size=1, max_size=40), hs.integers(1, 10))
def test_stagnation_counts_the_iterations_since_the_threshold_last_improved(gammas, patience):
    record = LocalSearchRecord()
    for g in gammas:
        record.note(g, np.array([g]), window=5)
    best = min(gammas)
    since = len(gammas) - 1 - gammas.index(best)  # a tie is no improvement
    assert record.best_gamma == best and record.since_gamma_improved == since
    ended = record.ended(WIDE, until(patience=patience), window=5)
    assert ended == (STAGNATED if since >= patience else None)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_flat_values_need_a_full_window_of_flat_bests(sign):
    """The record sees losses (values times -1 when maximising) and keeps each iteration's
    best loss."""
    record = LocalSearchRecord()
    losses = sign * np.array([3.0, 3.0 + 1e-12])
    for i in range(6):  # gammas improve: no stagnation
        record.note(-float(i), losses, window=4)
        full = i >= 3
        assert record.ended(WIDE, until(tol_fun=1e-11), window=4) == (FLAT if full else None)
    assert record.recent_best == [3.0 if sign > 0 else -(3.0 + 1e-12)] * 4
    assert record.ended(WIDE, until(tol_fun=0.0), window=4) is None  # tol_fun off
    record.note(-9.0, np.array([0.0, 1.0]), window=4)  # a spread-out population
    assert record.ended(WIDE, until(tol_fun=1e-11), window=4) is None


def test_an_all_nan_population_leaves_the_value_records_as_they_were():
    record = LocalSearchRecord()
    record.note(np.inf, np.array([]), window=3)
    assert record.recent_best == [] and record.value_range == np.inf
    assert record.since_gamma_improved == 1  # inf never improves on inf


def test_collapse_is_the_spread_above_the_floor_within_the_tolerance():
    narrow = DiagGaussian(np.zeros(2), 1e-9, min_std=0.0)
    assert LocalSearchRecord().ended(narrow, until(1e-8, patience=5), window=3) == COLLAPSED
    assert LocalSearchRecord().ended(WIDE, until(1e-8, patience=5), window=3) is None

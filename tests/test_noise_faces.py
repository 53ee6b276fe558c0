"""The recommendation of a noisy run put onto a bound it nearly touches."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ceopt import DiagGaussian, Gaussian
from ceopt.handlers import Box
from ceopt.noise import FACE_REACH, centre

BOX = Box(np.full(3, -5.0), np.full(3, 5.0))


def test_the_recommendation_goes_onto_a_bound_within_a_standard_deviation():
    std = np.array([0.2, 0.2, 0.5])
    dist = DiagGaussian(np.array([4.85, -4.5, 0.0]), std)
    assert np.array_equal(centre(dist, BOX), [5.0, -4.5, 0.0])
    near_low = Gaussian(np.array([-4.9, 4.7, 5.3]), np.diag(std**2))
    assert np.array_equal(centre(near_low, BOX), [-5.0, 4.7, 5.0])
    assert np.array_equal(centre(near_low, None), near_low.mean)


@settings(max_examples=60, deadline=None)
@given(mean=st.lists(st.floats(-7, 7), min_size=3, max_size=3),
       std=st.lists(st.floats(1e-6, 3), min_size=3, max_size=3))
def test_the_recommendation_moves_only_onto_nearby_bounds(mean, std):
    mean, std = np.array(mean), np.array(std)
    x = centre(DiagGaussian(mean, std), BOX)
    assert np.all(np.abs(x) <= 5.0)
    projected = np.clip(mean, -5.0, 5.0)
    moved = x != projected
    assert np.all(np.abs(x[moved]) == 5.0)
    assert np.all(5.0 - np.abs(mean[moved]) < FACE_REACH * std[moved])

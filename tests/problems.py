"""Vectorised test functions shared by the tests (rows are points)."""

import numpy as np

from ceopt.cli import rastrigin, rosenbrock

__all__ = ["sphere", "ellipsoid", "rosenbrock", "rastrigin"]


def sphere(X):
    return (X**2).sum(axis=1)


def ellipsoid(X, condition=1e6):
    """Axis-aligned ellipsoid: coordinate i weighted condition**(i / (d - 1))."""
    d = X.shape[1]
    return (condition ** (np.arange(d) / (d - 1)) * X**2).sum(axis=1)

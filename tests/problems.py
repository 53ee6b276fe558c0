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


# -- objectives for worker processes: module-level, so that they pickle by reference ----------
def sphere_point(x):
    """One point at a time."""
    return float(np.dot(x, x))


def raises_right(x):
    """Fails where x[0] > 1: a ValueError, as a simulation that diverges would raise."""
    if x[0] > 1:
        raise ValueError(f"diverged at {x[0]:.3f}")
    return float(np.dot(x, x))


def nan_right(x):
    """NaN where x[0] > 1, +inf where x[0] < -1."""
    return np.nan if x[0] > 1 else np.inf if x[0] < -1 else float(np.dot(x, x))


class DiesOnce:
    """Kills its worker process (as a segfault would) on the first point with x[0] > 1.

    The file ``marker`` records that it has died, so it dies once across all processes;
    otherwise it is the sphere.
    """

    def __init__(self, marker):
        self.marker = str(marker)

    def __call__(self, x):
        import os
        if x[0] > 1 and not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os._exit(1)
        return float(np.dot(x, x))


def always_dies(x):
    import os
    os._exit(1)


class FailsOnce:
    """Raises OSError on the first call anywhere (the file ``marker`` records it); the sphere."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __call__(self, x):
        import os
        if not os.path.exists(self.marker):
            open(self.marker, "w").close()
            raise OSError("transient")
        return float(np.dot(x, x))


def slow_right(x):
    """Sleeps 10 s where x[0] > 1 (a hung simulation); the sphere elsewhere."""
    if x[0] > 1:
        import time
        time.sleep(10)
    return float(np.dot(x, x))


class TwoArgError(Exception):
    """Pickles, but cannot be unpickled: __init__ needs two arguments, args holds one."""

    def __init__(self, what, where):
        super().__init__(f"{what} at {where}")


def raises_two_arg_error(x):
    if x[0] > 1:
        raise TwoArgError("bad", float(x[0]))
    return float(np.dot(x, x))


def row_sum(X):
    """The score of the rare-event tests: the sum of the coordinates."""
    return X.sum(axis=1)

"""Writes the checkpoints in this folder, which tests/test_checkpoint.py resumes.

    python tests/data/make_checkpoints.py

They were written once, when checkpoint format 7 was made (ceopt 0.2.0), and are committed:
a later change that keeps the format must still resume them bit for bit. Run this again only
together with a new format version.

- ``local-search.ckpt``: a maximisation in a box with a full covariance, failures scored the
  worst and a restart behind it, stopped after 12 of 30 iterations;
- ``sweep.ckpt``: a separable objective stopped inside its first coordinate sweep.
"""

from pathlib import Path

import numpy as np

import ceopt

HERE = Path(__file__).resolve().parent


def failing_paraboloid(X):
    """Maximised at 1.5; fails (NaN) where x[0] > 2.5."""
    v = -((X - 1.5) ** 2).sum(axis=1)
    v[X[:, 0] > 2.5] = np.nan
    return v


def shifted_rastrigin(X):
    """Separable, with the optimum off the box's centre."""
    Z = X - np.array([1.3, -2.2, 0.7, 2.9, -0.4])
    return 10.0 * Z.shape[1] + (Z**2 - 10.0 * np.cos(2 * np.pi * Z)).sum(axis=1)


#: name -> (objective, the whole run's keywords); the checkpoints stop them at STOP_AT.
RUNS = {
    "local-search": (failing_paraboloid, dict(
        x0=np.zeros(3), sigma0=1.0, bounds=[(-3, 3)] * 3, dist="full", seed=7, max_iter=30,
        vectorized=True, on_error="worst", restarts=3, tol_spread=0.2, separable=False)),
    "sweep": (shifted_rastrigin, dict(
        bounds=[(-5, 5)] * 5, vectorized=True, max_evals=5000, seed=4, max_iter=10**6)),
}
STOP_AT = {"local-search": 12, "sweep": 4}
MAXIMIZE = {"local-search": True, "sweep": False}


if __name__ == "__main__":
    for name, (fun, kwargs) in RUNS.items():
        path = HERE / f"{name}.ckpt"
        path.unlink(missing_ok=True)
        run = ceopt.maximize if MAXIMIZE[name] else ceopt.minimize
        run(fun, checkpoint=path, **{**kwargs, "max_iter": STOP_AT[name]})
        print(f"wrote {path} ({path.stat().st_size} bytes)")

"""Makes the example figures of the docs in this folder:

    python docs/images/make_plots.py

- ``plot-minimize.png``: Rastrigin in 5-d, restarted as its local searches converge (with
  ``separable=False``: ceopt's coordinate sweep would otherwise solve this separable
  function outright, before any restart);
- ``plot-rare-event.png``: P(X_1 + ... + X_10 >= 15) for standard normal X_i, exactly
  1 - Phi(15 / sqrt(10)) = 1.05e-6, by multilevel CE.
"""

from pathlib import Path

import numpy as np

import ceopt
from ceopt.plotting import plot

HERE = Path(__file__).resolve().parent


def rastrigin(X):
    return 10.0 * X.shape[1] + (X**2 - 10.0 * np.cos(2 * np.pi * X)).sum(axis=1)


if __name__ == "__main__":
    res = ceopt.minimize(rastrigin, bounds=[(-5.12, 5.12)] * 5, vectorized=True,
                         max_evals=20_000, seed=0, separable=False)
    plot(res, HERE / "plot-minimize.png")
    est = ceopt.estimate_rare_event(lambda X: X.sum(axis=1), ceopt.DiagGaussian(np.zeros(10), 1.0),
                                    level=15.0, seed=0)
    plot(est, HERE / "plot-rare-event.png")

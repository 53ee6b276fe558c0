"""The rank-one term: the evolution path of the mean as one more weighted pseudo-sample of the
covariance fit, ``rank_one=True`` (CMA-ES's rank-one update, in the CE method's terms).

The fit about the previous mean (:mod:`ceopt.updates.previous_mean`, "rank-mu") learns the
covariance from one population's elites: with a small population, ``d(d+1)/2`` entries need
many iterations. The mean's successive moves carry more: on a curved valley (Rosenbrock) they
keep pointing along it. They are summed in an evolution path

    q <- (1 - c) s_prev q + h sqrt(c (2 - c) mu_eff) (m_new - m_old)

in x's own units at the old spread (``s_prev`` the last scale factor carries the old path to
the spread it was sampled at), and ``q`` enters the covariance as a sample of weight ``c1``:

    C <- s^2 [ b C_fit + c1 q q^T + (1 - b - c1) C_old ]

a weighted fit with one extra pseudo-sample, so the covariance stays a convex combination of
positive semi-definite terms around a positive definite one. ``b`` is the method's own rate of
the fit (:func:`~ceopt.updates.adaptive.covariance_rate`). ``h`` is 0 while the path control's
path is much longer than a random walk's (CMA-ES's stall of the rank-one update: early in a
search or after a scale jump the moves are long and all alike, and would stretch one axis too
fast); it is always 1 under the success rule, which has no path.

``c = (4 + mu_eff / d) / (d + 4 + 2 mu_eff / d)`` and ``c1 = 2 / ((d + 1.3)^2 + mu_eff)`` are
CMA-ES's defaults (Hansen, "The CMA Evolution Strategy: A Tutorial", 2016); a diagonal family
learns ``d`` variances only, and takes ``c1`` times ``(d + 2) / 3`` (sep-CMA-ES), as its
fit's rate is.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .path_control import PathControl, expected_norm


def rank_one_rate(dim: int, mu_eff: float, diagonal: bool) -> float:
    """``c1``: the weight of the path in the covariance (see the module docstring)."""
    rate = 2.0 / ((dim + 1.3) ** 2 + mu_eff)
    return rate * (dim + 2) / 3 if diagonal else rate


class CovariancePath:
    """The evolution path of the mean and its weight in the covariance, for one local search.

    ``term(move, path_control)`` is called once per update with the fitted mean's move in x's
    units and the scale's :class:`PathControl` (or None); it returns ``(q, c1)`` for the mix.
    ``rescale(factor)`` carries the path to the spread after the scale factor is applied.
    """

    def __init__(self, dim: int, mu_eff: float, fit_rate: float, diagonal: bool):
        self.dim = int(dim)
        self.mu_eff = float(mu_eff)
        self.rate = (4.0 + self.mu_eff / dim) / (dim + 4.0 + 2.0 * self.mu_eff / dim)
        # The path's weight leaves the old covariance some weight: b + c1 <= 1.
        self.weight = min(rank_one_rate(dim, self.mu_eff, diagonal), max(0.0, 1.0 - fit_rate))
        self.path = np.zeros(self.dim)
        self.iterations = 0  # for the stall test's correction of a young path

    def term(self, move: NDArray[np.float64],
             path_control: PathControl | None) -> tuple[NDArray[np.float64], float]:
        c = self.rate
        self.iterations += 1
        h = 1.0 if path_control is None else self._not_stalled(path_control)
        self.path = (1.0 - c) * self.path + h * math.sqrt(c * (2.0 - c) * self.mu_eff) * move
        return self.path, self.weight

    def _not_stalled(self, control: PathControl) -> float:
        """CMA-ES's ``h_sigma``: 0 while the scale's path is longer than 1.4 + 2/(d+1) times
        a random walk's, corrected for its young age."""
        young = 1.0 - (1.0 - control.rate) ** (2 * self.iterations)
        length = float(np.linalg.norm(control.path)) / math.sqrt(young)
        return float(length < (1.4 + 2.0 / (self.dim + 1)) * expected_norm(self.dim))

    def rescale(self, factor: float) -> None:
        self.path = factor * self.path

    def state(self) -> dict[str, Any]:
        return {"path": self.path.copy(), "iterations": self.iterations}

    def load_state(self, state: dict[str, Any]) -> None:
        path = np.array(state["path"], dtype=float)
        if path.shape != (self.dim,):
            raise ValueError(f"the saved covariance path has shape {path.shape}, expected "
                             f"({self.dim},)")
        self.path, self.iterations = path, int(state["iterations"])

"""The path control: cumulative step-size adaptation (CSA, as in CMA-ES) of a Gaussian's
global scale, ``scale_control="path"``.

The success rule (:mod:`ceopt.updates.scale_control`) reads the values: when the new
population does not beat the old one it shrinks the spread. Under noise that is what happens
whenever the noise is larger than one iteration's progress, and the spread collapses while
the search still has far to go (Pendulum's returns shrank it by 1e-12 in 135 iterations).
The path control reads the *moves of the mean* instead. Each move, standardised by the
distribution it was sampled from (``z = L^-1 (m_fit - m_old)``, ``L L^T`` the covariance), is
added to an evolution path

    p <- (1 - c) p + sqrt(c (2 - c) mu_eff) z

and the spread is multiplied by ``exp((c / damping) (|p| / E|N(0, I)| - 1))``. Consecutive
moves in one direction make the path longer than a random walk's and the spread grows; moves
that cancel make it shorter and the spread shrinks. Under random selection (pure noise, or a
flat objective) ``z ~ N(0, I / mu_eff)``, the path is a standard normal vector and the spread
stays where it is on average: noise alone neither shrinks nor grows it.

``c = (mu_eff + 2) / (d + mu_eff + 5)`` and ``damping = 1 + 2 max(0, sqrt((mu_eff - 1) /
(d + 1)) - 1) + c`` are CMA-ES's defaults (Hansen, "The CMA Evolution Strategy: A Tutorial",
2016), with ``mu_eff = 1 / sum(w_i^2)`` of the elite weights. One factor is at most ``e``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray


def expected_norm(dim: int) -> float:
    """``E|N(0, I_d)| = sqrt(2) Gamma((d + 1) / 2) / Gamma(d / 2)``, the chi distribution's
    mean (exact: the usual series is 8e-4 off at d = 2, which would drift the scale)."""
    return math.sqrt(2.0) * math.exp(math.lgamma((dim + 1) / 2) - math.lgamma(dim / 2))


class PathControl:
    """``factor(losses, step)`` is called once per population with its losses (unused: the
    path reads only the mean's move) and ``step``, the move of the fitted mean standardised
    by the distribution it was sampled from; it returns the factor for every standard
    deviation."""

    def __init__(self, dim: int, mu_eff: float):
        self.dim, self.mu_eff = int(dim), float(mu_eff)
        self.rate = (self.mu_eff + 2.0) / (self.dim + self.mu_eff + 5.0)
        self.damping = (1.0 + 2.0 * max(0.0, math.sqrt((self.mu_eff - 1.0) / (self.dim + 1.0))
                                        - 1.0) + self.rate)
        self._norm = expected_norm(self.dim)
        self.path = np.zeros(self.dim)

    def factor(self, losses: NDArray[np.float64], step: NDArray[np.float64]) -> float:
        c = self.rate
        self.path = (1.0 - c) * self.path + math.sqrt(c * (2.0 - c) * self.mu_eff) * step
        log_factor = (c / self.damping) * (float(np.linalg.norm(self.path)) / self._norm - 1.0)
        return math.exp(min(log_factor, 1.0))

    def state(self) -> dict[str, Any]:
        return {"path": self.path.copy()}

    def load_state(self, state: dict[str, Any]) -> None:
        path = np.array(state["path"], dtype=float)
        if path.shape != (self.dim,):
            raise ValueError(f"the saved evolution path has shape {path.shape}, expected "
                             f"({self.dim},)")
        self.path = path

"""What a run has found, and what it recommends: :class:`Findings`.

Without noise the recommendation is the best point told (Deb's best with constraints) and its
value; the distribution that produced it is the final one of the local search it came from.
With ``noise=True`` it is the best estimated centre (:mod:`ceopt.noise`), and the best sample
is only the luckiest draw, kept under its own name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import distributions
from .distributions import Distribution
from .feasibility import Ranked
from .handlers import BoundaryHandler
from .history import Best
from .noise import Recommender, centre


@dataclass(frozen=True)
class Recommendation:
    """``x``, the estimate of its loss (``loss``, standard error ``se``, from ``n``
    evaluations) and ``dist``, the distribution that produced ``x``."""

    x: NDArray | None
    loss: float
    se: float
    n: int
    dist: Distribution


class Findings:
    """The run's best point (``best``), the current local search's (``search_best``, until
    a local method took it), the restart the best point came from (``search``) with that
    search's final distribution once it has ended (``dist``), and under noise the estimates
    (``noise``)."""

    def __init__(self, noise: bool = False) -> None:
        self.best = Best()
        self.search_best = Best()
        self.search = 0
        self.dist: Distribution | None = None
        self.noise = Recommender() if noise else None

    def note(self, X: NDArray, losses: NDArray, ranked: Ranked, restart: int,
             in_search: bool = True) -> None:
        """The best row of a told population (``in_search``: also the search's best)."""
        before = self.best.x
        self.best.note(X, losses, ranked.best, ranked.violation, ranked.constr)
        if self.best.x is not before:
            self.search = restart
        if in_search:
            self.search_best.note(X, losses, ranked.best, ranked.violation, ranked.constr)

    def search_ends(self, dist: Distribution, restart: int) -> None:
        """The local search ``restart`` ends with ``dist``, and a new one begins."""
        if self.search == restart:
            self.dist = dist
        self.search_best = Best()

    def recommendation(self, dist: Distribution, handler: BoundaryHandler | None,
                       restart: int) -> Recommendation:
        """What the run recommends now; ``dist`` is the current search's distribution, the
        ``restart``-th. Under noise, before any estimate, the current centre, its loss NaN."""
        if self.noise is None:
            made_by = dist if self.search == restart else self.dist
            x = None if self.best.x is None else self.best.x.copy()
            return Recommendation(x, self.best.loss, 0.0, 1, made_by)
        estimate = self.noise.best
        if estimate is None:
            return Recommendation(centre(dist, handler), np.nan, np.nan, 0, dist)
        return Recommendation(estimate.x.copy(), estimate.loss, estimate.se, estimate.n,
                              estimate.dist)

    def reached(self, target_loss: float) -> bool:
        """The recommendation is feasible and at least as good as ``target_loss`` (under
        noise, by its estimate)."""
        if self.noise is not None:
            return self.noise.best is not None and self.noise.best.loss <= target_loss
        return self.best.violation == 0 and self.best.loss <= target_loss

    def state(self) -> dict[str, Any]:
        return {"best": self.best.state(), "search_best": self.search_best.state(),
                "best_search": self.search,
                "best_dist": None if self.dist is None else distributions.to_state(self.dist),
                "noise": None if self.noise is None else self.noise.state()}

    @classmethod
    def from_state(cls, state: dict[str, Any], restart: int) -> Findings:
        """From :meth:`state` (a checkpoint from before noise was handled lacks the last
        three: its best point is taken to come from the current search, ``restart``)."""
        found = cls()
        found.best = Best.from_state(state["best"])
        found.search_best = Best.from_state(state.get("search_best", Best().state()))
        found.search = int(state.get("best_search", restart))
        dist = state.get("best_dist")
        found.dist = None if dist is None else distributions.from_state(dist)
        found.noise = Recommender.from_state(state.get("noise"))
        return found

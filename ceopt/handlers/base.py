"""The boundary handler: where the objective may be evaluated, and how samples drawn outside
are evaluated and ranked (pycma calls it a ``BoundaryHandler``).

A local search draws from its distribution, hands the samples to the handler's
:meth:`BoundaryHandler.repair` (the points the objective sees), ranks them by their losses
plus :meth:`BoundaryHandler.penalty`, and fits the samples **as drawn** (but for what
:meth:`BoundaryHandler.fitted` changes: a box fits integer coordinates at their values).
Restarts ask the handler for a random point to start from; the separability test and
coordinate sweeps step within its coordinate bounds ``low`` and ``high``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray


class BoundaryHandler(ABC):
    """The protocol. ``low`` and ``high`` are the coordinate bounds the handler implies
    (``-inf``/``inf`` where it has none)."""

    #: The name a checkpoint knows it by.
    name: ClassVar[str]
    low: NDArray[np.float64]
    high: NDArray[np.float64]

    @property
    def dim(self) -> int:
        return self.low.size

    @property
    def finite(self) -> bool:
        """Whether every coordinate is bounded on both sides."""
        return bool(np.all(np.isfinite(self.low) & np.isfinite(self.high)))

    @abstractmethod
    def repair(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """The points the objective is evaluated at, for the samples ``X`` (a new array)."""

    @abstractmethod
    def penalty(self, drawn: NDArray[np.float64], repaired: NDArray[np.float64],
                losses: NDArray[np.float64]) -> NDArray[np.float64]:
        """What to add to ``losses`` (of ``repaired``) to rank the samples ``drawn``."""

    def fitted(self, drawn: NDArray[np.float64]) -> NDArray[np.float64]:
        """The samples ``drawn`` as the distribution is fitted to them: as drawn, unless the
        handler says otherwise."""
        return drawn

    def contains(self, x: NDArray) -> NDArray[np.bool_]:
        return np.all((x >= self.low) & (x <= self.high), axis=-1)

    def random_point(self, rng: np.random.Generator) -> NDArray[np.float64] | None:
        """A uniformly random point of a finite region, where a restart starts; None if the
        region is unbounded (the restart then starts at the initial mean)."""
        return rng.uniform(self.low, self.high) if self.finite else None

    @abstractmethod
    def state(self) -> dict[str, Any]:
        """The handler as plain data, for checkpoints (``from_state`` rebuilds it)."""

    @classmethod
    @abstractmethod
    def from_state(cls, state: dict[str, Any]) -> BoundaryHandler:
        """The handler :meth:`state` describes."""

"""The restart schedule: what follows a local search, and where the next one starts.

A run (:class:`~ceopt.CrossEntropy`) asks its schedule for the first search, lets it replace a
search after a tell (``after_tell``: a phase of the schedule's own ends) or before an ask
(``before_ask``), and, when a local search has converged and restarts remain, asks whether a
restart fits the budget (``can_restart``) and makes it (``restart``). Counting restarts and
their limit is the run's; a schedule only says what the next search is. pycma's
``fmin`` keeps its restarts in the driver the same way.

A schedule is made with its own options (``IPOP()``, ``BIPOP(max_restarts=5)``), then bound
to a run: :meth:`Schedule.bind` gives it the run's local-search settings and the initial
distribution and sizes.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from .. import distributions
from ..distributions import Distribution
from ..local_search import LocalSearch, Search, SearchSettings
from ..noise import estimate_evals, reevaluated


@dataclass(frozen=True)
class Progress:
    """What a schedule knows of the run when it decides what comes next."""

    nfev: int
    evals_left: float  # inf without a budget
    restarts_left: int
    best_x: NDArray | None
    best_loss: float
    #: noise=True: a search also spends an estimate's evaluations (:mod:`ceopt.noise`),
    #: and a second look at ``reevaluate`` of each population.
    estimated: bool = False
    reevaluate: float = 0.0

    def fits(self, evaluations: int) -> bool:
        """Whether the budget left holds this many more evaluations (a search's population:
        with its estimate and its best's second look, under noise)."""
        extra = estimate_evals(evaluations) if self.estimated else 0
        extra += reevaluated(self.reevaluate, evaluations)
        return evaluations + extra <= self.evals_left


class Schedule(ABC):
    """The protocol, and what every schedule shares: the initial start and the restart limit.

    ``max_restarts`` None: as many restarts as a budget ``max_evals`` allows, and none without
    one; an int: at most that many.
    """

    #: The name ``restarts=`` takes, and a checkpoint knows the schedule by.
    name: ClassVar[str]

    def __init__(self, *, max_restarts: int | None = None):
        self.max_restarts = max_restarts

    def bind(self, settings: SearchSettings, dist: Distribution, popsize: int,
             n_elite: int) -> None:
        """Attach to a run: its local searches' settings, and the first one's start."""
        self.settings = settings
        self.initial, self.popsize, self.n_elite = dist, popsize, n_elite

    def with_start(self, dist: Distribution, popsize: int, n_elite: int) -> Schedule:
        """A copy of this (bound) schedule that starts from another distribution and sizes."""
        other = copy.copy(self)
        other.initial, other.popsize, other.n_elite = dist, popsize, n_elite
        return other

    def first(self, progress: Progress) -> Search:
        """The run's first search."""
        return self.settings.local(self.initial, self.popsize, self.n_elite)

    def after_tell(self, search: Search, progress: Progress) -> Search:
        """The search to go on with after ``search`` was told (itself by default)."""
        return search

    def before_ask(self, search: Search, progress: Progress) -> Search:
        """The search to ask next (itself by default)."""
        return search

    @abstractmethod
    def can_restart(self, ended: Search, progress: Progress) -> bool:
        """Whether the restart after the converged ``ended`` fits the budget left (no
        randomness: the run asks this when deciding whether to stop)."""

    @abstractmethod
    def restart(self, ended: Search, progress: Progress, rng: np.random.Generator) -> Search:
        """The search that restarts the run after ``ended``."""

    def start_anywhere(self, rng: np.random.Generator) -> Distribution:
        """The initial distribution about a uniformly random point of a finite box, or as it
        is without one (a restart's start)."""
        handler = self.settings.handler
        point = None if handler is None else handler.random_point(rng)
        return self.initial if point is None else self.initial.moved(point)

    # -- checkpoints -------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The schedule's options and state as plain data (:meth:`load_state` restores the
        state into a schedule made with the options and bound to the run)."""
        return {"max_restarts": self.max_restarts,
                "initial": distributions.to_state(self.initial),
                "popsize": self.popsize, "n_elite": self.n_elite}

    @classmethod
    def from_state(cls, state: dict[str, Any], settings: SearchSettings) -> Schedule:
        schedule = cls(max_restarts=state["max_restarts"])
        schedule.bind(settings, distributions.from_state(state["initial"]),
                      int(state["popsize"]), int(state["n_elite"]))
        schedule.load_state(state)
        return schedule

    def load_state(self, state: dict[str, Any]) -> None:  # noqa: B027 (a hook)
        """Restore what :meth:`state` added to the base's (nothing here)."""

    def search_from_state(self, state: dict[str, Any]) -> Search:
        """A search of this schedule's from its state (a local search, unless the schedule
        makes searches of its own)."""
        if state["kind"] != LocalSearch.kind:
            raise LookupError(f"{type(self).__name__} makes no {state['kind']!r} search")
        return LocalSearch.from_state(state, self.settings)

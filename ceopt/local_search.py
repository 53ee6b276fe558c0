"""A local search: the CE method from one starting distribution until it converges.

One iteration (``docs/ce-method.md``, "Optimisation"):

    X      ~ q_t                                   (ask: a whole population at once)
    elites = the n_elite best rows of X            (tell: H(x) = 1{x is an elite})
    q_t+1  = the update rule's fit and smoothing   (ceopt.updates)

The run (:class:`~ceopt.CrossEntropy`) asks and tells a *search*: this one, or one of the
schedules' own (the separability test, a coordinate sweep: :mod:`ceopt.schedules`). A
:class:`Search` says what it draws next and what a told population showed (:class:`Told`);
the schedule decides what follows it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from . import distributions
from .distributions import Distribution
from .handlers import BoundaryHandler
from .selection import best_number, elite_indices
from .stopping import (
    SEARCH_SPENT,
    SHARE_SPENT,
    Convergence,
    LocalSearchRecord,
    StopReason,
    flat_window,
)
from .updates import UpdateRule


@dataclass(frozen=True)
class Told:
    """What one told population showed: its elite threshold (a loss; NaN where a search has
    none) and the row of its best point (None when every value is NaN)."""

    gamma: float
    best: int | None


class Search(ABC):
    """The protocol of what a run asks and tells.

    ``dist``, ``popsize`` and ``n_elite`` are the distribution and sizes in force (a
    schedule's own search reports those of the local search it hands over to);
    ``batch_size`` is the number of rows :meth:`ask` returns next.
    """

    #: The name a checkpoint knows the search by.
    kind: ClassVar[str]
    dist: Distribution
    popsize: int
    n_elite: int

    @property
    def batch_size(self) -> int:
        return self.popsize

    @abstractmethod
    def ask(self, rng: np.random.Generator) -> NDArray:
        """The next population."""

    @abstractmethod
    def tell(self, X: NDArray, losses: NDArray[np.float64]) -> Told:
        """Learn from a population and its losses (values to minimise)."""

    def ended(self) -> StopReason | None:
        """Why the search has converged, if it has (only local searches converge; the
        schedules' own searches are replaced as soon as they are done)."""
        return None

    @abstractmethod
    def state(self) -> dict[str, Any]:
        """The search as plain data, for checkpoints."""


@dataclass(frozen=True)
class SearchSettings:
    """What every local search of a run shares: the update rule, when to stop, the bounds."""

    rule: UpdateRule
    convergence: Convergence
    handler: BoundaryHandler | None

    def local(self, dist: Distribution, popsize: int, n_elite: int,
              max_evals: int | None = None) -> LocalSearch:
        """A new local search from ``dist``."""
        return LocalSearch(dist, popsize, n_elite, self, max_evals)


@dataclass(frozen=True)
class Asked:
    """What :meth:`LocalSearch.ask` returned (a copy: the caller may change its own), and
    the samples as drawn, which differ where the handler repaired them."""

    returned: NDArray
    drawn: NDArray


class LocalSearch(Search):
    """The CE update from ``dist`` with ``popsize`` samples and ``n_elite`` elites.

    ``tell`` takes any population with at least ``n_elite`` rows. The population :meth:`ask`
    returned is ranked with the handler's penalty and fitted as drawn (``handler.fitted``:
    integer coordinates at their values); any other is ranked by its values and fitted as it
    is. NaN values are never elites. ``max_evals``, if given, is the local search's own share
    of the budget (BIPOP's small restarts).
    """

    kind = "local"

    def __init__(self, dist: Distribution, popsize: int, n_elite: int,
                 settings: SearchSettings, max_evals: int | None = None):
        self.dist, self.popsize, self.n_elite = dist, popsize, n_elite
        self.settings = settings
        self.max_evals = max_evals
        self.spent = 0
        self.record = LocalSearchRecord()
        self._asked: Asked | None = None  # kept until that population is told successfully
        settings.rule.begin(dist, n_elite)

    def ask(self, rng: np.random.Generator) -> NDArray:
        X = self.dist.sample(self.popsize, rng)
        handler = self.settings.handler
        if handler is None:
            return X
        repaired = handler.repair(X)
        self._asked = Asked(repaired.copy(), X)
        return repaired

    def tell(self, X: NDArray, losses: NDArray[np.float64]) -> Told:
        if X.shape[0] < self.n_elite:
            raise ValueError(f"X has {X.shape[0]} rows, fewer than the {self.n_elite} elites")
        asked = self._asked
        from_ask = (asked is not None and asked.returned.shape == X.shape
                    and np.array_equal(asked.returned, X))
        if from_ask:
            ranking = losses + self.settings.handler.penalty(asked.drawn, X, losses)
            fit_X = self.settings.handler.fitted(asked.drawn)
        else:
            ranking, fit_X = losses, X
        elites = elite_indices(ranking, self.n_elite)
        # The elite threshold: the worst elite's loss, in ranking terms (with bounds, a value
        # plus its penalty, so that it measures what selection sees).
        gamma = float(ranking[elites[-1]])
        # Best by value among the numbers; on ask's population it may be another row than
        # elites[0], which was ranked with the penalty.
        best = best_number(losses) if from_ask else int(elites[0])
        self.dist = self.settings.rule.update(self.dist, fit_X, elites, ranking)
        if from_ask:
            self._asked = None
        self.spent += X.shape[0]
        self.record.note(gamma, losses[np.isfinite(losses)],
                         flat_window(self.dist.dim, self.popsize))
        return Told(gamma, best)

    def ended(self) -> StopReason | None:
        reason = self.record.ended(self.dist, self.settings.convergence,
                                   flat_window(self.dist.dim, self.popsize))
        if reason is None and self.max_evals is not None and self.spent >= self.max_evals:
            return SHARE_SPENT
        limit = self.settings.convergence.search_evals
        if reason is None and limit is not None and self.spent >= limit:
            return SEARCH_SPENT
        return reason

    def state(self) -> dict[str, Any]:
        asked = self._asked
        return {"dist": distributions.to_state(self.dist), "popsize": self.popsize,
                "n_elite": self.n_elite, "max_evals": self.max_evals, "spent": self.spent,
                "record": self.record.state(),
                "asked": None if asked is None else {"returned": asked.returned,
                                                     "drawn": asked.drawn},
                "update": self.settings.rule.search_state()}

    @classmethod
    def from_state(cls, state: dict[str, Any], settings: SearchSettings) -> LocalSearch:
        search = cls(distributions.from_state(state["dist"]), int(state["popsize"]),
                     int(state["n_elite"]), settings, state["max_evals"])
        search.spent = int(state["spent"])
        search.record = LocalSearchRecord.from_state(state["record"])
        asked = state["asked"]
        if asked is not None:
            search._asked = Asked(np.asarray(asked["returned"]), np.asarray(asked["drawn"]))
        settings.rule.load_search_state(state["update"])
        return search

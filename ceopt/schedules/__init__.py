"""Restart schedules, one file each: what follows a local search (``restarts=``).

- :class:`IPOP` (the default): restart with twice the population;
- :class:`BIPOP`: IPOP alternated with small, narrow restarts;
- :class:`Separable`: around either, a separability test and coordinate sweeps (method
  ``"adaptive"``; option ``separable``).

A schedule of your own: subclass :class:`Schedule` and :func:`register` it
(``docs/architecture.md``).
"""

from __future__ import annotations

import copy
from typing import Any

from .._checks import flag, integer
from .._registry import Registry
from ..distributions import Distribution, LocationScale
from ..distributions.product import Product
from ..local_search import SearchSettings
from ..updates import UpdateRule
from .base import Progress, Schedule
from .bipop import BIPOP
from .ipop import GROWTH, IPOP
from .separable import Separable

#: The schedules by name (``restarts="bipop"``; and what a checkpoint knows them by).
SCHEDULES = Registry("restart schedule", Schedule, "ceopt.schedules",
                     parts=(IPOP, BIPOP, Separable))
#: Make a schedule of your own available as ``restarts=schedule.name``.
register = SCHEDULES.register


def schedule_for(restarts: int | str | Schedule | None, separable: bool | None,
                 rule: UpdateRule, dist: Distribution,
                 sizes_given: dict[str, Any]) -> Schedule:
    """The (unbound) schedule that ``restarts=`` and ``separable=`` ask for.

    ``restarts``: None, the method's default (IPOP within a budget ``max_evals``, where the
    method restarts by default; of the same population for families other than
    location-scale ones); an int, the same with at most that many restarts; a name
    (``"ipop"``, ``"bipop"``), restarts until the budget is spent; or a :class:`Schedule`
    (copied: one object can configure several runs). ``separable``: see
    :mod:`ceopt.schedules.separable`; under a method that tests separability, the result is
    the :class:`Separable` schedule around the restart schedule.
    """
    # Restarts of a location-scale family (or a product with one) double the population
    # (IPOP); other families restart at the same size, which did better at a fixed budget on
    # max-cut and deceptive traps (benchmarks/results/discrete-restarts.md).
    steerable = (dist.blocks if isinstance(dist, Product) else (dist,))
    growth = GROWTH if any(isinstance(d, LocationScale) for d in steerable) else 1
    if restarts is None:
        limit = None if rule.restarts_within_budget(dist) else 0
        base: Schedule = IPOP(max_restarts=limit, growth=growth)
    elif isinstance(restarts, Schedule):
        base = copy.deepcopy(restarts)
    elif isinstance(restarts, str):
        if restarts not in SCHEDULES or restarts == Separable.name:
            names = tuple(name for name in SCHEDULES if name != Separable.name)
            raise ValueError(f"restarts must be an int, a Schedule or one of {names}, got "
                             f"{restarts!r}")
        base = SCHEDULES[restarts]()
    else:
        base = IPOP(max_restarts=integer("restarts", restarts, 0), growth=growth)
    if separable is not None:
        separable = flag("separable", separable)
        if separable and not rule.TESTS_SEPARABILITY:
            raise ValueError("coordinate sweeps (separable) are part of method 'adaptive'")
    elif not rule.TESTS_SEPARABILITY or dist.dim == 1:  # one coordinate: nothing to sweep
        separable = False
    if separable is False:
        return base
    return Separable(base, separable, sizes_given)


def from_state(state: dict[str, Any], settings: SearchSettings) -> Schedule:
    """The bound schedule a checkpoint describes."""
    return SCHEDULES.find(state["kind"]).from_state(state, settings)


def to_state(schedule: Schedule) -> dict[str, Any]:
    return {"kind": schedule.name, **schedule.state()}


__all__ = ["SCHEDULES", "Schedule", "Progress", "IPOP", "BIPOP", "Separable", "register",
           "schedule_for"]

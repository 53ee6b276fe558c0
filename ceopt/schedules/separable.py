"""The separable schedule: test whether the objective adds up over the coordinates, and if so
search it coordinate by coordinate instead of restarting as the run's own schedule would.

A rotation-invariant Gaussian cannot exploit separability (``docs/ce-method.md``,
"Separable objectives"). This schedule wraps the run's restart schedule (its *fallback*:
IPOP, BIPOP, ...):

1. The first population is the test's d + 2 points (:func:`probe`, :func:`additive`). If
   the values add up, the local searches use a diagonal Gaussian (there are no correlations
   to learn) and begin with a coordinate sweep (:class:`~ceopt.schedules.coordinate
   .CoordinateSweep`) from the test's best point; otherwise the run goes on exactly as the
   fallback alone would, the test's d + 2 evaluations spent.
2. A sweep ends in a local search that polishes its point, at a quarter of the sweep's final
   spreads. A restart after it is another sweep from the best point, while the budget holds
   one (then the fallback's restarts, with the diagonal Gaussian).
3. A sweep whose point misses its predicted value finds the objective coupled: the run goes
   back to its original distribution and sizes, from the best point, and never sweeps again.

The test is made only when restarts may follow and the budget holds it and ten iterations of
a sweep (``coordinate.budget_needed``). ``separable=True`` sweeps without the test.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import distributions
from ..handlers import BoundaryHandler
from ..local_search import Search, SearchSettings, Told
from ..selection import best_number
from .base import Progress, Schedule
from .coordinate import (
    POLISH_SPREAD,
    CoordinateSweep,
    Fingerprint,
    adds_up,
    budget_needed,
    check_unchanged,
    polish_start,
    rounding,
)

#: The test's steps: the spread times 0.5 ... 1.5, a different factor per coordinate, so
#: that couplings do not cancel by symmetry (steps of one size along (1, 1) and (1, -1)).
GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def probe(x0: NDArray, std: NDArray, box: BoundaryHandler | None) -> NDArray:
    """The d + 2 points of the test: x0, x0 moved along each coordinate, and x0 moved along
    all of them at once. Each step is the coordinate's spread times its own factor in
    [0.5, 1.5), towards the side of the box with more room, and at most that room."""
    d = x0.size
    step = std * (0.5 + (GOLDEN * np.arange(1, d + 1)) % 1.0)
    moved = x0 + step
    if box is not None:
        up, down = box.high - x0, x0 - box.low
        moved = np.where(up >= down, x0 + np.minimum(step, up), x0 - np.minimum(step, down))
    points = np.repeat(x0[None], d + 2, axis=0)
    points[np.arange(1, d + 1), np.arange(d)] = moved
    points[d + 1] = moved
    return points


def additive(losses: NDArray) -> bool:
    """Whether the probe's values add up, and at least one step changed the value (a plateau
    adds up trivially)."""
    if not np.all(np.isfinite(losses)):
        return False
    base, changes = losses[0], losses[1:-1] - losses[0]
    scale = np.abs(losses).max()
    return bool(np.abs(changes).max() > rounding(losses.size, scale)
                and adds_up(base, changes, losses[-1], scale))


class Probe(Search):
    """The separability test as a search: one population, :func:`probe`'s points, told back
    exactly as asked. It leaves ``separable``, and the best point it saw."""

    kind = "probe"

    def __init__(self, point: NDArray, std: NDArray, handler: BoundaryHandler | None, *,
                 dist, popsize: int, n_elite: int):
        self.point, self.std, self.handler = point, std, handler
        self.dist, self.popsize, self.n_elite = dist, popsize, n_elite
        self.asked: Fingerprint | None = None
        self.separable = False
        self.best: tuple[NDArray, float] | None = None
        self.magnitude = 0.0

    @property
    def batch_size(self) -> int:
        return self.point.size + 2

    def ask(self, rng: np.random.Generator) -> NDArray:
        X = probe(self.point, self.std, self.handler)
        if self.handler is not None:  # integer coordinates are evaluated rounded
            X = self.handler.repair(X)
        self.asked = Fingerprint.of(X)
        return X

    def tell(self, X: NDArray, losses: NDArray) -> Told:
        check_unchanged(self.asked, X)
        self.asked = None
        best = best_number(losses)
        self.separable = additive(losses)  # (so every value is finite, and best is not None)
        if self.separable:
            self.best = (X[best].copy(), float(losses[best]))
            self.magnitude = float(np.abs(losses).max())
        return Told(np.nan, best)

    def state(self) -> dict[str, Any]:
        # A told probe is replaced at once: only an untold one is ever saved.
        asked = None if self.asked is None else self.asked.state()
        return {"point": self.point, "std": self.std, "asked": asked,
                "dist": distributions.to_state(self.dist), "popsize": self.popsize,
                "n_elite": self.n_elite}


class Separable(Schedule):
    """The schedule of the module docstring, around ``fallback`` (a schedule, not bound yet).

    ``verdict``: None to test first, True to sweep without the test. ``sizes_given``: the
    population options the user gave, which the diagonal Gaussian's sizes are resolved from.
    """

    name = "separable"

    def __init__(self, fallback: Schedule, verdict: bool | None = None,
                 sizes_given: dict[str, Any] | None = None):
        super().__init__(max_restarts=fallback.max_restarts)
        self.fallback = fallback
        self.verdict = verdict
        self.sizes_given = dict(sizes_given or {})

    def bind(self, settings: SearchSettings, dist, popsize: int, n_elite: int) -> None:
        super().bind(settings, dist, popsize, n_elite)
        self.fallback.bind(settings, dist, popsize, n_elite)
        self.coupled = self.fallback  # the original: what a coupled objective goes back to
        self.active = self.fallback  # the one in force: the original, or the diagonal one

    # -- the phases --------------------------------------------------------------------------
    def first(self, progress: Progress) -> Search:
        d = self.initial.dim
        if self.verdict is None:
            if progress.restarts_left > 0 and progress.fits(d + 2 + budget_needed(d)):
                return Probe(self._start_point(), self.initial.std, self.settings.handler,
                             dist=self.initial, popsize=self.popsize, n_elite=self.n_elite)
            self.verdict = False  # no restarts or budget to spend on sweeps: never tested
        if self.verdict:
            self._go_diagonal()
            if progress.fits(budget_needed(d)):
                return self._sweep(self._start_point(), np.nan, 0.0, self.active)
        return self.active.first(progress)

    def after_tell(self, search: Search, progress: Progress) -> Search:
        d = self.initial.dim
        if isinstance(search, Probe):
            self.verdict = search.separable
            if self.verdict:
                self._go_diagonal()
                if progress.fits(budget_needed(d)):  # a sweep from the test's best point
                    point, loss = search.best
                    return self._sweep(point, loss, search.magnitude, self.active)
            return self.active.first(progress)
        if isinstance(search, CoordinateSweep):
            if search.coupled:  # not separable after all: on from the best point
                self.verdict, self.active = False, self.coupled
                start = self.coupled
                return self.settings.local(start.initial.moved(progress.best_x), start.popsize,
                                           start.n_elite)
            if search.done or not progress.fits(search.batch_size):
                return self._polish(search)  # (a budget that ends it early: the polish)
        return search

    def before_ask(self, search: Search, progress: Progress) -> Search:
        if isinstance(search, CoordinateSweep) and not progress.fits(search.batch_size):
            return self._polish(search)  # (a run resumed with a smaller budget)
        return search

    def can_restart(self, ended: Search, progress: Progress) -> bool:
        return self._sweep_next(progress) or self.active.can_restart(ended, progress)

    def restart(self, ended: Search, progress: Progress, rng: np.random.Generator) -> Search:
        if self._sweep_next(progress):  # a sweep from the best point instead
            return self._sweep(progress.best_x, progress.best_loss, 0.0, ended)
        return self.active.restart(ended, progress, rng)

    # -- helpers ---------------------------------------------------------------------------
    def _sweep_next(self, progress: Progress) -> bool:
        """Whether a restart now is a sweep: the objective is separable and the budget left
        holds one."""
        return bool(self.verdict) and progress.fits(budget_needed(self.initial.dim))

    def _sweep(self, point: NDArray, loss: float, magnitude: float,
               sizes: Search | Schedule) -> CoordinateSweep:
        """A sweep from ``point``, reporting the distribution and sizes of ``sizes``."""
        dist = sizes.dist if isinstance(sizes, Search) else sizes.initial
        return CoordinateSweep(point, loss, self.active.initial.std, self.settings.handler,
                               magnitude, dist=dist, popsize=sizes.popsize,
                               n_elite=sizes.n_elite)

    def _polish(self, sweep: CoordinateSweep) -> Search:
        """The local search that polishes the sweep's point, at a fraction of its final
        spreads."""
        start = polish_start(self.active.initial, sweep.point, POLISH_SPREAD * sweep.std)
        return self.settings.local(start, sweep.popsize, sweep.n_elite)

    def _start_point(self) -> NDArray:
        """The initial mean, inside the box."""
        mean, handler = self.initial.mean, self.settings.handler
        return mean if handler is None else handler.repair(mean[None])[0]

    def _go_diagonal(self) -> None:
        """From now on the local searches use the family without correlations (faster to
        adapt, with its own smaller population unless the user chose one)."""
        original = self.coupled
        diagonal = original.initial.diagonal()
        if diagonal is original.initial:
            return
        popsize, n_elite = original.popsize, original.n_elite  # the user's, if given
        if self.sizes_given.get("popsize") is None and self.sizes_given.get("n_elite") is None:
            popsize, n_elite = self.settings.rule.sizes(diagonal, **self.sizes_given)
        self.active = original.with_start(diagonal, popsize, n_elite)

    # -- checkpoints -------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        diagonal = None if self.active is self.coupled else self.active.state()
        return {"verdict": self.verdict, "sizes_given": self.sizes_given,
                "fallback": {"kind": self.coupled.name, **self.coupled.state()},
                "diagonal": diagonal}

    @classmethod
    def from_state(cls, state: dict[str, Any], settings: SearchSettings) -> Separable:
        from . import SCHEDULES  # the registry imports this module

        fallback = SCHEDULES.find(state["fallback"]["kind"]).from_state(state["fallback"],
                                                                        settings)
        schedule = cls(fallback, state["verdict"], state["sizes_given"])
        schedule.bind(settings, fallback.initial, fallback.popsize, fallback.n_elite)
        schedule.coupled = fallback
        diagonal = state["diagonal"]
        if diagonal is not None:
            schedule.active = type(fallback).from_state(diagonal, settings)
        return schedule

    def search_from_state(self, state: dict[str, Any]) -> Search:
        handler = self.settings.handler
        if state["kind"] == CoordinateSweep.kind:
            return CoordinateSweep.from_state(state, handler)
        if state["kind"] == Probe.kind:
            probe_ = Probe(np.array(state["point"]), np.array(state["std"]), handler,
                           dist=distributions.from_state(state["dist"]),
                           popsize=int(state["popsize"]), n_elite=int(state["n_elite"]))
            probe_.asked = Fingerprint.from_state(state["asked"])
            return probe_
        return super().search_from_state(state)

"""What follows a local search: IPOP restarts, the separability test and coordinate sweeps.

This is the part of :class:`~ceopt.CrossEntropy` that decides where the next local search
starts; the CE update itself is in ``cross_entropy.py``. Restarts happen while ``restarts``
remain (by default as many as a budget ``max_evals`` allows under method ``"adaptive"``, and
none otherwise); the separability test needs method ``"adaptive"`` and restarts:

1. The first population is the separability test's d + 2 points (:func:`ceopt.coordinate.probe`).
   If the values add up over the coordinates, the local searches use a diagonal Gaussian and
   begin with a coordinate sweep (:class:`ceopt.coordinate.CoordinateSweep`) from the test's
   best point; otherwise the run goes on exactly as without the test.
2. When a local search ends (collapse, stagnation, flat values: :mod:`ceopt.stopping`) and
   the budget allows, the run restarts: IPOP, from the initial spread with
   ``RESTART_GROWTH`` times the population, at a random point of a finite box; on a separable
   objective a sweep from the best point instead.
3. A sweep ends in a local search that polishes its point. A sweep whose point misses its
   predicted value finds the objective coupled: the run goes back to its original
   distribution and sizes, from the best point, and never sweeps again.
"""

from __future__ import annotations

import hashlib

import numpy as np
from numpy.typing import NDArray

from . import coordinate
from .adaptation import RESTART_GROWTH
from .coordinate import CoordinateSweep, additive, polish_start, probe
from .distributions import DiagGaussian, Distribution, Gaussian
from .methods import resolve
from .selection import best_number

#: What ``restarts=None`` means when ``max_evals`` is given: the budget is the limit.
UNLIMITED_RESTARTS = 10**9


def digest(X: NDArray) -> bytes:
    """A fingerprint of X's values, to check that a population comes back unchanged without
    keeping a copy (a sweep's is 30 d x d)."""
    return hashlib.blake2b(np.ascontiguousarray(X, dtype=float).data, digest_size=16).digest()


class Restarts:
    """The restart schedule of :class:`~ceopt.CrossEntropy`, as a mixin.

    It provides :attr:`restarts`, ``nrestarts``, ``_restart_due``/``_restart`` (IPOP or a
    sweep), ``_ask_coordinates``/``_tell_coordinates`` (the test's and the sweeps'
    populations), ``_skip_test``, and the ``_testing`` and ``_sweep`` state that
    ``_converged`` and ``_batch_size`` consult.

    It requires of the host: the methods ``_resize``, ``_note_best``, ``_count``,
    ``_converged``, ``_fits`` and ``_new_local_search``; reads ``_box``, ``_rng``,
    ``_best_x``, ``_best_loss``, ``method``, ``max_evals``, ``dim``, ``popsize``,
    ``n_elite``, ``weights``, ``keep_best``, ``tol_fun``, ``smoothing``, ``_scale`` and
    ``_sizes_given``; and sets ``_initial`` and ``_dist`` (the diagonal switch, and the way
    back from it).

    Its own state: ``nrestarts``; ``_restarts``, the user's limit (None: see
    :attr:`restarts`); ``_separable``, None until the test's values are told (the test comes
    first or never); ``_sweep``, the running sweep; ``_asked``, the (shape, digest) of the
    test's or a sweep's population as asked; ``_not_separable``, the distribution and sizes
    to go back to if a sweep finds the objective coupled.
    """

    def _init_restarts(self, restarts: int | None, separable: bool | None,
                       dist: Distribution, popsize: int, n_elite: int) -> None:
        self._restarts = restarts
        self.nrestarts = 0
        self._separable = separable
        self._sweep: CoordinateSweep | None = None
        self._asked: tuple | None = None
        self._not_separable = (dist, popsize, n_elite)
        if self._separable:
            self._go_diagonal()
            if self._sweep_fits():
                self._sweep = self._new_sweep(self._start_point(), np.nan)

    @property
    def restarts(self) -> int:
        """How many restarts the run may make in all (see ``restarts`` in CrossEntropy).

        Resolved when asked, so that a run resumed with a new budget restarts too. Without a
        budget none by default: each restart doubles the population, so an unbudgeted run
        could go on for ever.
        """
        if self._restarts is not None:
            return self._restarts
        if self.method == "adaptive" and self.max_evals is not None:
            return UNLIMITED_RESTARTS
        return 0

    def _restart_due(self) -> bool:
        """Whether the local search has ended and a restart may follow: restarts remain and
        the restart's first population (a sweep's on a separable objective, else the doubled
        one) fits in ``max_evals`` (else the run stops as converged)."""
        if self.nrestarts >= self.restarts or self._converged() is None:
            return False
        return self._sweep_next or self._fits(self.popsize * RESTART_GROWTH)

    def _restart(self) -> None:
        """IPOP: start again from the initial spread with a larger population (on a separable
        objective, while the budget allows: a coordinate sweep from the best point instead).

        The best point and the counters are kept; in a finite box the new mean is a uniform
        random point of it, otherwise the initial mean. Made by the ``ask`` after the ``tell``
        that ended the local search, so a run that stops there (on ``max_iter``, a callback)
        keeps its converged distribution.
        """
        self.nrestarts += 1
        if self._sweep_next:  # a sweep from the best point instead
            self._sweep = self._new_sweep(self._best_x, self._best_loss)
            return
        dist = self._initial
        if self._box is not None and self._box.finite:
            dist = dist.moved(self._rng.uniform(self._box.low, self._box.high))
        self._new_local_search(dist)
        self._resize(self.popsize * RESTART_GROWTH, self.n_elite * RESTART_GROWTH)

    @property
    def _sweep_next(self) -> bool:
        """Whether a restart now is a sweep: the objective is separable and the budget left
        holds one."""
        return bool(self._separable) and self._sweep_fits()

    # -- the separability test and the sweeps --------------------------------------------------
    def _skip_test(self) -> None:
        """No test from now on: it is the first population or never (a ``tell`` of a
        population that ``ask`` did not make, or no restarts or budget to sweep)."""
        if self._separable is None:
            self._separable = False

    @property
    def _testing(self) -> bool:
        """Whether the next population is the separability test's: it has not been made, and
        restarts and the budget leave room for sweeps after it."""
        return (self._separable is None and self.restarts > 0
                and self._sweep_fits(self.dim + 2))

    def _ask_coordinates(self) -> NDArray | None:
        """The test's or a sweep's population if one is next, else None (a local search's)."""
        if not self._testing:
            self._skip_test()  # no restarts or budget to spend on sweeps
        if self._sweep is not None and not self._fits(self._sweep.batch_size):
            self._end_sweep()  # (a run resumed with a smaller budget)
        if self._separable is not None and self._sweep is None:
            return None
        X = (probe(self._start_point(), self._initial.std, self._box)
             if self._separable is None else self._sweep.ask(self._rng))
        self._asked = (X.shape, digest(X))
        return X

    def _tell_coordinates(self, X: NDArray, values: NDArray, losses: NDArray) -> None:
        """``tell`` for the separability test's population and a sweep's (no elite threshold:
        the history's gamma is NaN)."""
        if (X.shape, digest(X)) != self._asked:
            raise ValueError("the separability test and a coordinate sweep take exactly the "
                             "population ask returned")
        best = best_number(losses)
        if self._separable is None:
            if additive(losses):  # (so every value is finite, and best is not None)
                self._go_diagonal()
                self._separable = True
                if self._sweep_fits(X.shape[0]):  # from the test's best point
                    self._sweep = self._new_sweep(X[best], losses[best],
                                                  float(np.abs(losses).max()))
            else:
                self._separable = False
        else:
            self._sweep.tell(losses)
        self._note_best(X, losses, best)
        self._asked = None
        self._count(X, values, np.nan)
        sweep = self._sweep
        if sweep is not None and sweep.coupled:
            # Not separable after all: on as if the test had failed, from the best point.
            self._separable, self._sweep = False, None
            dist, popsize, n_elite = self._not_separable
            self._initial = dist
            self._new_local_search(dist.moved(self._best_x))
            self._resize(popsize, n_elite)
        elif sweep is not None and (sweep.done or not self._fits(sweep.batch_size)):
            self._end_sweep()  # (when the budget ends it early, the rest goes to the polish)

    def _end_sweep(self) -> None:
        """The local search polishes the sweep's point, at a fraction of its final spreads."""
        sweep, self._sweep = self._sweep, None
        self._new_local_search(polish_start(self._initial, sweep.point,
                                            coordinate.POLISH_SPREAD * sweep.std))

    def _start_point(self) -> NDArray:
        """The initial mean, inside the box."""
        mean = self._initial.mean
        return mean if self._box is None else self._box.project(mean)

    def _go_diagonal(self) -> None:
        """A separable objective has no correlations to learn: from now on the local searches
        use a diagonal Gaussian (faster to adapt, with its own smaller population)."""
        if not isinstance(self._initial, Gaussian):
            return
        initial = self._initial
        diagonal = DiagGaussian(initial.mean, initial.std, min_std=initial.min_std)
        popsize, n_elite = self.popsize, self.n_elite  # the user's, if given
        if self._sizes_given["popsize"] is None and self._sizes_given["n_elite"] is None:
            preset = resolve(diagonal, method=self.method, weights=self.weights,
                             scale_control=self._scale is not None, keep_best=self.keep_best,
                             tol_fun=self.tol_fun, separable=True, smoothing=self.smoothing,
                             **self._sizes_given)
            popsize, n_elite = preset.popsize, preset.n_elite
        self._initial = diagonal
        if self._dist is initial:  # no local search has started yet
            self._dist = diagonal
        self._resize(popsize, n_elite)

    def _sweep_fits(self, spent: int = 0) -> bool:
        """Whether the budget left (after ``spent`` more evaluations) holds
        ``coordinate.budget_needed`` of a sweep; if not, the run goes on without sweeps."""
        return self._fits(spent + coordinate.budget_needed(self.dim))

    def _new_sweep(self, point: NDArray, loss: float, magnitude: float = 0.0) -> CoordinateSweep:
        return CoordinateSweep(point, loss, self._initial.std, self._box, magnitude)

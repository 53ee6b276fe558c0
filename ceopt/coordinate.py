"""Coordinate sweeps: the CE method one coordinate at a time, for separable objectives.

A rotation-invariant Gaussian cannot exploit separability: on separable Rastrigin it does no
better than on a rotated one. When ``f(x) = sum_j g_j(x_j)``, each coordinate is a 1-D problem
of its own, and a 1-D search is cheap and global. Method ``"adaptive"`` therefore first tests
whether the objective is additive (:func:`probe`, :func:`additive`, d + 2 evaluations), and if
it is, replaces its IPOP restarts by cycles of

1. a sweep (:class:`CoordinateSweep`): d one-dimensional CE searches from the best point, each
   varying one coordinate and keeping the others fixed, all drawn in one batch; then
2. a local search of the Gaussian from the sweep's point, at a quarter of its final spreads,
   which polishes the point to full precision in all coordinates at once.

Each 1-D search is the CE update of a 1-D Gaussian N(m_j, s_j^2) on its own samples: rank
weights on the better half, the mean refitted and the variance fitted about the previous mean
(the update of method ``"adaptive"``, without its scale control):

    m_j <- sum_i w_i v_(i),j        s_j^2 <- sum_i w_i (v_(i),j - m_j_old)^2

The sweep's point takes, in every coordinate, the best value seen if it beat the point's own
value (on an additive objective those gains add up); it is evaluated with the next batch.

Measured on BBOB f1-f5 in ``benchmarks/results/bbob.md``. The test runs when restarts are
possible (a budget is given); it costs d + 2 evaluations on a non-separable objective and
nothing else. A sweep starts only while the budget left holds ``SWEEP_BUDGET`` of its
iterations (d * SWEEP_SAMPLES evaluations each); otherwise the run goes on as if the objective
were not separable. ``separable=False`` turns it all off; ``True`` skips the test.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .adaptation import rank_weights
from .bounds import Box
from .distributions import DiagGaussian, Gaussian

#: Samples per coordinate per sweep iteration: enough for a 1-D search over about ten basins.
SWEEP_SAMPLES = 30
#: A sweep is started only if the budget left holds this many of its iterations.
SWEEP_BUDGET = 10
#: A sweep ends when every coordinate's spread is below this fraction of its initial spread...
SWEEP_END = 0.1
#: ... or after this many iterations (a coordinate whose best value lies on a plateau).
SWEEP_MAX_ITER = 50
#: The local search after a sweep starts with this fraction of the sweep's final spreads: the
#: sweep's spread still covers neighbouring basins, which a full-width start would fall into.
POLISH_SPREAD = 0.25
#: The additivity test's tolerance, relative to the largest value of the probe.
ADDITIVE_RTOL = 1e-9


def budget_needed(dim: int) -> int:
    """The evaluations a sweep needs to be started: ``SWEEP_BUDGET`` of its iterations."""
    return SWEEP_BUDGET * dim * SWEEP_SAMPLES


def probe(x0: NDArray, std: NDArray, box: Box | None) -> NDArray:
    """The d + 2 points of the additivity test: x0, x0 moved along each coordinate by its
    spread, and x0 moved along all of them at once (inside the box, if any)."""
    d = x0.size
    moved = x0 + std
    if box is not None:  # step the other way where the step leaves the box, then clip
        moved = np.where(moved > box.high, x0 - std, moved)
        moved = np.clip(moved, box.low, box.high)
    points = np.repeat(x0[None], d + 2, axis=0)
    points[np.arange(1, d + 1), np.arange(d)] = moved
    points[d + 1] = moved
    return points


def additive(losses: NDArray) -> bool:
    """Whether the probe's values add up: ``f(x0 + sum_j e_j) - f(x0) = sum_j (f(x0 + e_j) -
    f(x0))`` to a relative ``ADDITIVE_RTOL``, and at least one step changed the value (a
    plateau adds up trivially)."""
    if not np.all(np.isfinite(losses)):
        return False
    base, steps, together = losses[0], losses[1:-1] - losses[0], losses[-1]
    tolerance = ADDITIVE_RTOL * np.abs(losses).max()
    return bool(np.abs(steps).max() > tolerance
                and abs(together - (base + steps.sum())) <= tolerance)


class CoordinateSweep:
    """d one-dimensional CE searches from a point, sampled in one batch (module docstring).

    Parameters
    ----------
    point, loss : the point the searches start from and its loss (``inf`` if unknown).
    std : each coordinate's initial spread (the initial Gaussian's standard deviations).
    box : samples are projected onto it, and fitted as projected.

    The batch is ``d * SWEEP_SAMPLES`` rows, row ``j * SWEEP_SAMPLES + i`` varying coordinate
    ``j``, plus a last row for the point with the coordinates' gains when there is one.
    """

    def __init__(self, point: NDArray, loss: float, std: NDArray, box: Box | None):
        self.point, self.loss = point.copy(), float(loss)
        self.mean, self.std = point.copy(), std.copy()
        self._end_std = SWEEP_END * std
        self._box = box
        self._weights = rank_weights(SWEEP_SAMPLES // 2)
        self._candidate: NDArray | None = None  # the point with the gains, not yet evaluated
        self._values: NDArray | None = None  # the last batch's sampled coordinate values
        self.nit = 0

    @property
    def batch_size(self) -> int:
        return self.point.size * SWEEP_SAMPLES + (self._candidate is not None)

    @property
    def done(self) -> bool:
        return bool(np.all(self.std <= self._end_std)) or self.nit >= SWEEP_MAX_ITER

    @property
    def start(self) -> NDArray:
        """Where the local search after the sweep starts: the point with the last gains."""
        return self.point if self._candidate is None else self._candidate

    def ask(self, rng: np.random.Generator) -> NDArray:
        d, k = self.point.size, SWEEP_SAMPLES
        values = self.mean[:, None] + self.std[:, None] * rng.standard_normal((d, k))
        if self._box is not None:
            values = np.clip(values, self._box.low[:, None], self._box.high[:, None])
        self._values = values
        X = np.repeat(self.point[None], self.batch_size, axis=0)
        X[np.arange(d * k), np.repeat(np.arange(d), k)] = values.ravel()
        if self._candidate is not None:
            X[-1] = self._candidate
        return X

    def tell(self, losses: NDArray) -> None:
        """Update from the losses of the batch :meth:`ask` returned (NaN is never chosen)."""
        d, k = self.point.size, SWEEP_SAMPLES
        if self._candidate is not None:
            if losses[-1] < self.loss:
                self.point, self.loss = self._candidate, float(losses[-1])
            self._candidate = None
        per_coordinate = np.where(np.isnan(losses[:d * k]), np.inf, losses[:d * k]).reshape(d, k)
        order = np.argsort(per_coordinate, axis=1, kind="stable")
        elites = np.take_along_axis(self._values, order[:, :self._weights.size], axis=1)
        mean = elites @ self._weights
        self.std = np.sqrt(((elites - self.mean[:, None]) ** 2) @ self._weights)
        self.mean = mean
        # Gains: coordinates whose best sample beat the point.
        rows = np.arange(d)
        best = per_coordinate[rows, order[:, 0]]
        gains = best < self.loss
        if gains.any():
            self._candidate = self.point.copy()
            self._candidate[gains] = self._values[rows, order[:, 0]][gains]
        self.nit += 1


def polish_start(like: Gaussian | DiagGaussian, mean: NDArray,
                 std: NDArray) -> Gaussian | DiagGaussian:
    """A distribution of ``like``'s family about ``mean`` with standard deviations ``std``
    (floored at its ``min_std``)."""
    std = np.maximum(std, max(like.min_std, 1e-300))
    if isinstance(like, Gaussian):
        return Gaussian(mean, std**2, min_std=like.min_std)
    return DiagGaussian(mean, std, min_std=like.min_std)

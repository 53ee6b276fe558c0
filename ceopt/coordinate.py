"""Coordinate sweeps: the CE method one coordinate at a time, for separable objectives.

A rotation-invariant Gaussian cannot exploit separability: on separable Rastrigin it does no
better than on a rotated one. When ``f(x) = sum_j g_j(x_j)``, each coordinate is a 1-D problem
of its own, and a 1-D search is cheap and global. With a budget, method ``"adaptive"``
therefore first tests whether the objective adds up over the coordinates (:func:`probe`,
:func:`additive`: d + 2 evaluations), and if it does, searches with a diagonal Gaussian and
replaces its IPOP restarts by cycles of

1. a sweep (:class:`CoordinateSweep`): d one-dimensional CE searches from the best point, each
   varying one coordinate and keeping the others fixed, all drawn in one batch; then
2. a local search of the diagonal Gaussian from the sweep's point, at a quarter of the
   sweep's final spreads, which polishes all coordinates at once to full precision.

Each 1-D search is the CE update of a 1-D Gaussian N(m_j, s_j^2) on its own samples: rank
weights w_i on the better half, the mean refitted and the variance fitted about the previous
mean (the update of method ``"adaptive"``, without its scale control):

    m_j <- sum_i w_i v_(i),j        s_j^2 <- sum_i w_i (v_(i),j - m_j_old)^2

After each batch the sweep's point takes, in every coordinate, the best value sampled if it
beat the point. On an additive objective the new point's value is predicted exactly (the
point's value plus the coordinates' gains); the next batch evaluates it, and a value that
differs is proof that the objective is not separable after all: the run then goes on without
sweeps (``CoordinateSweep.coupled``). The test alone cannot see couplings that vanish near x0
(a penalty that is inactive there) or cancel at its points; this check sees them as soon as
the sweep moves two coordinates at once.

Measured in ``benchmarks/results/bbob.md`` (BBOB f1-f5) and ``separable.md``. On a
non-separable objective the test costs d + 2 evaluations and nothing else. ``separable=False``
turns it all off; ``True`` skips the test.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .adaptation import rank_weights
from .bounds import Box
from .distributions import DiagGaussian

#: Samples per coordinate per sweep iteration: enough for a 1-D search over about ten basins.
SWEEP_SAMPLES = 30
#: The test is made, and a sweep started, only if the budget left holds this many of a
#: sweep's iterations (d * SWEEP_SAMPLES evaluations each).
SWEEP_BUDGET = 10
#: A sweep ends when every coordinate's spread is below this fraction of its initial spread
#: (or the coordinate does not change the value at all) ...
SWEEP_END = 0.1
#: ... or after this many iterations (a coordinate whose best values lie on a plateau).
SWEEP_MAX_ITER = 50
#: The local search after a sweep starts with this fraction of the sweep's final spreads: the
#: sweep's spread still covers neighbouring basins, which a full-width start would fall into.
POLISH_SPREAD = 0.25
#: How far values may miss adding up, relative to the changes added (plus float rounding).
ADDITIVE_RTOL = 1e-9
#: The test's steps: the spread times 0.5 ... 1.5, a different factor per coordinate, so
#: that couplings do not cancel by symmetry (steps of one size along (1, 1) and (1, -1)).
GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def budget_needed(dim: int) -> int:
    """Evaluations the budget left must hold to test or to start a sweep."""
    return SWEEP_BUDGET * dim * SWEEP_SAMPLES


def rounding(terms: int, scale: float) -> float:
    """A bound on the rounding error of a sum of ``terms`` values of size up to ``scale``
    (the largest seen: an objective's rounding follows its terms, which near an optimum are
    much larger than its value)."""
    return 8 * terms * np.finfo(float).eps * scale


def adds_up(base: float, changes: NDArray, together: float, scale: float) -> bool:
    """Whether ``together - base == sum(changes)`` up to ``ADDITIVE_RTOL`` of the changes and
    the rounding of values of size ``scale``."""
    tolerance = ADDITIVE_RTOL * np.abs(changes).sum() + rounding(changes.size + 2, scale)
    return bool(abs(together - base - changes.sum()) <= tolerance)


def probe(x0: NDArray, std: NDArray, box: Box | None) -> NDArray:
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


class CoordinateSweep:
    """d one-dimensional CE searches from a point, sampled in one batch (module docstring).

    Parameters
    ----------
    point, loss : the point the searches start from and its loss (NaN if not evaluated: the
        first batch then evaluates it).
    std : each coordinate's initial spread (the initial Gaussian's standard deviations).
    box : samples are projected onto it, and fitted as projected.
    magnitude : the largest finite |loss| seen so far, whose rounding the check allows for.

    The batch is ``d * SWEEP_SAMPLES`` rows, row ``j * SWEEP_SAMPLES + i`` varying coordinate
    ``j`` of the point, and a last row, the point itself, while its loss is not known.
    """

    def __init__(self, point: NDArray, loss: float, std: NDArray, box: Box | None,
                 magnitude: float = 0.0):
        self.point, self.loss = point.copy(), float(loss)
        self.mean, self.std = point.copy(), std.copy()
        self._end_std = SWEEP_END * std
        self._box = box
        self._weights = rank_weights(SWEEP_SAMPLES // 2)
        self._magnitude = max(magnitude, abs(self.loss) if np.isfinite(self.loss) else 0.0)
        self._unevaluated = bool(np.isnan(self.loss))  # the next batch evaluates the point
        # The point's loss predicted as base + sum(gains) (no gains: nothing to check), and
        # the point before it, kept in case its evaluation fails.
        self._base, self._gains = np.nan, np.empty(0)
        self._previous: tuple | None = None
        self._flat = np.zeros(point.size, dtype=bool)  # coordinates that change nothing
        self._values: NDArray | None = None  # the last batch's sampled coordinate values
        self.coupled = False  # the point's value missed its prediction: not separable
        self.nit = 0

    @property
    def batch_size(self) -> int:
        return self.point.size * SWEEP_SAMPLES + self._unevaluated

    @property
    def done(self) -> bool:
        return (self.coupled or self.nit >= SWEEP_MAX_ITER
                or bool(np.all((self.std <= self._end_std) | self._flat)))

    def ask(self, rng: np.random.Generator) -> NDArray:
        d, k = self.point.size, SWEEP_SAMPLES
        values = self.mean[:, None] + self.std[:, None] * rng.standard_normal((d, k))
        if self._box is not None:
            values = np.clip(values, self._box.low[:, None], self._box.high[:, None])
        self._values = values
        X = np.repeat(self.point[None], self.batch_size, axis=0)
        X[np.arange(d * k), np.repeat(np.arange(d), k)] = values.ravel()
        return X

    def tell(self, losses: NDArray) -> None:
        """Update from the losses of the batch :meth:`ask` returned (NaN is never chosen)."""
        d, k = self.point.size, SWEEP_SAMPLES
        finite = np.abs(losses[np.isfinite(losses)])
        if finite.size:
            self._magnitude = max(self._magnitude, float(finite.max()))
        moved_back = self._unevaluated and self._check(float(losses[-1]))
        sampled = np.where(np.isnan(losses[:d * k]), np.inf, losses[:d * k]).reshape(d, k)
        self._flat |= np.all(sampled == sampled[:, :1], axis=1)
        order = np.argsort(sampled, axis=1, kind="stable")
        elites = np.take_along_axis(self._values, order[:, :self._weights.size], axis=1)
        mean = elites @ self._weights
        self.std = np.sqrt(((elites - self.mean[:, None]) ** 2) @ self._weights)
        self.mean = mean
        # The point takes the coordinates' gains (beyond rounding; any finite value is a gain
        # over a point whose loss is not finite).
        rows = np.arange(d)
        best = sampled[rows, order[:, 0]]
        reference = self.loss if np.isfinite(self.loss) else np.inf
        gains = best < reference - rounding(d + 2, self._magnitude)
        if gains.any() and not self.coupled and not moved_back:
            self._previous = (self.point, self.loss)
            self.point = self.point.copy()
            self.point[gains] = self._values[rows, order[:, 0]][gains]
            if gains.sum() == 1:  # the point is the sample just evaluated: nothing to check
                self.loss, self._gains = float(best[gains][0]), np.empty(0)
            elif np.isfinite(self.loss):  # predicted, and checked by the next batch
                self._base, self._gains = self.loss, best[gains] - self.loss
                self.loss, self._unevaluated = self._base + self._gains.sum(), True
            else:  # nothing to predict from: evaluated by the next batch, not checked
                self.loss, self._gains, self._unevaluated = np.nan, np.empty(0), True
        self.nit += 1

    def _check(self, actual: float) -> bool:
        """The point's value, evaluated: against its prediction, if there is one. Returns
        whether the point moved back (its evaluation failed, which proves nothing; the batch's
        gains were then measured from the point that failed, so they are not taken)."""
        self._unevaluated = False
        if not np.isfinite(actual) and self._previous is not None:
            self.point, self.loss = self._previous
            return True
        if self._gains.size and not adds_up(self._base, self._gains, actual, self._magnitude):
            self.coupled = True
        self.loss = actual
        return False


def polish_start(like: DiagGaussian, mean: NDArray, std: NDArray) -> DiagGaussian:
    """``like``'s family about ``mean`` with standard deviations ``std`` (floored, so that a
    coordinate whose samples all fell on a face keeps a spread)."""
    std = np.maximum(std, np.maximum(like.min_std, 1e-8 * like.std))
    return DiagGaussian(mean, std, min_std=like.min_std)

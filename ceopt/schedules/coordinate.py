"""Coordinate sweeps: the CE method one coordinate at a time, for separable objectives
(the searches of the schedule in :mod:`ceopt.schedules.separable`).

A rotation-invariant Gaussian cannot exploit separability: on separable Rastrigin it does no
better than on a rotated one. When ``f(x) = sum_j g_j(x_j)``, each coordinate is a 1-D problem
of its own, and a 1-D search is cheap and global. With a budget, method ``"adaptive"``
therefore first tests whether the objective adds up over the coordinates (d + 2
evaluations, :mod:`ceopt.schedules.separable`), and if it does, searches with a diagonal
Gaussian and replaces its IPOP restarts by cycles of

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

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import distributions
from ..distributions import DiagGaussian, Distribution
from ..handlers import BoundaryHandler
from ..local_search import Search, Told
from ..selection import best_number
from ..updates import rank_weights

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


@dataclass(frozen=True)
class Fingerprint:
    """A population's shape and a digest of its values: enough to check that it comes back as
    it was asked, without keeping a copy (a sweep's is 30 d x d)."""

    shape: tuple[int, ...]
    digest: str

    @classmethod
    def of(cls, X: NDArray) -> Fingerprint:
        digest = hashlib.blake2b(np.ascontiguousarray(X, dtype=float).data, digest_size=16)
        return cls(tuple(X.shape), digest.hexdigest())

    def state(self) -> dict[str, Any]:
        return {"shape": list(self.shape), "digest": self.digest}

    @classmethod
    def from_state(cls, state: dict[str, Any] | None) -> Fingerprint | None:
        if state is None:
            return None
        return cls(tuple(int(n) for n in state["shape"]), str(state["digest"]))


def check_unchanged(asked: Fingerprint | None, X: NDArray) -> None:
    """The populations of the separability test and of a sweep come back as asked."""
    if asked is None or Fingerprint.of(X) != asked:
        raise ValueError("the separability test and a coordinate sweep take exactly the "
                         "population ask returned (call ask first; pass separable=False to "
                         "tell populations of your own)")


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


class CoordinateSweep(Search):
    """d one-dimensional CE searches from a point, sampled in one batch (module docstring).

    Parameters
    ----------
    point, loss : the point the searches start from and its loss (NaN if not evaluated: the
        first batch then evaluates it).
    std : each coordinate's initial spread (the initial Gaussian's standard deviations).
    handler : samples are clipped to its coordinate bounds, and fitted as clipped.
    magnitude : the largest finite |loss| seen so far, whose rounding the check allows for.
    dist, popsize, n_elite : the distribution and sizes in force, which the sweep leaves as
        they are (the run reports them; the polish after the sweep takes the sizes).

    The batch is ``d * SWEEP_SAMPLES`` rows, row ``j * SWEEP_SAMPLES + i`` varying coordinate
    ``j`` of the point, and a last row, the point itself, while its loss is not known.
    ``tell`` takes that batch back exactly as ``ask`` returned it.
    """

    kind = "sweep"

    def __init__(self, point: NDArray, loss: float, std: NDArray,
                 handler: BoundaryHandler | None, magnitude: float = 0.0, *,
                 dist: Distribution | None = None, popsize: int = 0, n_elite: int = 0):
        self.point, self.loss = point.copy(), float(loss)
        self.mean, self.std = point.copy(), std.copy()
        self.end_std = SWEEP_END * std
        self.handler = handler
        self.magnitude = max(magnitude, abs(self.loss) if np.isfinite(self.loss) else 0.0)
        self.unevaluated = bool(np.isnan(self.loss))  # the next batch evaluates the point
        # The point's loss predicted as base + sum(gains) (no gains: nothing to check), and
        # the point before it, kept in case its evaluation fails.
        self.base, self.gains = np.nan, np.empty(0)
        self.previous: tuple[NDArray, float] | None = None
        self.flat = np.zeros(point.size, dtype=bool)  # coordinates that change nothing
        self.values: NDArray | None = None  # the last batch's sampled coordinate values
        self.coupled = False  # the point's value missed its prediction: not separable
        self.nit = 0
        self.asked: Fingerprint | None = None  # of the batch ask returned
        self.dist, self.popsize, self.n_elite = dist, popsize, n_elite

    @property
    def batch_size(self) -> int:
        return self.point.size * SWEEP_SAMPLES + self.unevaluated

    @property
    def done(self) -> bool:
        return (self.coupled or self.nit >= SWEEP_MAX_ITER
                or bool(np.all((self.std <= self.end_std) | self.flat)))

    def ask(self, rng: np.random.Generator) -> NDArray:
        d, k = self.point.size, SWEEP_SAMPLES
        values = self.mean[:, None] + self.std[:, None] * rng.standard_normal((d, k))
        if self.handler is not None:
            values = np.clip(values, self.handler.low[:, None], self.handler.high[:, None])
        self.values = values
        X = np.repeat(self.point[None], self.batch_size, axis=0)
        X[np.arange(d * k), np.repeat(np.arange(d), k)] = values.ravel()
        if self.handler is not None:  # integer coordinates are evaluated rounded
            X = self.handler.repair(X)
        self.asked = Fingerprint.of(X)
        return X

    def tell(self, X: NDArray, losses: NDArray) -> Told:
        """Update from the batch :meth:`ask` returned and its losses (NaN is never chosen).
        A sweep has no elite threshold: ``gamma`` is NaN."""
        check_unchanged(self.asked, X)
        self.asked = None
        best = best_number(losses)
        d, k = self.point.size, SWEEP_SAMPLES
        finite = np.abs(losses[np.isfinite(losses)])
        if finite.size:
            self.magnitude = max(self.magnitude, float(finite.max()))
        moved_back = self.unevaluated and self._check(float(losses[-1]))
        sampled = np.where(np.isnan(losses[:d * k]), np.inf, losses[:d * k]).reshape(d, k)
        self.flat |= np.all(sampled == sampled[:, :1], axis=1)
        order = np.argsort(sampled, axis=1, kind="stable")
        weights = rank_weights(SWEEP_SAMPLES // 2)
        elites = np.take_along_axis(self.values, order[:, :weights.size], axis=1)
        mean = elites @ weights
        self.std = np.sqrt(((elites - self.mean[:, None]) ** 2) @ weights)
        self.mean = mean
        # The point takes the coordinates' gains (beyond rounding; any finite value is a gain
        # over a point whose loss is not finite).
        rows = np.arange(d)
        best_sampled = sampled[rows, order[:, 0]]
        reference = self.loss if np.isfinite(self.loss) else np.inf
        gains = best_sampled < reference - rounding(d + 2, self.magnitude)
        if gains.any() and not self.coupled and not moved_back:
            self.previous = (self.point, self.loss)
            self.point = self.point.copy()
            self.point[gains] = self.values[rows, order[:, 0]][gains]
            if gains.sum() == 1:  # the point is the sample just evaluated: nothing to check
                self.loss, self.gains = float(best_sampled[gains][0]), np.empty(0)
            elif np.isfinite(self.loss):  # predicted, and checked by the next batch
                self.base, self.gains = self.loss, best_sampled[gains] - self.loss
                self.loss, self.unevaluated = self.base + self.gains.sum(), True
            else:  # nothing to predict from: evaluated by the next batch, not checked
                self.loss, self.gains, self.unevaluated = np.nan, np.empty(0), True
        self.nit += 1
        return Told(np.nan, best)

    def _check(self, actual: float) -> bool:
        """The point's value, evaluated: against its prediction, if there is one. Returns
        whether the point moved back (its evaluation failed, which proves nothing; the batch's
        gains were then measured from the point that failed, so they are not taken)."""
        self.unevaluated = False
        if not np.isfinite(actual) and self.previous is not None:
            self.point, self.loss = self.previous
            return True
        if self.gains.size and not adds_up(self.base, self.gains, actual, self.magnitude):
            self.coupled = True
        self.loss = actual
        return False

    # -- checkpoints -------------------------------------------------------------------------
    _ARRAYS = ("point", "mean", "std", "end_std", "gains", "flat", "values")
    _NUMBERS = ("loss", "magnitude", "base")

    def state(self) -> dict[str, Any]:
        previous = None if self.previous is None else {"point": self.previous[0],
                                                       "loss": self.previous[1]}
        return {**{name: getattr(self, name) for name in self._ARRAYS + self._NUMBERS},
                "unevaluated": self.unevaluated, "coupled": self.coupled, "nit": self.nit,
                "previous": previous,
                "asked": None if self.asked is None else self.asked.state(),
                "dist": distributions.to_state(self.dist), "popsize": self.popsize,
                "n_elite": self.n_elite}

    @classmethod
    def from_state(cls, state: dict[str, Any], handler: BoundaryHandler | None
                   ) -> CoordinateSweep:
        sweep = cls.__new__(cls)
        for name in cls._ARRAYS:
            value = state[name]
            setattr(sweep, name, None if value is None else np.array(value))
        for name in cls._NUMBERS:
            setattr(sweep, name, float(state[name]))
        sweep.unevaluated, sweep.coupled = bool(state["unevaluated"]), bool(state["coupled"])
        sweep.nit, sweep.handler = int(state["nit"]), handler
        previous = state["previous"]
        sweep.previous = (None if previous is None else
                          (np.array(previous["point"]), float(previous["loss"])))
        sweep.asked = Fingerprint.from_state(state["asked"])
        sweep.dist = distributions.from_state(state["dist"])
        sweep.popsize, sweep.n_elite = int(state["popsize"]), int(state["n_elite"])
        return sweep



def polish_start(like: DiagGaussian, mean: NDArray, std: NDArray) -> DiagGaussian:
    """``like``'s family about ``mean`` with standard deviations ``std`` (floored, so that a
    coordinate whose samples all fell on a face keeps a spread)."""
    std = np.maximum(std, np.maximum(like.min_std, 1e-8 * like.std))
    return DiagGaussian(mean, std, min_std=like.min_std)

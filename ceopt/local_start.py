"""A local method before the population search: ``minimize(..., local_start=True)``.

A population method pays for sampling before it moves. On bbob at a tenth of the budget
(100·d evaluations) ceopt reached 0.31/0.19/0.17/0.14 of the targets at d = 2/5/10/20, where
Nelder–Mead and dual annealing, which move from their first evaluations, reached
0.65/0.32/0.23/0.17 (``benchmarks/results/bbob.md``). So a run may first hand its start point
to a local method:

- **Nelder–Mead** below :data:`NELDER_MEAD_BELOW` dimensions (its simplex's edges the
  initial spread), where it did best at 100·d;
- **L-BFGS-B** from there on, with forward-difference gradients: each gradient is one batch
  of ``d + 1`` points, which a vectorized objective or ``workers=`` evaluate at once;
- **COBYQA** if asked (``local_start="cobyqa"``: quadratic models, no gradients).

The method stops when it has converged, or spent :data:`LOCAL_EVALS` · d evaluations (never
more than the budget), or reached ``ftarget``. Its evaluations count in ``nfev``, its best point
is the run's best so far, and the population search begins about it with the spread it would
have had. A failed evaluation (an infinite or NaN value) ends a gradient method's phase: the
population search copes with those. Nothing is drawn at random, so a run is as reproducible as
before.

**Default**: on for a Gaussian over real numbers under method ``"adaptive"`` when the budget
``max_evals`` is at most :data:`SMALL_BUDGET` · d, and for a full covariance from
:data:`LOCAL_START_FROM_DIM` dimensions on; off otherwise. On bbob the local start reached
more targets at every budget up to 300·d; at 1000·d slightly fewer at d = 10 and 20, where
the population search needs the evaluations it would take, more at d = 40 and as many at
d = 80 (``benchmarks/results/bbob-local-start/``, ``bbob.md``, ``bbob-d40/``,
``bbob-largescale-d80/``).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, OptimizeResult
from scipy.optimize import minimize as scipy_minimize

from .distributions import Distribution, LocationScale
from .handlers import Box
from .updates.base import correlated

if TYPE_CHECKING:  # only named in annotations (the run imports this module)
    from .cross_entropy import CrossEntropy
    from .evaluation import Evaluator

#: The local methods ``local_start=`` takes by name (True picks one by the dimension).
METHODS = ("nelder-mead", "l-bfgs-b", "cobyqa")
#: Nelder–Mead below this dimension, L-BFGS-B from it. Measured at d = 2 (Nelder–Mead 0.66 of
#: the bbob targets at 100·d, L-BFGS-B 0.50) and d = 5 (0.27 against 0.35).
NELDER_MEAD_BELOW = 4
#: The most evaluations per dimension the local method may spend. 50 reached fewer targets at
#: 100·d on bbob (0.60/0.28/0.21/0.18 against 0.66/0.35/0.26/0.22 at d = 2/5/10/20).
LOCAL_EVALS = 100
#: By default a run starts with a local method when ``max_evals`` is at most this many
#: evaluations per dimension ...
SMALL_BUDGET = 300
#: ... and, with a full covariance, from this dimension on with any budget: on bbob at 1000·d
#: it reached 0.46 of the targets against 0.42 at d = 40 (instances 1-15; Rosenbrock's
#: group 0.36-0.38 against 0.17, two seeds) and 0.38-0.39 against 0.38 at d = 80
#: (bbob-largescale, f1-f14, instances 1-3), but 0.54 against 0.56 at d = 20 and 0.64
#: against 0.65 at d = 10.
LOCAL_START_FROM_DIM = 40
#: The forward-difference step, relative to ``max(1, |x_i|)``: the square root of the machine
#: epsilon balances the truncation and rounding errors of a forward difference.
STEP = float(np.sqrt(np.finfo(np.float64).eps))


def local_start_method(local_start: bool | str | None, dist: Distribution, bounds: Any, *,
                       method: str, max_evals: int | None,
                       **excluded: Any) -> str | None:
    """The local method ``local_start`` asks for (None: none), refused with a reason where it
    does not apply. ``method`` is the run's update rule by name (``CrossEntropy.method``);
    ``excluded`` are the run's options under which it does not apply (constraints, noise, a
    space, improve): a default local start is off beside them, an asked one is refused."""
    if local_start is None:
        small = max_evals is not None and max_evals <= SMALL_BUDGET * dist.dim
        large = correlated(dist) and dist.dim >= LOCAL_START_FROM_DIM
        return (_table(dist.dim) if method == "adaptive" and (small or large)
                and _applies(dist, bounds, excluded) is None else None)
    if local_start is False:
        return None
    if local_start is True:
        chosen = _table(dist.dim)
    elif isinstance(local_start, str) and local_start.lower() in METHODS:
        chosen = local_start.lower()
    else:
        raise ValueError(f"local_start must be True, False or one of "
                         f"{', '.join(map(repr, METHODS))}, got {local_start!r}")
    reason = _applies(dist, bounds, excluded)
    if reason is not None:
        raise ValueError(f"local_start={local_start!r} {reason}")
    return chosen


def _table(dim: int) -> str:
    return "nelder-mead" if dim < NELDER_MEAD_BELOW else "l-bfgs-b"


def _applies(dist: Distribution, bounds: Any, excluded: dict[str, Any]) -> str | None:
    """Why a local start does not apply to this run (None: it does)."""
    if not isinstance(dist, LocationScale) or dist.discrete:
        return "starts a search over real numbers with a Gaussian: leave it out for this family"
    if bounds is not None and not isinstance(bounds, Box):
        return "keeps box bounds only: leave it out with a handler of your own"
    if isinstance(bounds, Box) and bounds.integral.any():
        return "moves through real numbers: leave it out for integer variables"
    for name, value in excluded.items():
        if value is not None and value is not False:
            return f"needs exact values of unconstrained real vectors: leave it out with {name}="
    return None


class _Spent(Exception):
    """The local phase ends where it is: budget spent, target reached or a failed value."""


class _Counted:
    """The objective as the local method sees it: losses (a maximisation negated), counted,
    capped at ``budget`` evaluations, and the best point evaluated kept."""

    def __init__(self, losses, budget: int, target: float, high: NDArray | None):
        self.losses, self.budget, self.target, self.high = losses, budget, target, high
        self.nfev = 0
        self.x: NDArray | None = None
        self.loss = np.inf

    def batch(self, Z: NDArray) -> NDArray:
        if self.nfev + Z.shape[0] > self.budget or self.loss <= self.target:
            raise _Spent
        values = np.asarray(self.losses(Z), dtype=np.float64)
        self.nfev += Z.shape[0]
        ranked = np.where(np.isnan(values), np.inf, values)
        best = int(np.argmin(ranked))
        if ranked[best] < self.loss:
            self.x, self.loss = Z[best].copy(), float(ranked[best])
        return values

    def one(self, z: NDArray) -> float:
        return float(self.batch(np.array(z, dtype=np.float64)[None])[0])

    def with_gradient(self, z: NDArray) -> tuple[float, NDArray]:
        """f(z) and its forward-difference gradient, from one batch of d + 1 points; a step
        that would cross the upper bound is taken backwards."""
        z = np.array(z, dtype=np.float64)
        step = STEP * np.maximum(1.0, np.abs(z))
        if self.high is not None:
            step = np.where(z + step > self.high, -step, step)
        Z = np.vstack([z, z + np.diag(step)])
        values = self.batch(Z)
        if not np.all(np.isfinite(values)):
            raise _Spent  # a gradient through a failed value would mislead the method
        taken = np.diagonal(Z[1:]) - z  # the steps as rounded
        return float(values[0]), (values[1:] - values[0]) / taken


class LocalStart:
    """The local phase of a run: :meth:`run` before its first population."""

    def __init__(self, method: str, bounds: Box | None, maximize: bool):
        self.method = method
        self.box = None if bounds is None else Bounds(bounds.value_low, bounds.value_high)
        self.sign = -1.0 if maximize else 1.0
        self.result: OptimizeResult | None = None

    def run(self, solver: CrossEntropy, evaluator: Evaluator) -> None:
        """The local method from the initial mean; its best point counts as the run's (also
        if the objective raises), and the first search begins about it."""
        d = solver.dim
        budget = LOCAL_EVALS * d
        if solver.max_evals is not None:
            budget = min(budget, solver.max_evals - solver.nfev)
        target = -np.inf if solver.ftarget is None else self.sign * solver.ftarget
        high = None if self.box is None else np.asarray(self.box.ub, dtype=np.float64)

        def losses(Z):
            return self.sign * evaluator(Z, solver.evaluation_seeds(Z.shape[0]))

        seen = _Counted(losses, budget, target, high)
        x0, spread = solver.dist.mean.copy(), solver.dist.std
        try:
            with warnings.catch_warnings():  # "Values in x were outside bounds" and the like
                warnings.simplefilter("ignore")
                self._minimize(seen, x0, spread, budget)
        except _Spent:
            pass
        finally:
            solver.record(seen.x, self.sign * seen.loss, seen.nfev)
        self.result = OptimizeResult(x=seen.x, fun=self.sign * seen.loss, nfev=seen.nfev,
                                     method=self.method)
        if seen.x is not None:
            solver.begin_at(seen.x)

    def _minimize(self, seen: _Counted, x0: NDArray, spread: NDArray, budget: int) -> None:
        if self.method == "l-bfgs-b":
            scipy_minimize(seen.with_gradient, x0, jac=True, method="L-BFGS-B", bounds=self.box,
                           options={"maxfun": budget, "ftol": 1e-15, "gtol": 1e-12})
        elif self.method == "nelder-mead":
            scipy_minimize(seen.one, x0, method="Nelder-Mead", bounds=self.box,
                           options={"initial_simplex": self._simplex(x0, spread),
                                    "maxfev": budget, "xatol": 1e-10, "fatol": 1e-10,
                                    "adaptive": True})
        else:
            radius = float(np.clip(np.mean(spread), 1e-8, None))
            scipy_minimize(seen.one, x0, method="COBYQA", bounds=self.box,
                           options={"maxfev": budget, "initial_tr_radius": radius,
                                    "final_tr_radius": 1e-10 * max(1.0, radius)})

    def _simplex(self, x0: NDArray, spread: NDArray) -> NDArray:
        """x0 and one vertex a spread away along each axis (backwards where the box ends)."""
        step = np.array(spread, dtype=np.float64)
        if self.box is not None:
            step = np.where(x0 + step > self.box.ub, -step, step)
        return np.vstack([x0, x0 + np.diag(step)])

    def describe(self) -> str:
        """What the result's message says of the phase."""
        nfev = 0 if self.result is None else self.result.nfev
        return f"began with {self.method} from the start point ({nfev} evaluations)"

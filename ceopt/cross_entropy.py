"""The cross-entropy method as an ask/tell object.

One iteration (Rubinstein & Kroese; see ``shared/design/ce-method.md``):

    X      ~ q_t                                   (ask: a whole population at once)
    elites = the n_elite best rows of X            (tell: H(x) = 1{x is an elite})
    q_fit  = argmax_q sum_{x in elites} log q(x)   (the family's weighted-MLE ``fit``)
    q_t+1  = smoothing * q_fit + (1 - smoothing) * q_t     (on the parameters)

``method`` chooses the update of a Gaussian (discrete families always use ``"ce"``):

- ``"adaptive"`` (default for Gaussians): ``"ce"``'s fit with the elites weighted by rank
  (a weighted MLE on the better half of the population), no smoothing of the mean, a
  covariance smoothing (learning rate) set by the dimension, a global scale for the spread
  set by a success rule on the elite threshold, the previous population's best sample kept as
  a candidate elite of the mean, and a local search ended as soon as its values are flat;
  with a budget, IPOP restarts. Each piece, its equations and its defaults are in
  :mod:`ceopt.adaptation`; the options ``weights``, ``scale_control``, ``keep_best``,
  ``tol_fun`` and ``restarts`` turn them off one at a time. First, d + 2 evaluations test
  whether the objective is separable; if it is, coordinate sweeps take the place of IPOP
  (:mod:`ceopt.coordinate`; option ``separable``).
- ``"ce"``: the covariance of the elites about the **previous** mean (the MLE of the
  covariance with the mean held at its old value; CMA-ES calls it rank-mu). On a slope the
  elites lie to one side of the old mean, so this stretches the distribution in the direction
  of progress instead of shrinking it. The covariance has its own smoothing factor
  ``smoothing_cov`` (default: ``smoothing`` for the diagonal family, 0.3 for the full one).
- ``"textbook"``: the covariance about the elites' own mean (plain MLE, "EMNA"), which shrinks
  every iteration and converges prematurely on curved or ill-conditioned problems. Kept for
  comparison.

The benchmark behind the choice: ``benchmarks/results/bbob.md`` (with the ablation table).
"""

from __future__ import annotations

import hashlib

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import Bounds, OptimizeResult

from . import coordinate
from ._checks import float_array, fraction, generator, integer, real
from .adaptation import RESTART_GROWTH, ScaleControl, covariance_rate, flat_window, rank_weights
from .bounds import Box
from .coordinate import CoordinateSweep, additive, polish_start, probe
from .distributions import DiagGaussian, Distribution, Gaussian
from .distributions._base import check_samples
from .methods import resolve
from .selection import elite_indices

#: Default covariance smoothing of a full Gaussian under method "ce". Its n_elite = dim + 1
#: elites give a noisy covariance; mixing in only 30% per iteration averages the noise over
#: about three iterations' elites. With the mean's 0.7 the eigenvalues drift apart until the
#: distribution collapses into a subspace (benchmarks/results/defaults.md).
FULL_COV_SMOOTHING = 0.3

# Stopping reasons: (status, success, message). ``success`` is overridden by ``ftarget`` when
# one is given (see ``CrossEntropy.result``).
FTARGET = (0, True, "ftarget reached")
COLLAPSED = (1, True, "converged: the distribution's spread fell below tol_spread")
STAGNATED = (2, True, "converged: the elite threshold has not improved for `patience` iterations")
MAX_EVALS = (3, False, "max_evals reached: the next population would exceed the budget")
MAX_ITER = (4, False, "max_iter reached")
CALLBACK = (5, False, "stopped by the callback")
DIVERGED = (6, False, "diverged: the spread grew past 1e100 (is the objective unbounded?)")
FLAT = (7, True, "converged: the values of the population and of the recent best lie within "
        "tol_fun")
RUNNING = (-1, False, "running: no stopping criterion has been met")

#: What ``restarts=None`` means when ``max_evals`` is given: the budget is the limit.
UNLIMITED_RESTARTS = 10**9

#: Spread beyond which the run stops as diverged, long before float64 overflows (~1e154 for a
#: standard deviation). The previous-mean update grows the spread on an unbounded slope.
MAX_SPREAD = 1e100

HISTORY_FIELDS = ("nfev", "gamma", "best", "mean", "spread")


def _best_number(losses: NDArray) -> int | None:
    """The row of the smallest loss among the numbers (the first, if tied); None if all NaN.
    (Not ``nanargmin``, which reads NaN as inf and so may pick a NaN row among infinities.)"""
    numbers = np.flatnonzero(~np.isnan(losses))
    return int(numbers[np.argmin(losses[numbers])]) if numbers.size else None


def _digest(X: NDArray) -> bytes:
    """A fingerprint of X's values, to check that a population comes back unchanged without
    keeping a copy (a sweep's is 30 d x d)."""
    return hashlib.blake2b(np.ascontiguousarray(X, dtype=float).data, digest_size=16).digest()


class CrossEntropy:
    """Cross-entropy optimiser with an ask/tell interface.

    Parameters
    ----------
    dist : Distribution
        The initial sampling distribution; it fixes the dimension and the kind of variables.
    popsize : int, optional
        Samples per iteration; default :func:`ceopt.adaptation.adaptive_popsize` under method
        ``"adaptive"`` (``max(4 + 3 ln d, 2 (d + 1))`` for a full covariance), else
        :func:`default_popsize`.
    elite_frac : float in (0, 1), optional
        Fraction of each population fitted by the update (ignored when ``n_elite`` is given);
        default 0.5 under method ``"adaptive"``, else 0.1.
    n_elite : int, optional
        Number of elites, ``1 <= n_elite < popsize``; default ``round(elite_frac * popsize)``.
    smoothing : float in (0, 1], optional
        Weight of the new fit in ``smoothing * fit + (1 - smoothing) * old``; default 1 under
        method ``"adaptive"`` (the scale control does the damping), else 0.7.
    smoothing_cov : float in (0, 1], optional
        A Gaussian's covariance (variances) under methods ``"adaptive"`` and ``"ce"``: the
        same for them. Default :func:`ceopt.adaptation.covariance_rate` under
        ``"adaptive"``; under ``"ce"`` ``smoothing`` for :class:`DiagGaussian` and
        :data:`FULL_COV_SMOOTHING` for :class:`Gaussian`.
    maximize : bool
        Maximise the values told instead of minimising them.
    bounds : scipy.optimize.Bounds or sequence of (low, high), optional
        Continuous families only: samples outside are evaluated at their projection onto the
        box, ranked with a penalty and fitted as drawn (see :mod:`ceopt.bounds`).
    seed : int, numpy.random.Generator or None
        All randomness comes from ``numpy.random.default_rng(seed)``.
    method : {"adaptive", "ce", "textbook"}, optional
        How a Gaussian is updated (module docstring); default ``"adaptive"`` for Gaussians,
        ``"ce"`` for other families.
    weights : {"rank", "equal"}, optional
        How the elites are weighted in the fit; default ``"rank"`` under ``"adaptive"``.
        (Equal weights on half the population select weakly, and with the scale control
        converge early: an option for the ablation, not a recommendation.)
    scale_control : bool, optional
        Multiply a Gaussian's spread by the success rule's factor after every update
        (:class:`ceopt.adaptation.ScaleControl`); default True under ``"adaptive"``.
    keep_best : bool, optional
        A Gaussian's mean is fitted to the elites chosen among the new population and the
        previous population's best sample (kept for one iteration only; the covariance is
        fitted to the new elites). Default True under ``"adaptive"``; turn it off for a noisy
        objective, where a lucky value would pull the mean for one more iteration.
    separable : bool, optional
        Method ``"adaptive"``: whether to search a separable objective coordinate by
        coordinate (:mod:`ceopt.coordinate`). Default: test it with the first d + 2
        evaluations (x0, x0 moved along each coordinate, and along all at once) and, if the
        values add up, sweep the coordinates at the start and at every restart instead of
        doubling the population. ``True`` sweeps without the test, ``False`` never does.
        The test is the run's first population or never: it needs restarts (by default,
        those a budget ``max_evals`` brings), and a budget, if any, that holds it and ten
        iterations of a sweep; so a run started without a budget and resumed with one is
        not tested. ``tell`` takes the test's and a sweep's
        populations back exactly as ``ask`` returned them. A sweep whose point's value
        misses its prediction ends the sweeps: the objective is coupled after all.
    restarts : int, optional
        How many times a run that converges or stagnates starts again, with twice the
        population, from the initial spread (about a random point of a finite box), keeping
        the best point (a separable objective: a coordinate sweep from the best point).
        Default under method ``"adaptive"``: as many as ``max_evals`` allows
        when it is given, else none; under the other methods none.
    **stopping
        ``max_evals``, ``max_iter`` (default 1000 when neither is given), ``ftarget`` (stop once
        a value this good is seen), ``tol_spread`` (stop when the spread above the family's
        floor falls below this fraction of its initial value; default 1e-12 for continuous,
        1e-6 for discrete families), ``patience`` (stop when the elite threshold has not
        improved for this many iterations; default 20), ``tol_fun`` (stop when the range of
        the last population's values and the range of the best values of the last
        :func:`ceopt.adaptation.flat_window` iterations are both at most this; an absolute
        range, default 1e-11 under ``"adaptive"``, 0 (off) otherwise: scale it, or set 0,
        for an objective whose meaningful differences are that small).

    Stopping
    --------
    ``stop()`` returns the first reason met, in this order; ``result().status`` is its code:
    5 stopped by a callback (or :meth:`request_stop`), 0 ftarget reached, 3 max_evals (the
    next population would exceed it), 4 max_iter, 6 diverged (spread above 1e100: an
    unbounded objective), 1 collapse, 2 stagnation, 7 flat values (``tol_fun``); -1 while
    none is met. While
    restarts remain, collapse, stagnation and flat values restart the run instead of
    stopping it.

    Example
    -------
    >>> import numpy as np
    >>> from ceopt import CrossEntropy, DiagGaussian
    >>> es = CrossEntropy(DiagGaussian(np.full(3, 2.0), 1.0), seed=1, ftarget=1e-10)
    >>> while not es.stop():
    ...     X = es.ask()
    ...     es.tell(X, (X**2).sum(axis=1))
    >>> bool(es.best_f < 1e-10)
    True
    """

    def __init__(self, dist: Distribution, *, popsize: int | None = None,
                 elite_frac: float | None = None, n_elite: int | None = None,
                 smoothing: float | None = None, maximize: bool = False,
                 bounds: Bounds | ArrayLike | None = None, smoothing_cov: float | None = None,
                 seed: int | np.random.Generator | None = None, method: str | None = None,
                 weights: str | None = None, scale_control: bool | None = None,
                 keep_best: bool | None = None, separable: bool | None = None,
                 restarts: int | None = None,
                 max_evals: int | None = None, max_iter: int | None = None,
                 ftarget: float | None = None, tol_spread: float | None = None,
                 patience: int = 20, tol_fun: float | None = None):
        if not isinstance(dist, Distribution):
            raise TypeError(f"dist must be a ceopt Distribution, got {type(dist).__name__}")
        # The sizes as the user gave them: a separable objective resolves them again for a
        # diagonal Gaussian.
        self._sizes_given = dict(popsize=popsize, elite_frac=elite_frac, n_elite=n_elite)
        preset = resolve(dist, method=method, weights=weights, scale_control=scale_control,
                         keep_best=keep_best, tol_fun=tol_fun, separable=separable,
                         elite_frac=elite_frac,
                         smoothing=smoothing, popsize=popsize, n_elite=n_elite)
        method, popsize, n_elite, smoothing = (preset.method, preset.popsize, preset.n_elite,
                                               preset.smoothing)
        gaussian = isinstance(dist, (Gaussian, DiagGaussian))
        self._box = Box.parse(bounds, dist.dim)
        if self._box is not None and dist.discrete:
            raise ValueError("bounds apply to continuous distributions only")

        self._dist = self._initial = dist
        self.smoothing, self.method, self.weights = smoothing, method, preset.weights
        # The previous-mean fit and separate covariance smoothing are Gaussian operations;
        # other families (including users' own) get the plain update under either method.
        self._anchored = method != "textbook" and gaussian
        if smoothing_cov is not None:
            smoothing_cov = fraction("smoothing_cov", smoothing_cov, high_open=False)
        self._smoothing_cov_given = smoothing_cov
        self._resize(popsize, n_elite)
        self.maximize = bool(maximize)
        self._sign = -1.0 if maximize else 1.0  # losses are minimised: loss = sign * value
        self._rng = generator(seed)
        self._scale = ScaleControl(dist.dim) if preset.scale_control else None
        self.keep_best = preset.keep_best

        # Stopping criteria.
        self.max_evals = None if max_evals is None else integer("max_evals", max_evals, 1)
        if self.max_evals is not None and self.max_evals < popsize:
            raise ValueError(f"max_evals={max_evals} is smaller than one population ({popsize})")
        if max_evals is None and max_iter is None:
            max_iter = 1000
        self.max_iter = None if max_iter is None else integer("max_iter", max_iter, 1)
        # Restarts (method "adaptive"): by default as many as the budget allows, none without
        # a budget (each one doubles the population, so an unbudgeted run could go on for
        # ever). Resolved when asked, so that a resumed run with a new budget restarts too.
        self._restarts = None if restarts is None else integer("restarts", restarts, 0)
        self.nrestarts = 0
        self.patience = integer("patience", patience, 1)
        if tol_spread is None:
            tol_spread = 1e-6 if dist.discrete else 1e-12
        tol_spread = real("tol_spread", tol_spread, minimum=0.0)
        self.ftarget = None if ftarget is None else real("ftarget", ftarget)
        self._spread_tol = tol_spread * (dist.spread - dist.min_spread)
        self.tol_fun = preset.tol_fun

        # State: counters, best so far, the elite threshold's record, the history.
        self._nit = 0
        self._nfev = 0
        self._best_x: NDArray | None = None
        self._best_loss = np.inf
        self._best_gamma = np.inf
        self._since_gamma_improved = 0
        self._user_stop: tuple | None = None
        self._drawn: tuple | None = None  # (what ask returned, the samples as drawn)
        self._kept: tuple | None = None  # keep_best: (last population's best as fitted, rank)
        self._recent_best: list[float] = []  # tol_fun: recent iterations' best values
        self._value_range = np.inf  # tol_fun: the last population's range of values
        self._history: list[tuple] = []
        # Coordinate sweeps (ceopt.coordinate): whether the objective is separable, None
        # until the test's values are told (the test comes first or never); the running
        # sweep; the (shape, digest) of the test's or a sweep's population as asked; the
        # distribution and sizes to go back to if a sweep finds the objective coupled.
        self._separable = preset.separable
        self._sweep: CoordinateSweep | None = None
        self._asked: tuple | None = None
        self._not_separable = (dist, popsize, n_elite)
        if self._separable:
            self._go_diagonal()
            if self._sweep_fits():
                self._sweep = self._new_sweep(self._start_point(), np.nan)

    def _resize(self, popsize: int, n_elite: int) -> None:
        """Set the population and elite sizes, and what depends on them."""
        self.popsize, self.n_elite = popsize, n_elite
        self._elite_weights = rank_weights(n_elite) if self.weights == "rank" else None
        cov_rate = self._smoothing_cov_given
        if cov_rate is None:
            if self.method == "adaptive":
                mu_eff = n_elite if self._elite_weights is None else \
                    1.0 / float(np.sum(self._elite_weights**2))
                cov_rate = covariance_rate(self._dist, mu_eff)
            elif isinstance(self._dist, Gaussian):
                cov_rate = FULL_COV_SMOOTHING
            else:
                cov_rate = self.smoothing
        self.smoothing_cov = cov_rate

    # -- read-only state ---------------------------------------------------------------------
    @property
    def dist(self) -> Distribution:
        """The current sampling distribution."""
        return self._dist

    @property
    def dim(self) -> int:
        return self._dist.dim

    @property
    def best_x(self) -> NDArray | None:
        """The best point told so far (``None`` before the first ``tell``)."""
        return None if self._best_x is None else self._best_x.copy()

    @property
    def best_f(self) -> float:
        """Its objective value, in the user's sign (``inf``/``-inf`` before the first tell)."""
        return self._sign * self._best_loss

    @property
    def gamma(self) -> float:
        """The last elite threshold (the worst elite's value), in the user's sign.

        With bounds, the values of ask's population are ranked with the boundary penalty
        (:mod:`ceopt.bounds`), and the threshold is the worst elite's value plus its penalty.
        """
        return self._history[-1][1] if self._history else np.nan

    @property
    def nit(self) -> int:
        return self._nit

    @property
    def nfev(self) -> int:
        return self._nfev

    # -- the loop ----------------------------------------------------------------------------
    def ask(self) -> NDArray:
        """Draw the next population, shape ``(popsize, dim)``, inside the bounds if any.

        If the last ``tell`` ended a local search and a restart is due, it is made first.
        The separability test's population has d + 2 rows and a coordinate sweep's
        ``d * coordinate.SWEEP_SAMPLES`` (+ 1); ``tell`` must get those back unchanged.
        """
        if self._restart_due():
            self._restart()
        if self._separable is None and not self._testing:
            self._separable = False  # no restarts or budget to spend on sweeps: no test
        if self._sweep is not None and not self._fits(self._sweep.batch_size):
            self._end_sweep()  # (a run resumed with a smaller budget)
        if self._separable is None or self._sweep is not None:  # the test, or a sweep
            X = (probe(self._start_point(), self._initial.std, self._box)
                 if self._separable is None else self._sweep.ask(self._rng))
            self._asked = (X.shape, _digest(X))
            return X
        X = self._dist.sample(self.popsize, self._rng)
        if self._box is None:
            return X
        # Evaluated at their projections onto the box; ``tell`` fits the samples as drawn.
        projected = self._box.project(X)
        self._drawn = (projected.copy(), X)  # a copy: the caller may change what it gets
        return projected

    def tell(self, X: ArrayLike, values: ArrayLike) -> None:
        """Update the distribution from a population and its objective values.

        ``X`` need not come from :meth:`ask` (it may be repaired or extended) but must have at
        least ``n_elite`` rows; the separability test's and a sweep's populations must come
        back as :meth:`ask` returned them. NaN values are never elites. With bounds, the
        population that :meth:`ask` returned is ranked with the boundary penalty and fitted
        as drawn (see :mod:`ceopt.bounds`); any other ``X`` is ranked by its values and fitted
        as it is.
        """
        X = check_samples(X, self.dim, "X")
        # A finite sum means finite entries (barring overflow, then checked entry by entry),
        # without an (n, d) temporary.
        if not np.isfinite(X.sum()) and not np.all(np.isfinite(X)):
            raise ValueError("X must be finite")
        values = float_array("values", values)
        if values.shape != (X.shape[0],):
            raise ValueError(f"values must have shape ({X.shape[0]},), got {values.shape}")
        losses = self._sign * values
        if self._asked is not None:
            return self._tell_coordinates(X, values, losses)
        if X.shape[0] < self.n_elite:
            raise ValueError(f"X has {X.shape[0]} rows, fewer than the {self.n_elite} elites")
        if self._separable is None:  # an X told without ask: the test comes first or never
            self._separable = False
        # Ranked and fitted: ask's population with the boundary penalty and as drawn; any
        # other X by its values and as it is. (ask's record is kept until the X it returned
        # is told, and until the tell succeeds.)
        drawn = self._drawn
        from_ask = (drawn is not None and drawn[0].shape == X.shape
                    and np.array_equal(drawn[0], X))
        if from_ask:
            ranking = losses + self._box.penalty(drawn[1], X, losses)
            fit_X = drawn[1]
        else:
            ranking, fit_X = losses, X
        elites = elite_indices(ranking, self.n_elite)
        # The elite threshold: the worst elite's loss, in ranking terms (with bounds, a value
        # plus its penalty, so that it measures what selection sees).
        gamma = ranking[elites[-1]]
        # Best so far, by value among the numbers (the first population always sets it, even
        # if every value is inf); on ask's population it may be another row than elites[0].
        best = _best_number(losses) if from_ask else elites[0]

        # The CE update: weighted MLE on the elites, then smoothing. A flat population (every
        # finite value equal, as when no policy reaches MountainCar's goal) ranks nothing: its
        # "elites" would be a random subset, and fitting them only shrinks the spread by
        # noise, so the distribution is kept as it is and the search goes on at the same width.
        # The fits come first: if one fails, the run is left as it was.
        ranked = ranking[~np.isnan(ranking)]
        updated = bool(ranked.min() < ranked.max())
        dist = self._dist
        if updated:
            w, chosen = self._elite_weights, fit_X[elites]
            if self._anchored:
                # The kept sample's mean first: the fit may overwrite ``chosen``, tell's own
                # copy of the elites (sparing an (n_elite, d) temporary: at (100, 1000) with
                # half the population as elites, 0.7 x the RNG floor, benchmarks/overhead.py).
                kept_mean = None if self._kept is None else self._kept_mean(
                    chosen, ranking[elites])
                fitted = self._dist.fit(chosen, w, center=self._dist.mean, overwrite_x=True)
                if kept_mean is not None:
                    fitted = fitted.moved(kept_mean)
                rates = (self.smoothing, self.smoothing_cov)
            else:
                fitted, rates = self._dist.fit(chosen, w), (self.smoothing,)
            # The scale control's factor multiplies the smoothed fit's spread.
            scaled = {} if self._scale is None else {"scale": self._scale.factor(ranking)}
            dist = self._dist.smooth(fitted, *rates, **scaled)

        self._dist = dist
        if from_ask:
            self._drawn = None
        self._note_best(X, losses, best)
        # This population's best, a candidate elite of the next mean only (none when the
        # population was flat: it has no best).
        if self.keep_best:
            self._kept = (fit_X[elites[0]].copy(), float(ranking[elites[0]])) if updated \
                else None

        # Counters and the stagnation record of the threshold.
        finite = self._count(X, values, gamma)
        if gamma < self._best_gamma:
            self._best_gamma = float(gamma)
            self._since_gamma_improved = 0
        else:
            self._since_gamma_improved += 1
        if finite.size:  # the record tol_fun watches
            self._value_range = float(finite.max() - finite.min())
            self._recent_best.append(float(np.min(self._sign * finite)))
            del self._recent_best[:-flat_window(self.dim, self.popsize)]

    def _count(self, X: NDArray, values: NDArray, gamma: float) -> NDArray:
        """One more iteration of ``X`` told with ``values``: the counters and the history.
        Returns the finite values."""
        self._nit += 1
        self._nfev += X.shape[0]
        finite = values[np.isfinite(values)]
        self._history.append((self._nfev, self._sign * gamma, self.best_f,
                              finite.mean() if finite.size else np.nan, self._dist.spread))
        return finite

    def _note_best(self, X: NDArray, losses: NDArray, best: int) -> None:
        """Row ``best`` of X becomes the best point if it beats it (or is the first told)."""
        if self._best_x is None or losses[best] < self._best_loss:
            self._best_loss = float(losses[best])
            self._best_x = np.array(X[best], copy=True)

    def _tell_coordinates(self, X: NDArray, values: NDArray, losses: NDArray) -> None:
        """``tell`` for the additivity test's population and a sweep's (no elite threshold:
        the history's gamma is NaN)."""
        if (X.shape, _digest(X)) != self._asked:
            raise ValueError("the separability test and a coordinate sweep take exactly the "
                             "population ask returned")
        if self._separable is None:
            if additive(losses):
                self._go_diagonal()
                self._separable = True
                if self._sweep_fits(X.shape[0]):  # from the test's best point
                    best = int(np.argmin(losses))
                    self._sweep = self._new_sweep(X[best], losses[best],
                                                  float(np.abs(losses).max()))
            else:
                self._separable = False
        else:
            self._sweep.tell(losses)
        best = _best_number(losses)
        if best is not None:
            self._note_best(X, losses, best)
        elif self._best_x is None:  # every value NaN: a best point all the same, as tell's
            self._best_loss, self._best_x = np.inf, X[0].copy()
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

    @property
    def _testing(self) -> bool:
        """Whether the next population is the separability test's: it has not been made, and
        restarts and the budget leave room for sweeps after it."""
        return (self._separable is None and self.restarts > 0
                and self._sweep_fits(self.dim + 2))

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

    def _fits(self, evaluations: int) -> bool:
        """Whether the budget left holds this many more evaluations."""
        return self.max_evals is None or self._nfev + evaluations <= self.max_evals

    def _sweep_fits(self, spent: int = 0) -> bool:
        """Whether the budget left (after ``spent`` more evaluations) holds SWEEP_BUDGET
        iterations of a sweep; if not, the run goes on without sweeps."""
        return self._fits(spent + coordinate.budget_needed(self.dim))

    def _new_sweep(self, point: NDArray, loss: float, magnitude: float = 0.0) -> CoordinateSweep:
        return CoordinateSweep(point, loss, self._initial.std, self._box, magnitude)

    def _kept_mean(self, chosen: NDArray, chosen_rank: NDArray) -> NDArray | None:
        """The weighted mean of the elites chosen among the new population and the previous
        population's best sample (``keep_best``); None if that sample is not among them.

        ``chosen`` are the new elites, best first, and ``chosen_rank`` their ranking values.
        The kept sample takes its place among them (after new samples that tie with it), the
        last elite drops out, and the weights apply to the new order: the elites after it
        move one weight down.
        """
        kept_x, kept_rank = self._kept
        place = int(np.searchsorted(chosen_rank, kept_rank, side="right"))
        mu = chosen_rank.size
        if place == mu:  # no better than the worst elite: the mean stays the fit's
            return None
        w = np.full(mu, 1.0 / mu) if self._elite_weights is None else self._elite_weights
        shifted = np.concatenate([w[:place], w[place + 1:], [0.0]])  # the last elite's: 0
        return shifted @ chosen + w[place] * kept_x

    @property
    def restarts(self) -> int:
        """How many restarts the run may make in all (see ``restarts`` above)."""
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
        return (self._separable and self._sweep_fits()) or self._fits(
            self.popsize * RESTART_GROWTH)

    def _restart(self) -> None:
        """IPOP: start again from the initial spread with a larger population (on a separable
        objective, while the budget allows: a coordinate sweep from the best point instead).

        The best point and the counters are kept; in a finite box the new mean is a uniform
        random point of it, otherwise the initial mean. Made by the ``ask`` after the ``tell``
        that ended the local search, so a run that stops there (on ``max_iter``, a callback)
        keeps its converged distribution.
        """
        self.nrestarts += 1
        if self._separable and self._sweep_fits():  # a sweep from the best point instead
            self._sweep = self._new_sweep(self._best_x, self._best_loss)
            return
        dist = self._initial
        if self._box is not None and self._box.finite:
            dist = dist.moved(self._rng.uniform(self._box.low, self._box.high))
        self._new_local_search(dist)
        self._resize(self.popsize * RESTART_GROWTH, self.n_elite * RESTART_GROWTH)

    def _new_local_search(self, dist: Distribution) -> None:
        """Start a local search from ``dist``: the records that end one start afresh."""
        self._dist = dist
        if self._scale is not None:
            self._scale = ScaleControl(dist.dim)
        self._best_gamma = np.inf
        self._since_gamma_improved = 0
        self._kept = None
        self._recent_best, self._value_range = [], np.inf

    def stop(self) -> str | None:
        """The reason to stop now, or ``None`` to go on."""
        reason = self._reason()
        return None if reason is None else reason[2]

    def _reason(self) -> tuple | None:
        """The first criterion met, checked in the order below (a user's stop comes first)."""
        if self._user_stop is not None:
            return self._user_stop
        # ftarget: the best value seen is at least as good as the target.
        if self.ftarget is not None and self._best_loss <= self._sign * self.ftarget:
            return FTARGET
        # max_evals: never exceed the budget, so stop when a whole population no longer fits.
        if self.max_evals is not None and self._nfev + self._batch_size() > self.max_evals:
            return MAX_EVALS
        if self.max_iter is not None and self._nit >= self.max_iter:
            return MAX_ITER
        # Divergence: the spread keeps growing, as it does when the objective is unbounded.
        if self._dist.spread > MAX_SPREAD:
            return DIVERGED
        return None if self._restart_due() else self._converged()

    def _batch_size(self) -> int:
        """The size of the population ``ask`` returns next (before a restart)."""
        if self._testing:
            return self.dim + 2
        sweep = self._sweep  # (ask hands a sweep that no longer fits over to the polish)
        return sweep.batch_size if sweep and self._fits(sweep.batch_size) else self.popsize

    def _converged(self) -> tuple | None:
        """A local search's end: what triggers a restart while restarts remain."""
        if self._testing or self._sweep is not None:
            return None  # the test or a sweep: no local search is running
        # Collapse: the spread left above the family's floor is negligible.
        if self._nit and self._dist.spread - self._dist.min_spread <= self._spread_tol:
            return COLLAPSED
        # Stagnation: the elite threshold (not the best value, which can improve by luck) has
        # not improved for `patience` iterations; typical of converged discrete problems.
        if self._since_gamma_improved >= self.patience:
            return STAGNATED
        # Flat values: the population and the best of each of the last flat_window
        # iterations differ by less than tol_fun, so the values no longer guide the search.
        recent = self._recent_best
        if (self.tol_fun > 0 and len(recent) >= flat_window(self.dim, self.popsize)
                and max(self._value_range, max(recent) - min(recent)) <= self.tol_fun):
            return FLAT
        return None

    def request_stop(self) -> None:
        """Mark the run as stopped by the user (what a callback returning True does)."""
        self._user_stop = CALLBACK

    def clear_user_stop(self) -> None:
        """Undo :meth:`request_stop`, to go on with a run a callback stopped."""
        self._user_stop = None

    def result(self) -> OptimizeResult:
        """The run so far as a ``scipy.optimize.OptimizeResult`` (see :func:`ceopt.minimize`)."""
        if self._best_x is None:
            raise RuntimeError("no population has been told yet")
        reason = self._reason()
        status, success, message = reason or RUNNING
        if reason is MAX_EVALS and self.nrestarts:
            # Restarts spend a budget by design: every local search before the last one
            # converged, and the budget went where it was asked to.
            success = True
            message += f" after {self.nrestarts} restarts, each after a converged search"
        if self.ftarget is not None and reason is not None:
            success = self._best_loss <= self._sign * self.ftarget
            if not success:
                message += f" (ftarget {self.ftarget:g} not reached)"
        columns = zip(*self._history, strict=True)
        history = {name: np.array(col) for name, col in zip(HISTORY_FIELDS, columns, strict=True)}
        return OptimizeResult(x=self.best_x, fun=self.best_f, nfev=self._nfev, nit=self._nit,
                              success=bool(success), status=status, message=message,
                              dist=self._dist, history=history, nrestarts=self.nrestarts)

    def __repr__(self) -> str:
        return (f"CrossEntropy(method={self.method!r}, popsize={self.popsize}, "
                f"n_elite={self.n_elite}, nit={self._nit}, nfev={self._nfev}, "
                f"best_f={self.best_f:.6g}, dist={self._dist!r})")

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
  (:mod:`ceopt.coordinate`; option ``separable``). The restart schedule is
  :mod:`ceopt.restarts`, the stopping tests :mod:`ceopt.stopping`.
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

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import Bounds, OptimizeResult

from . import stopping
from ._checks import float_array, fraction, generator, integer, real
from .adaptation import ScaleControl, covariance_rate, flat_window, kept_mean, rank_weights
from .bounds import Box
from .distributions import DiagGaussian, Distribution, Gaussian
from .distributions._base import check_samples
from .methods import resolve
from .restarts import Restarts
from .selection import best_number, elite_indices

#: Default covariance smoothing of a full Gaussian under method "ce". Its n_elite = dim + 1
#: elites give a noisy covariance; mixing in only 30% per iteration averages the noise over
#: about three iterations' elites. With the mean's 0.7 the eigenvalues drift apart until the
#: distribution collapses into a subspace (benchmarks/results/defaults.md).
FULL_COV_SMOOTHING = 0.3

HISTORY_FIELDS = ("nfev", "gamma", "best", "mean", "spread")


# The restarts, the separability test and the sweeps come from the mixin Restarts
# (ceopt/restarts.py); the stopping records and reasons from ceopt/stopping.py.
class CrossEntropy(Restarts):
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
        restarts = None if restarts is None else integer("restarts", restarts, 0)
        self.patience = integer("patience", patience, 1)
        if tol_spread is None:
            tol_spread = 1e-6 if dist.discrete else 1e-12
        tol_spread = real("tol_spread", tol_spread, minimum=0.0)
        self.ftarget = None if ftarget is None else real("ftarget", ftarget)
        self._spread_tol = tol_spread * (dist.spread - dist.min_spread)
        self.tol_fun = preset.tol_fun

        # State: counters, best so far, what ends the local search, the history.
        self._nit = 0
        self._nfev = 0
        self._best_x: NDArray | None = None
        self._best_loss = np.inf
        self._record = stopping.LocalSearchRecord()
        self._user_stop: tuple | None = None
        self._drawn: tuple | None = None  # (what ask returned, the samples as drawn)
        self._kept: tuple | None = None  # keep_best: (last population's best as fitted, rank)
        self._history: list[tuple] = []
        # Restarts, the separability test and coordinate sweeps (ceopt.restarts).
        self._init_restarts(restarts, preset.separable, dist, popsize, n_elite)

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
        X = self._ask_coordinates()  # the separability test's or a sweep's, if one is next
        if X is not None:
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
        self._skip_test()  # (when the test was due, this X is not its population)
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
        best = best_number(losses) if from_ask else elites[0]

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
                kept = None if self._kept is None else kept_mean(
                    chosen, ranking[elites], *self._kept, w)
                fitted = self._dist.fit(chosen, w, center=self._dist.mean, overwrite_x=True)
                if kept is not None:
                    fitted = fitted.moved(kept)
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

        # Counters, and the records that end the local search.
        finite = self._count(X, values, gamma)
        self._record.note(gamma, finite, self._sign, flat_window(self.dim, self.popsize))

    def _count(self, X: NDArray, values: NDArray, gamma: float) -> NDArray:
        """One more iteration of ``X`` told with ``values``: the counters and the history.
        Returns the finite values."""
        self._nit += 1
        self._nfev += X.shape[0]
        finite = values[np.isfinite(values)]
        self._history.append((self._nfev, self._sign * gamma, self.best_f,
                              finite.mean() if finite.size else np.nan, self._dist.spread))
        return finite

    def _note_best(self, X: NDArray, losses: NDArray, best: int | None) -> None:
        """Row ``best`` of X becomes the best point if it beats it (or is the first told).
        ``best`` is None when every value is NaN: then X[0] becomes the first best point, at
        loss inf, as a population of infinities would make it."""
        if best is None:
            if self._best_x is None:
                self._best_loss, self._best_x = np.inf, X[0].copy()
            return
        if self._best_x is None or losses[best] < self._best_loss:
            self._best_loss = float(losses[best])
            self._best_x = np.array(X[best], copy=True)

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
            return stopping.FTARGET
        # max_evals: never exceed the budget, so stop when a whole population no longer fits.
        if self.max_evals is not None and self._nfev + self._batch_size() > self.max_evals:
            return stopping.MAX_EVALS
        if self.max_iter is not None and self._nit >= self.max_iter:
            return stopping.MAX_ITER
        # Divergence: the spread keeps growing, as it does when the objective is unbounded.
        if self._dist.spread > stopping.MAX_SPREAD:
            return stopping.DIVERGED
        return None if self._restart_due() else self._converged()

    def _fits(self, evaluations: int) -> bool:
        """Whether the budget left holds this many more evaluations."""
        return self.max_evals is None or self._nfev + evaluations <= self.max_evals

    def _new_local_search(self, dist: Distribution) -> None:
        """Start a local search from ``dist`` (a restart, a sweep's polish, the way back
        from a sweep): the records that end one, and the scale control, start afresh."""
        self._dist = dist
        if self._scale is not None:
            self._scale = ScaleControl(dist.dim)
        self._record = stopping.LocalSearchRecord()
        self._kept = None

    def _batch_size(self) -> int:
        """The size of the population ``ask`` returns next (before a restart)."""
        if self._testing:
            return self.dim + 2
        sweep = self._sweep  # (ask hands a sweep that no longer fits over to the polish)
        return sweep.batch_size if sweep and self._fits(sweep.batch_size) else self.popsize

    def _converged(self) -> tuple | None:
        """A local search's end (collapse, stagnation, flat values: :mod:`ceopt.stopping`),
        what triggers a restart while restarts remain; None before the first iteration, and
        during the test or a sweep, when no local search is running."""
        if not self._nit or self._testing or self._sweep is not None:
            return None
        return self._record.ended(self._dist, self._spread_tol, patience=self.patience,
                                  tol_fun=self.tol_fun, window=flat_window(self.dim, self.popsize))

    def request_stop(self) -> None:
        """Mark the run as stopped by the user (what a callback returning True does)."""
        self._user_stop = stopping.CALLBACK

    def clear_user_stop(self) -> None:
        """Undo :meth:`request_stop`, to go on with a run a callback stopped."""
        self._user_stop = None

    def result(self) -> OptimizeResult:
        """The run so far as a ``scipy.optimize.OptimizeResult`` (see :func:`ceopt.minimize`)."""
        if self._best_x is None:
            raise RuntimeError("no population has been told yet")
        reason = self._reason()
        status, success, message = reason or stopping.RUNNING
        if reason is stopping.MAX_EVALS and self.nrestarts:
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

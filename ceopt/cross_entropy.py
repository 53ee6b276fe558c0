"""The cross-entropy method as an ask/tell object: :class:`CrossEntropy`, the run.

The run keeps what belongs to the whole run (the random generator, the budget, the counters,
the best point, the history, why it stops) and composes the parts that do the work:

- an **update rule** (:mod:`ceopt.updates`, by ``method=``): how elites become the next
  distribution;
- a **search** it asks and tells (:mod:`ceopt.local_search`): a local search, or one of the
  schedule's own (the separability test, a coordinate sweep);
- a **restart schedule** (:mod:`ceopt.schedules`, by ``restarts=``): what follows a search;
- a **boundary handler** (:mod:`ceopt.handlers`, by ``bounds=``): where the objective may
  be evaluated.

``docs/architecture.md`` draws the map; ``docs/ce-method.md`` has the maths. The benchmark
behind the defaults: ``benchmarks/results/bbob.md`` (with the ablation table).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import Bounds, OptimizeResult

from . import distributions, handlers, schedules, stopping
from ._checks import flag, float_array, generator, generator_from_state, integer, real
from .constraints import Constraints, ConstraintValues
from .distributions import Distribution, check_samples
from .feasibility import ConstraintCheck, Ranked
from .findings import Findings
from .handlers import BoundaryHandler, handler_for
from .history import Best, History
from .local_search import LocalSearch, Search, SearchSettings
from .noise import (
    Reevaluation,
    check_reevaluate,
    estimate_evals,
    noise_defaults,
    noisy_popsize,
    noisy_rule_options,
)
from .options import RULE_OPTIONS, SIZE_OPTIONS, check_options, convergence, picked
from .progress import Display, check_disp
from .schedules import Progress, Schedule, schedule_for
from .seeds import check_eval_seeds, draw_seeds
from .selection import best_number
from .stopping import Convergence, StopReason
from .updates import UPDATES, UpdateRule, make_rule

#: What ``restarts=None`` means when ``max_evals`` is given: the budget is the limit.
UNLIMITED_RESTARTS = 10**9

class CrossEntropy:
    """Cross-entropy optimiser with an ask/tell interface.

    Parameters
    ----------
    dist : Distribution
        The initial sampling distribution; it fixes the dimension and the kind of variables.
    method : {"adaptive", "ce", "textbook"} or a registered name, optional
        The update rule (:mod:`ceopt.updates`); default ``"adaptive"`` for Gaussians
        (location-scale families), ``"ce"`` for other families.
    restarts : int, str or Schedule, optional
        What follows a local search that converges or stagnates (:mod:`ceopt.schedules`). An
        int: IPOP (twice the population, from the initial spread about a random point of a
        finite box), at most that many times; ``"ipop"`` or ``"bipop"``: restarts until
        ``max_evals`` is spent; a :class:`~ceopt.schedules.Schedule`. Default: IPOP until
        ``max_evals`` is spent when it is given (method ``"adaptive"`` and every family but
        the Gaussians under ``"ce"``/``"textbook"``, kept as the plain baselines), none
        without it. The best point is kept across restarts.
    bounds : scipy.optimize.Bounds, (low, high) pairs or a BoundaryHandler, optional
        Continuous families only: samples outside are evaluated at their projection onto the
        box, ranked with a penalty and fitted as drawn (:mod:`ceopt.handlers.box`).
    maximize : bool
        Maximise the values told instead of minimising them.
    seed : int, numpy.random.Generator or None
        All randomness comes from ``numpy.random.default_rng(seed)``.
    max_evals, max_iter, ftarget :
        The budget (``max_iter`` is 1000 when neither is given) and the target value.
    constraints : optional
        scipy's constraints (:mod:`ceopt.constraints`); ``tell`` evaluates them, or takes
        their values. Samples rank by Deb's rules: feasible ones first, infeasible ones by
        their violation.
    constraints_first : bool
        The objective is needed at feasible samples only (the constraints are cheap): only
        those count in ``nfev``; the constraint evaluations are capped at
        :data:`ceopt.feasibility.CONSTRAINT_EVALS_CAP` times ``max_evals``.
    noise : bool
        The objective is noisy (:mod:`ceopt.noise`): a population set by the budget, no kept
        sample, no stopping on values, no restarts unless asked, and the recommendation is the
        distribution's centre, re-evaluated when a search ends: then :meth:`ask` returns
        copies of it, and :meth:`tell` takes their values as an estimate.
    reevaluate : float, optional
        With ``noise=True``: the share of each population, its best samples by value, that
        is evaluated again before the fit and ranked by the fresh value
        (:class:`ceopt.noise.Reevaluation`): after a population's :meth:`tell`,
        :meth:`ask` returns those samples, and the next :meth:`tell` takes their values.
        Default 0.1 for a Gaussian under method "adaptive" (:data:`ceopt.noise.REEVALUATED`),
        else 0 (none).
    eval_seeds : None, "each" or "common"
        Seeds for an objective that draws random numbers (:meth:`evaluation_seeds`):
        ``"each"`` evaluation its own, ``"common"`` one per population (common random
        numbers: the population's values differ by the points, not the draws).
    disp : bool or int
        Log a line after ``tell`` (:mod:`ceopt.progress`: iteration, evaluations, best value,
        elite threshold, spread, restarts) at iterations 1-3, every 10th to 100 and every
        100th after; ``2``: after every ``tell``. Default: silent. ``verbose`` is a synonym.
    **options
        Options of the parts, each defaulting to the method's preset
        (:mod:`ceopt.updates` has the table):

        - population: ``popsize``, ``elite_frac`` (fraction of the population fitted),
          ``n_elite`` (``1 <= n_elite < popsize``; default ``round(elite_frac * popsize)``);
        - update rule: ``weights`` ("rank" or "equal"), ``smoothing`` (weight of the new fit),
          ``smoothing_cov`` (of a Gaussian's covariance, where the rule has its own rate),
          ``scale_control`` (a factor on a Gaussian's spread: ``"success"``/True, the success
          rule; ``"path"``, the evolution path of the mean, which noise does not shrink;
          False), ``rank_one`` (the mean's path as one more weighted sample of a Gaussian's
          covariance fit, :mod:`ceopt.updates.covariance_path`), ``active`` (the worse
          half of the population as negatively weighted samples of it,
          :mod:`ceopt.updates.active`), ``keep_best`` (the
          previous population's best sample as a candidate elite of a Gaussian's mean; turn
          it off for a noisy objective; for other families under method ``"ce"`` the
          search's best sample so far as a candidate elite of every fit);
        - a local search's end: ``tol_spread`` (the spread above the family's floor below this
          fraction of its initial value; 1e-12 continuous, 1e-6 discrete), ``patience`` (the
          elite threshold not improved for this many iterations; 20), ``tol_fun`` (the range
          of the last population's values and of the recent best values at most this; an
          absolute range, 1e-11 under ``"adaptive"``, else 0, off), ``search_evals`` (a local
          search ends after this many evaluations, once it has a feasible point; default
          none, and 25·d in a polished constrained run: :mod:`ceopt.polish`);
        - schedule: ``separable`` (method ``"adaptive"``): None tests with the first d + 2
          evaluations whether the objective adds up over the coordinates, and if so sweeps
          them instead of restarting (:mod:`ceopt.schedules.separable`); True sweeps without
          the test; False never. The test needs restarts and a budget that holds it and ten
          iterations of a sweep; ``tell`` takes its population, and a sweep's, exactly as
          ``ask`` returned it.

    Stopping
    --------
    ``stop()`` returns the first reason met, in this order; ``result().status`` is its code:
    5 stopped by a callback (or :meth:`request_stop`), 0 ftarget reached, 3 max_evals (the
    next population would exceed it), 4 max_iter, 6 diverged (spread above 1e100: an
    unbounded objective), 1 collapse, 2 stagnation, 7 flat values (``tol_fun``), 8 the search
    spent ``search_evals``; -1 while none is met. While restarts remain, the last four
    restart the run instead of stopping it.

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

    def __init__(self, dist: Distribution, *, method: str | None = None,
                 restarts: int | str | Schedule | None = None,
                 bounds: Bounds | ArrayLike | BoundaryHandler | None = None,
                 maximize: bool = False, seed: int | np.random.Generator | None = None,
                 max_evals: int | None = None, max_iter: int | None = None,
                 ftarget: float | None = None, constraints: Any = None,
                 constraints_first: bool = False, noise: bool = False,
                 eval_seeds: str | None = None, reevaluate: float | None = None,
                 disp: bool | int | None = None,
                 verbose: bool | int | None = None, **options: Any):
        if not isinstance(dist, Distribution):
            raise TypeError(f"dist must be a ceopt Distribution, got {type(dist).__name__}")
        check_options(options, "CrossEntropy", CrossEntropy)
        # A table of log lines as tell goes (ceopt.progress); the loop is the caller's, so no
        # bar. Not part of the run's state: a resumed run shows itself only if asked again.
        level = check_disp(disp, verbose)
        self._display = Display(level) if level else None
        noise = flag("noise", noise)
        self.eval_seeds = check_eval_seeds(eval_seeds)
        if noise:
            if constraints is not None:
                raise ValueError("noise=True with constraints is not supported yet: rank by a "
                                 "penalised objective, or leave noise out")
            noise_defaults(options, dist, method)
            restarts = 0 if restarts is None else restarts
        self._constraints = ConstraintCheck.of(constraints, dist.dim, constraints_first)
        if constraints is not None:  # the separability test assumes no constraints
            options["separable"] = ConstraintCheck.no_sweeps(options.get("separable"))
        sizes_given = picked(options, SIZE_OPTIONS)
        rule = make_rule(method, dist, picked(options, RULE_OPTIONS))
        if noise and sizes_given["popsize"] is None:  # noise averages out in the fit
            budget = None if max_evals is None else integer("max_evals", max_evals, 1)
            sizes_given["popsize"] = noisy_popsize(rule.sizes(dist, **sizes_given)[0], budget)
        popsize, n_elite = rule.sizes(dist, **sizes_given)
        if noise and noisy_rule_options(options, dist, rule, n_elite):
            rule = make_rule(method, dist, picked(options, RULE_OPTIONS))
        share = check_reevaluate(reevaluate, noise, dist, method)
        self._reeval = Reevaluation(share) if share > 0 else None
        handler = handler_for(bounds, dist.dim)
        if handler is not None and dist.discrete:
            raise ValueError("bounds apply to continuous distributions only")
        self.maximize = bool(maximize)
        self._sign = -1.0 if maximize else 1.0  # losses are minimised: loss = sign * value
        self._rng = generator(seed)

        # The run's own stopping criteria.
        self.max_evals = None if max_evals is None else integer("max_evals", max_evals, 1)
        if self.max_evals is not None and self.max_evals < popsize:
            raise ValueError(f"max_evals={max_evals} is smaller than one population ({popsize})")
        if noise and self.max_evals is not None and (
                self.max_evals < popsize + self._reevaluated(popsize) + estimate_evals(popsize)):
            raise ValueError(f"max_evals={max_evals} holds less than one population ({popsize}"
                             f", {self._reevaluated(popsize)} of them evaluated twice) and the "
                             f"{estimate_evals(popsize)} re-evaluations of the recommendation "
                             f"that noise=True makes: raise max_evals")
        if max_evals is None and max_iter is None:
            max_iter = 1000
        self.max_iter = None if max_iter is None else integer("max_iter", max_iter, 1)
        self.ftarget = None if ftarget is None else real("ftarget", ftarget)
        schedule = schedule_for(restarts, options.get("separable"), rule, dist, sizes_given)
        self._settings = SearchSettings(rule, convergence(dist, rule, options), handler)
        schedule.bind(self._settings, dist, popsize, n_elite)
        self._schedule = schedule

        # The run's state: counters, best so far, the history, and what it searches now.
        self._nit = 0
        self._nfev = 0
        self.nrestarts = 0
        self._found = Findings(noise)
        self._user_stop: StopReason | None = None
        self._history = History()
        self._search: Search = schedule.first(self._progress(popsize))

    # -- read-only state ---------------------------------------------------------------------
    @property
    def noise(self) -> bool:
        """Whether the run treats its objective as noisy (``noise=True``)."""
        return self._found.noise is not None

    @property
    def dist(self) -> Distribution:
        """The current sampling distribution."""
        return self._search.dist

    @property
    def dim(self) -> int:
        return self._search.dist.dim

    @property
    def popsize(self) -> int:
        return self._search.popsize

    @property
    def n_elite(self) -> int:
        return self._search.n_elite

    @property
    def method(self) -> str:
        return self._settings.rule.name

    @property
    def update_rule(self) -> UpdateRule:
        """The update rule (:mod:`ceopt.updates`), its options as attributes (``weights``,
        ``smoothing``, ``keep_best``, ...; ``smoothing_cov``: the current local search's)."""
        return self._settings.rule

    @property
    def convergence(self) -> Convergence:
        """When a local search ends (``spread_tol``, ``patience``, ``tol_fun``,
        ``search_evals``)."""
        return self._settings.convergence

    @property
    def handler(self) -> BoundaryHandler | None:
        """The boundary handler (``bounds=``), if any."""
        return self._settings.handler

    @property
    def constraints(self) -> Constraints | None:
        """The run's constraints (``constraints=``), if any."""
        return None if self._constraints is None else self._constraints.constraints

    @property
    def constraints_first(self) -> bool:
        """Whether the objective is evaluated at feasible samples only."""
        return self._constraints is not None and self._constraints.first

    def check_constraints(self, X: ArrayLike, chunks: Any = None) -> ConstraintValues:
        """The constraints' values at the rows of ``X`` (counted in ``constr_nfev``), for
        ``tell``'s ``constraint_values``: how a driver evaluates them where the objective runs
        (``chunks``: ``Evaluator.chunked``), and first under ``constraints_first``."""
        if self._constraints is None:
            raise ValueError("this run has no constraints to check")
        return self._constraints.evaluate(check_samples(X, self.dim, "X"), chunks)

    @property
    def search(self) -> Search:
        """What the run asks and tells now: a local search, or a schedule's own search (the
        separability test, a coordinate sweep)."""
        return self._search

    @property
    def schedule(self) -> Schedule:
        """The restart schedule (:mod:`ceopt.schedules`)."""
        return self._schedule

    @property
    def restarts(self) -> int:
        """How many restarts the run may make in all: the schedule's limit, else as many as a
        budget allows (resolved when asked, so that a run resumed with a new budget restarts
        too). Without a budget none by default: each restart doubles the population, so an
        unbudgeted run could go on for ever."""
        limit = self._schedule.max_restarts
        if limit is not None:
            return limit
        return UNLIMITED_RESTARTS if self.max_evals is not None else 0

    @property
    def best_x(self) -> NDArray | None:
        """The best point told so far (``None`` before the first ``tell``)."""
        best = self._found.best
        return None if best.x is None else best.x.copy()

    @property
    def best_f(self) -> float:
        """Its objective value, in the user's sign (``inf``/``-inf`` before the first tell)."""
        return self._sign * self._found.best.loss

    @property
    def best_violation(self) -> float:
        """How far the best point is from feasible (0: feasible, or no constraints)."""
        return self._found.best.violation

    @property
    def search_best(self) -> Best | None:
        """The current local search's best point (``x``, ``loss``, ``violation``), which a
        local method may start from (:mod:`ceopt.polish`); None before its first tell and
        after :meth:`record`."""
        best = self._found.search_best
        return None if best.x is None else best

    @property
    def gamma(self) -> float:
        """The last elite threshold (the worst elite's value), in the user's sign.

        With bounds, the values of ask's population are ranked with the boundary penalty
        (:mod:`ceopt.handlers.box`), and the threshold is the worst elite's value plus its
        penalty. NaN before the first tell and after the separability test or a sweep.
        """
        return self._history.last_gamma

    @property
    def nit(self) -> int:
        return self._nit

    @property
    def rng(self) -> np.random.Generator:
        """The run's generator: everything random in the run draws from it."""
        return self._rng

    @property
    def nfev(self) -> int:
        return self._nfev

    # -- the loop ----------------------------------------------------------------------------
    def ask(self) -> NDArray:
        """Draw the next population, shape ``(n, dim)``, inside the bounds if any.

        ``n`` is ``popsize``, except for the separability test's population (d + 2 rows) and
        a coordinate sweep's (``d * 30``, + 1); ``tell`` must get those back unchanged. If the
        last ``tell`` ended a local search and a restart is due, it is made first. Under
        ``noise=True`` it may also return the last population's best samples, to be
        evaluated again (``reevaluate``), or copies of the centre (the estimate).
        """
        if self._looking_again:
            return self._reeval.ask()  # noise=True: the last population's best, once more
        if self._estimate_due():  # noise=True: the centre's re-evaluations come first
            return self._found.noise.ask(self.dist, self.handler, self._estimate_size())
        if self._restart_due():
            self._found.search_ends(self.dist, self.nrestarts)
            self.nrestarts += 1
            self._search = self._schedule.restart(self._search, self._progress(), self._rng)
        self._search = self._schedule.before_ask(self._search, self._progress())
        return self._search.ask(self._rng)

    def evaluation_seeds(self, n: int) -> NDArray[np.int64] | None:
        """Seeds for the evaluations of the ``n`` points :meth:`ask` just returned (None
        without ``eval_seeds``), drawn from the run's generator: the same run seed gives the
        same seeds, on any backend and after a resume. Under ``"common"`` a population shares
        one seed; re-evaluations (of the recommendation, of a population's best) always get
        their own."""
        again = self._looking_again or (self.noise and self._found.noise.pending is not None)
        return draw_seeds(self.eval_seeds, self._rng, n, common=not again)

    def tell(self, X: ArrayLike, values: ArrayLike,
             constraint_values: ArrayLike | None = None, *, extra_nfev: int = 0) -> None:
        """Update the distribution from a population and its objective values.

        A constrained run evaluates its constraints at ``X`` unless ``constraint_values``
        gives them: shape ``(n, m)``, a row per point, the components of the constraints side
        by side in the order they were given (``docs/constraints.md``). With
        ``constraints_first``, ``values`` matter only at the feasible rows (NaN elsewhere, as
        the objective need not be evaluated there), and only those count in ``nfev``.

        ``X`` need not come from :meth:`ask` (it may be repaired or extended) but must have at
        least ``n_elite`` rows; the separability test's and a sweep's populations must come
        back as :meth:`ask` returned them. NaN values are never elites. With bounds, the
        population that :meth:`ask` returned is ranked with the boundary penalty and fitted
        as drawn; any other ``X`` is ranked by its values and fitted as it is.
        ``extra_nfev`` counts evaluations spent beyond ``X``'s rows to get these values (a
        local improvement's, :mod:`ceopt.improvement`).
        """
        extra_nfev = integer("extra_nfev", extra_nfev, 0)
        X = check_samples(X, self.dim, "X")
        # A finite sum means finite entries (barring overflow, then checked entry by entry),
        # without an (n, d) temporary.
        if not np.isfinite(X.sum()) and not np.all(np.isfinite(X)):
            raise ValueError("X must be finite")
        values = float_array("values", values)
        if values.shape != (X.shape[0],):
            raise ValueError(f"values must have shape ({X.shape[0]},), got {values.shape}")
        losses = self._sign * values
        if self.noise and self._found.noise.pending is not None:
            self._nfev += self._found.noise.tell(X, losses, self._nit)
            return
        counted = 0  # evaluations of this population already in nfev
        if self._reeval is not None:
            looked = self._second_look(X, losses, extra_nfev)
            if looked is None:
                return  # the population waits for its best samples' fresh values
            X, losses, counted = looked
            values = self._sign * losses
        if self._constraints is None:
            if constraint_values is not None:
                raise ValueError("constraint_values given to a run without constraints: make "
                                 "it with constraints=")
            told = self._search.tell(X, losses)
            ranked = Ranked(losses, told.best)
        else:  # feasible samples first, infeasible ones by their violation
            ranked = self._constraints.rank(X, losses, constraint_values)
            told = self._search.tell(X, ranked.ranking)
        self._found.note(X, losses, ranked, self.nrestarts)
        self._nfev += extra_nfev
        self._count(X, values, told.gamma, ranked.feasible, counted)
        self._search = self._schedule.after_tell(self._search, self._progress())
        if self._display is not None:
            self._display.after_tell(self)

    def _second_look(self, X: NDArray, losses: NDArray, extra_nfev: int
                     ) -> tuple[NDArray, NDArray, int] | None:
        """noise=True, ``reevaluate``: a local search's population is held (None) until its
        best samples' fresh values are told; then the population, its losses with those
        values, and its evaluations already counted. Anything else passes as it is."""
        if self._reeval.pending is not None:  # the fresh values of the best samples
            self._nfev += X.shape[0]
            X, losses = self._reeval.tell(X, losses)
            return X, losses, X.shape[0]
        if self._search.kind != LocalSearch.kind or not self._reeval.hold(X, losses):
            return X, losses, 0
        # The first values are evaluations already, and the best sample is one.
        self._found.note(X, losses, Ranked(losses, best_number(losses)), self.nrestarts)
        self._nfev += X.shape[0] + extra_nfev
        return None

    def record(self, x: ArrayLike | None, value: float, nfev: int, constr_nfev: int = 0,
               constr: ArrayLike | None = None) -> None:
        """A point found outside the populations (a local method's end point,
        :mod:`ceopt.polish`; None if it found none), its objective value, and the evaluations
        spent finding it (``constr_nfev`` of the constraints; ``constr``, the constraints'
        values there if the method has them, else they are evaluated): counted in ``nfev``,
        kept if it is the best point. The search does not learn from it, and its
        :attr:`search_best` is spent."""
        self._nfev += integer("nfev", nfev, 0)
        self._found.search_best = Best()  # spent: the local method started from it
        if self._constraints is not None:
            self._constraints.nfev += integer("constr_nfev", constr_nfev, 0)
        if x is None:  # nothing found
            return
        X = check_samples(np.atleast_2d(x), self.dim, "x")[:1]
        loss = self._sign * float_array("values", [value])
        if self._constraints is None:
            ranked = Ranked(loss, None if np.isnan(loss[0]) else 0)
        else:
            told = None if constr is None else np.atleast_2d(constr)
            ranked = self._constraints.rank(X, loss, told)
        self._found.note(X, loss, ranked, self.nrestarts, in_search=False)

    def begin_at(self, x: ArrayLike) -> None:
        """Begin the first search about ``x`` instead of the initial mean, with the same
        spread: after a local method from the start point (:mod:`ceopt.local_start`). Only
        before the first :meth:`tell` (a population asked before is dropped)."""
        if self._nit:
            raise RuntimeError("begin_at moves the first search: call it before the first "
                               "tell")
        x = check_samples(np.atleast_2d(x), self.dim, "x")[0]
        schedule = self._schedule
        schedule.bind(self._settings, schedule.initial.moved(x), schedule.popsize,
                      schedule.n_elite)
        self._search = schedule.first(self._progress(schedule.popsize))

    def _count(self, X: NDArray, values: NDArray, gamma: float,
               feasible: NDArray[np.bool_] | None, counted: int = 0) -> None:
        """One more iteration of ``X`` told with ``values`` (``feasible``: which rows are,
        None without constraints; ``counted``: evaluations of ``X`` already in ``nfev``): the
        counters and the history."""
        self._nit += 1
        self._nfev += (int(feasible.sum()) if self.constraints_first else X.shape[0]) - counted
        finite = values[np.isfinite(values)]
        self._history.append(self._nfev, self._sign * gamma, self.best_f,
                             finite.mean() if finite.size else np.nan, self.dist.spread,
                             1.0 if feasible is None else float(feasible.mean()),
                             self.nrestarts)

    def _progress(self, popsize: int | None = None) -> Progress:
        """The run as the schedule sees it (``popsize``: of the search to come, before the
        first)."""
        left = (np.inf if self.max_evals is None
                else self.max_evals - self._nfev - self._reserve(popsize))
        best = self._found.best
        return Progress(self._nfev, left, self.restarts - self.nrestarts, best.x, best.loss,
                        estimated=self.noise,
                        reevaluate=0.0 if self._reeval is None else self._reeval.share)

    def stop(self) -> str | None:
        """The reason to stop now, or ``None`` to go on."""
        if self._looking_again:
            return None  # a population is told only when its best are told again
        reason = self._reason()
        if reason is None or self._estimate_due():
            return None
        return reason.message

    def _reason(self) -> StopReason | None:
        """The first criterion met, checked in the order below (a user's stop comes first)."""
        if self._user_stop is not None:
            return self._user_stop
        # ftarget: the best value seen is at least as good as the target.
        if self.ftarget is not None and self._target_reached():
            return stopping.FTARGET
        # max_evals: never exceed the budget, so stop when a whole population no longer fits
        # (a sweep the budget cannot hold hands over to a local search of popsize).
        if self.max_evals is not None:
            batch = self._search.batch_size
            # (noise=True: the search's next population leaves room for its estimate, and
            # for its best samples' second evaluations.)
            room = self.max_evals - (estimate_evals(self.popsize) if self.noise else 0)
            if self._nfev + batch > room:
                batch = self._search.popsize
            if self._nfev + batch + self._reevaluated(batch) > room:
                return stopping.MAX_EVALS
            if self._constraints is not None and self._constraints.over(self.max_evals,
                                                                         batch):
                return stopping.CONSTRAINT_EVALS
        if self.max_iter is not None and self._nit >= self.max_iter:
            return stopping.MAX_ITER
        # Divergence: the spread keeps growing, as it does when the objective is unbounded.
        if self.dist.spread > stopping.MAX_SPREAD:
            return stopping.DIVERGED
        return None if self._restart_due() else self._converged()

    def _converged(self) -> StopReason | None:
        """Why the local search has ended (collapse, stagnation, flat values, its
        ``search_evals``), which triggers a restart while restarts remain; None before the
        first iteration."""
        reason = self._search.ended() if self._nit else None
        if reason is stopping.SEARCH_SPENT and self._found.search_best.violation > 0:
            # Not cut before it found a feasible point: there is nothing to polish yet. (At
            # 100·d on bbob-constrained, 12 of 162 runs cut so found no feasible point.)
            return None
        return reason

    def _estimate_due(self) -> bool:
        """noise=True: whether the current search's centre is re-evaluated next."""
        noise = self._found.noise
        if noise is None or self._user_stop is not None:
            return noise is not None and noise.pending is not None
        return noise.due(self._nit, self._estimate_size(),
                         lambda: self._converged() is not None or self._reason() is not None)

    def _estimate_size(self) -> int:
        """Evaluations of the next estimate: a population's worth, within the budget."""
        n = estimate_evals(self.popsize)
        return n if self.max_evals is None else min(n, self.max_evals - self._nfev)

    @property
    def _looking_again(self) -> bool:
        """noise=True, ``reevaluate``: a population waits for its best samples' fresh
        values (:meth:`ask` returns those samples)."""
        return self._reeval is not None and self._reeval.pending is not None

    def _reevaluated(self, popsize: int) -> int:
        """How many of a population of ``popsize`` are evaluated twice (noise=True)."""
        return 0 if self._reeval is None else self._reeval.size(popsize)

    def _reserve(self, popsize: int | None = None) -> int:
        """Evaluations the budget keeps for the current search's estimate (noise=True) until
        it is made."""
        if not self.noise or self._found.noise.at_nit == self._nit:
            return 0
        return estimate_evals(self.popsize if popsize is None else popsize)

    @property
    def search_ended(self) -> bool:
        """Whether the current local search has ended (a restart, or the run's stop, is
        next)."""
        return self._converged() is not None

    def _restart_due(self) -> bool:
        """Whether the local search has ended and a restart may follow: restarts remain and
        the schedule's next search fits the budget (else the run stops as converged)."""
        if self.nrestarts >= self.restarts or self._converged() is None:
            return False
        return self._schedule.can_restart(self._search, self._progress())

    def request_stop(self) -> None:
        """Mark the run as stopped by the user (what a callback returning True does)."""
        self._user_stop = stopping.CALLBACK

    def clear_user_stop(self) -> None:
        """Undo :meth:`request_stop`, to go on with a run a callback stopped."""
        self._user_stop = None

    def result(self) -> OptimizeResult:
        """The run so far as a ``scipy.optimize.OptimizeResult`` (see :func:`ceopt.minimize`)."""
        if self._found.best.x is None:
            raise RuntimeError("no population has been told yet")
        reason = self._reason()
        shown = reason or stopping.RUNNING
        status, success, message = shown.status, shown.success, shown.message
        if reason is stopping.MAX_EVALS and self.nrestarts:
            # Restarts spend a budget by design: every local search before the last one
            # converged, and the budget went where it was asked to.
            success = True
            message += f" after {self.nrestarts} restarts, each after a converged search"
        if self.ftarget is not None and reason is not None:
            success = self._target_reached()
            if not success:
                message += f" (ftarget {self.ftarget:g} not reached)"
        rec = self._found.recommendation(self.dist, self.handler, self.nrestarts)
        if self.noise and rec.n:
            message += (f"; x is a distribution's centre, fun the mean of {rec.n} "
                        f"re-evaluations there")
        result = OptimizeResult(x=rec.x, fun=self._sign * rec.loss, fun_se=rec.se,
                                fun_nfev=rec.n, x_best_sample=self.best_x,
                                fun_best_sample=self.best_f, nfev=self._nfev, nit=self._nit,
                                success=bool(success), status=status, message=message,
                                dist=rec.dist, history=self._history.columns(),
                                nrestarts=self.nrestarts)
        if self._constraints is not None:
            self._constraints.annotate(result, self._found.best)
        return result

    def _target_reached(self) -> bool:
        """The recommendation is feasible and at least as good as ``ftarget``."""
        return self._found.reached(self._sign * self.ftarget)

    # -- checkpoints -------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The run as plain data (numbers, strings, arrays): what a checkpoint holds, field by
        field in ``docs/checkpoints.md``. :meth:`from_state` continues it bit for bit."""
        rule, handler = self._settings.rule, self._settings.handler
        return {
            "maximize": self.maximize, "rng": self._rng.bit_generator.state,
            "max_evals": self.max_evals, "max_iter": self.max_iter, "ftarget": self.ftarget,
            "nit": self._nit, "nfev": self._nfev, "nrestarts": self.nrestarts,
            "user_stop": self._user_stop is not None,
            **self._found.state(),
            "history": self._history.state(),
            "method": {"name": rule.name, "options": rule.options()},
            "convergence": dataclasses.asdict(self._settings.convergence),
            "handler": None if handler is None else handlers.to_state(handler),
            "schedule": schedules.to_state(self._schedule),
            "search": {"kind": self._search.kind, **self._search.state()},
            "constraints": None if self._constraints is None else self._constraints.state(),
            "eval_seeds": self.eval_seeds,
            "reevaluation": None if self._reeval is None else self._reeval.state(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], constraints: Any = None) -> CrossEntropy:
        """The run :meth:`state` describes. A part it names must be known (registered),
        else a LookupError says which. A constrained run needs its ``constraints`` again
        (functions are not saved)."""
        dist = distributions.from_state(state["search"]["dist"])
        method = state["method"]
        UPDATES.find(method["name"])  # a LookupError names a method this ceopt lacks
        # A checkpoint from before the rank-one term saved no "rank_one": it had none (the
        # preset would now turn it on from d = 10); nor "active", which it had not either.
        rule = make_rule(method["name"], dist,
                         {"rank_one": False, "active": False, **method["options"]})
        handler = None if state["handler"] is None else handlers.from_state(state["handler"])
        settings = SearchSettings(rule, Convergence(**state["convergence"]), handler)
        run = cls.__new__(cls)
        run._settings = settings
        run._schedule = schedules.from_state(state["schedule"], settings)
        run._search = run._schedule.search_from_state(state["search"])
        run.maximize = bool(state["maximize"])
        run._sign = -1.0 if run.maximize else 1.0
        run._rng = generator_from_state(state["rng"])
        run.max_evals, run.max_iter = state["max_evals"], state["max_iter"]
        run.ftarget = state["ftarget"]
        run._nit, run._nfev = int(state["nit"]), int(state["nfev"])
        run.nrestarts = int(state["nrestarts"])
        run._user_stop = stopping.CALLBACK if state["user_stop"] else None
        run._display = None  # shown only when asked: CrossEntropy(..., disp=True)
        run._found = Findings.from_state(state, run.nrestarts)
        run.eval_seeds = state.get("eval_seeds")  # (none before noisy objectives were handled)
        # (None before the noise mode re-evaluated its populations' best: it did not.)
        run._reeval = Reevaluation.from_state(state.get("reevaluation"))
        run._history = History.from_state(state["history"], run.nrestarts)
        # (A checkpoint from before constraints existed has none.)
        run._constraints = ConstraintCheck.restored(state.get("constraints"), constraints,
                                                    run.dim)
        return run

    def __repr__(self) -> str:
        return (f"CrossEntropy(method={self.method!r}, popsize={self.popsize}, "
                f"n_elite={self.n_elite}, nit={self._nit}, nfev={self._nfev}, "
                f"best_f={self.best_f:.6g}, dist={self.dist!r})")


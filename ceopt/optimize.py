"""scipy-style entry points: ``minimize`` and ``maximize`` drive a :class:`CrossEntropy`."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import Bounds, OptimizeResult

from ._checks import flag, float_array, outside_bounds
from .constraints import Constraints
from .cross_entropy import CrossEntropy
from .distributions import DiagGaussian, Distribution, Gaussian
from .driver import check_path, drive
from .evaluation import Evaluator
from .handlers import BoundaryHandler, Box
from .improvement import Improvement, improved_defaults
from .local_start import LocalStart, local_start_method
from .moves import MOVES, Moves
from .noise import noisy_popsize
from .options import check_options
from .polish import LocalPhase, constrained_searches, polish_method, reserve_polish
from .progress import check_disp
from .schedules import Schedule
from .space import Decoded, Space, Variable, integer_margin, with_margin
from .updates import check_method, default_popsize

#: Largest dimension whose default distribution is a full-covariance Gaussian. Its update costs
#: O(d^3) per iteration and its learning rate falls as 1/d^2 (ceopt.updates.adaptive); beyond
#: this a diagonal Gaussian, whose rate falls as 1/d, learns more per evaluation.
FULL_MAX_DIM = 100

#: Initial standard deviation from bounds, as a fraction of the box width: a Gaussian this wide
#: about the centre covers the box (chosen in benchmarks/defaults.py, with the samples then
#: reflected into the box; ceopt.handlers.box now projects them).
BOX_SPREAD = 0.3


def initial_distribution(x0: ArrayLike | None, sigma0: ArrayLike | None,
                         box: BoundaryHandler | None,
                         family: str | None = None, method: str | None = None) -> Distribution:
    """The starting Gaussian from ``x0``/``sigma0`` or from a finite box.

    Mean: ``x0``, else the box's centre. Standard deviation: ``sigma0``, else
    ``BOX_SPREAD * width`` of a finite box, else 1. ``family`` None: under method
    ``"adaptive"`` (the default) a full covariance up to :data:`FULL_MAX_DIM` dimensions and
    a diagonal one beyond; ``"ce"`` and ``"textbook"`` keep the diagonal Gaussian they were
    measured with.
    """
    if family is not None and not isinstance(family, str):
        raise TypeError(f"dist must be a Distribution, 'diag' or 'full', got "
                        f"{type(family).__name__}")
    if family not in (None, "diag", "full"):
        raise ValueError(f"dist must be a Distribution, 'diag' or 'full', got {family!r}")
    if x0 is not None:
        mean = float_array("x0", x0)
        if mean.ndim != 1 or mean.size == 0:
            raise ValueError(f"x0 must be a non-empty 1-D array, got shape {mean.shape}")
        if not np.all(np.isfinite(mean)):
            raise ValueError("x0 must be finite")
        if box is not None:
            if box.dim != mean.size:
                raise ValueError(f"bounds have {box.dim} coordinates, x0 has {mean.size}")
            if not box.contains(mean):
                raise ValueError(outside_bounds("x0", mean, box.low, box.high))
    elif box is not None and box.finite:
        mean = 0.5 * (box.low + box.high)  # the centre
    else:
        raise ValueError("give x0, finite bounds, or a distribution (dist=...)")
    if sigma0 is None:
        sigma0 = BOX_SPREAD * (box.high - box.low) if box is not None and box.finite else 1.0
    std = float_array("sigma0", sigma0)
    if std.ndim > 1 or (std.ndim == 1 and std.shape != mean.shape):
        raise ValueError(f"sigma0 must be a scalar or have shape {mean.shape}, got {std.shape}")
    if not np.all(np.isfinite(std) & (std > 0)):
        raise ValueError("sigma0 must be finite and positive")
    std = np.broadcast_to(std, mean.shape)
    if family is None:
        adaptive = method in (None, "adaptive")
        family = "full" if adaptive and mean.size <= FULL_MAX_DIM else "diag"
    if family == "full":
        return Gaussian(mean, std**2)
    return DiagGaussian(mean, std)


def minimize(fun: Callable[..., Any], x0: ArrayLike | None = None,
             sigma0: ArrayLike | None = None, *,
             bounds: Bounds | ArrayLike | BoundaryHandler | None = None,
             integrality: ArrayLike | None = None, margin: bool | None = None,
             space: Mapping[str, Variable] | Sequence[Variable] | Space | None = None,
             constraints: Any = None, polish: bool | str | None = None,
             local_start: bool | str | None = None, constraints_first: bool = False,
             noise: bool = False,
             eval_seeds: str | None = None, improve: bool | str | Moves | None = None,
             improve_best: int | None = None, improve_order: str | None = None,
             dist: Distribution | str | None = None, popsize: int | None = None,
             elite_frac: float | None = None, n_elite: int | None = None,
             smoothing: float | None = None, restarts: int | str | Schedule | None = None,
             max_evals: int | None = None, max_iter: int | None = None,
             ftarget: float | None = None, seed: int | np.random.Generator | None = None,
             vectorized: bool = False, callback: Callable[[OptimizeResult], Any] | None = None,
             args: tuple = (), method: str | None = None, workers: Any = None,
             chunksize: int | None = None, on_error: str = "raise",
             on_nan: str | None = None, retries: int = 2,
             timeout: float | None = None, checkpoint: str | os.PathLike | None = None,
             checkpoint_every: int = 1, disp: bool | int | None = None,
             verbose: bool | int | None = None, **options: Any) -> OptimizeResult:
    """Minimise ``fun`` with the cross-entropy method.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float`` for one point ``x`` of shape ``(dim,)``, or with
        ``vectorized=True``, ``fun(X, *args) -> (n,)`` for a population ``X`` of shape
        ``(n, dim)``. With ``space``, ``x`` is the decoded values instead: a dict (dict space)
        or a list (list space) of Python values, and with ``vectorized=True`` a dict or list
        of columns, one array of ``n`` values per variable. An exception raised by ``fun`` or
        a NaN or infinite value is a failure, handled as ``on_error`` and ``on_nan`` say.
    x0, sigma0 : array-like, optional
        Continuous problems: the initial mean and standard deviation (scalar or per
        coordinate). Without ``x0``, finite ``bounds`` give the mean (the centre) and the
        spread (0.3 of the width; ``sigma0`` overrides it). Without bounds ``sigma0`` is 1.
    bounds : scipy.optimize.Bounds, sequence of (low, high) or a BoundaryHandler, optional
        The objective is only called inside: samples outside are evaluated at their projection
        onto the box, ranked with a penalty and fitted as drawn (:mod:`ceopt.handlers.box`).
        ``x`` is always inside; the final distribution's mean may lie just outside a face when
        the optimum is on it. A handler of one's own decides otherwise (:mod:`ceopt.handlers`).
    integrality : array of bool, optional
        As in scipy's ``differential_evolution``: True where the coordinate takes integer
        values. ``fun`` is only called with integers there (rounded from the samples, which
        are fitted at those values), integer bounds are rounded inwards, and ``res.x`` is
        integral there.
    margin : bool, optional
        Whether integer coordinates (of ``integrality`` or a space) keep a margin, a floor on
        their spread, so that a search keeps trying their neighbours
        (:func:`ceopt.space.integer_margin`). Default: without ``max_evals`` (a single
        search needs it), not with it (restarts explore instead; ``docs/spaces.md`` has the
        measurements).
    constraints : scipy.optimize.NonlinearConstraint, LinearConstraint, dict, or a list
        What scipy's ``minimize`` takes (``{"type": "ineq", "fun": g}`` means g(x) >= 0;
        ``"eq"`` g(x) == 0, held within 1e-6): :mod:`ceopt.constraints`. A constraint
        function gets ``x`` as ``fun`` does (the population with ``vectorized=True``) and is
        evaluated at every point ``fun`` is, where ``fun`` runs (``workers``);
        ``on_error`` other than ``"raise"`` makes a point where one raises or is NaN
        infeasible (counted in ``nfail``). Feasible samples rank first, infeasible ones by
        their violation; ``res.x`` is the best feasible point (the least infeasible, with
        ``success=False``, when none was found), ``res.constr`` the constraints' values
        there, ``res.constr_violation`` their largest violation, ``res.constr_nfev`` the
        points they were evaluated at, and ``history["feasible"]`` the feasible fraction of
        each population. Not with ``space``.
    polish : bool, "slsqp" or "cobyqa", optional
        A local method from the best point of each local search when it ends, and of the
        last one when the run ends: scipy's SLSQP (True; finite-difference gradients) or
        COBYQA (derivative-free), in this process, counted in ``nfev``, never returning an
        infeasible point (:mod:`ceopt.polish`); ``20 * (d + 1)`` evaluations are kept out of
        ``max_evals`` for the last. With constraints the local searches then end after
        ``search_evals = 25 * d`` evaluations each. Real vectors only. Default: on with
        ``constraints`` and a budget of at least ``60 * (d + 1)`` (``docs/constraints.md``
        has the measurements), off without.
    local_start : bool, "nelder-mead", "l-bfgs-b" or "cobyqa", optional
        Before the population search, a local method from the start point: Nelder–Mead below
        4 dimensions and L-BFGS-B (forward-difference gradients, each one batch of ``d + 1``
        points) from 4 (True), or the one named. It stops when it has converged or spent
        ``100 * d`` evaluations, counted in ``nfev``; the search then begins about its best
        point (:mod:`ceopt.local_start`). Default: on for a Gaussian under method
        ``"adaptive"`` with ``max_evals <= 300 * d`` (a small budget), and for a full
        covariance from d = 40 with any budget, where it reached more bbob targets
        (``docs/continuous.md``); off otherwise. Real vectors, without constraints, noise or
        ``space``.
    constraints_first : bool
        Evaluate ``fun`` only at the samples the constraints call feasible (for cheap
        constraints and an expensive objective): ``nfev`` and ``max_evals`` count those
        evaluations; the constraints' are capped at 10 times ``max_evals``.
    noise : bool
        The objective is noisy (``docs/noise.md``): the population grows with the budget, no
        sample is kept across iterations, only the spread stops a search, and ``res.x`` is
        the distribution's centre (mean, or mode for discrete variables), re-evaluated when
        the run ends: ``res.fun`` is the mean of those evaluations, ``res.fun_se`` its
        standard error, ``res.fun_nfev`` their number (in ``nfev``). Without it every value
        is taken as exact. ``reevaluate`` (a share, default 0.1 for a Gaussian, else 0)
        evaluates each population's best samples once more and ranks them by the fresh value.
    eval_seeds : None, "each" or "common"
        Pass a seed to the objective with every point, ``fun(x, seed, *args)`` (vectorized:
        ``fun(X, seeds, *args)``, one per row), for an objective that draws random numbers
        (a simulation, an episode): ``"each"`` evaluation its own seed, ``"common"`` one seed
        for a whole population (common random numbers). The seeds come from the run's
        generator, so a run seed gives the same run with any workers and after a resume.
    improve : True, "2opt", "swap", "insert", "oropt", "flip" or a ceopt.moves.Moves
        Local improvement (:mod:`ceopt.improvement`): after each population is evaluated, its
        ``improve_best`` best samples (default: its elites) descend by the moves named
        (2-opt, swap, insertion or Or's stretch moves for a permutation family, joined by
        ``+`` to combine them; bit flips for ``Bernoulli``) until no move improves them;
        they replace the originals before the fit. True: the family's usual moves
        (``"2opt+oropt"`` for the transition model, with ``"or3opt"`` over candidate
        moves; ``"swap"`` for the position model, ``"insert"`` for Plackett–Luce,
        ``"flip"`` for bits). The population then defaults to ``max(50, 2 * dim)`` (and
        the position model's smoothing to 0.3), and tours and assignments keep the
        search's best sample among the elites of every fit (``keep_best``, under method
        ``"ce"``). Every neighbour is evaluated
        through ``fun`` and counted in ``nfev`` and ``max_evals``. Not with constraints,
        ``space``, ``noise`` or ``eval_seeds``.
    improve_order : "candidates", "random", "model" or None (default)
        The moves a descent tries, and in what order: for tours only the candidate moves,
        those that put only items the model finds likely side by side, at random (every move
        for a new best of the run; the default for ``Permutation(n)``, whose improved
        population is then at most 100); every move uniformly at random (the default for the
        other families); or every move, drawn from the distribution (the neighbours it finds
        likelier first; better on some tours, worse on most): :mod:`ceopt.improvement`.
    space : dict or list of ceopt.Real, ceopt.Integer, ceopt.Choice, ceopt.Ordering, optional
        A mixed search space (``docs/spaces.md``), instead of ``x0``, ``sigma0``, ``bounds``,
        ``integrality`` and ``dist``: ``fun`` gets decoded values (see ``fun``), ``res.x`` is
        decoded the same way, ``res.x_encoded`` is the point searched, ``res.space`` the
        :class:`~ceopt.space.Space` and ``res.dist`` the fitted distribution over the
        encoding (a Gaussian over the reals and integers beside a categorical over the
        choices).
    dist : Distribution, "diag" or "full", optional
        The initial distribution. ``"full"``: a full-covariance Gaussian from
        x0/sigma0/bounds; ``"diag"``: a diagonal one; ``None``: full up to
        :data:`FULL_MAX_DIM` (100) dimensions and diagonal beyond under method
        ``"adaptive"``, diagonal under ``"ce"`` and ``"textbook"``. Discrete problems pass their
        own, e.g. ``Bernoulli(np.full(50, 0.5))`` (then x0 and sigma0 must be left out).
    popsize, elite_frac, n_elite, smoothing, method, seed :
        See :class:`ceopt.CrossEntropy`; the default method for Gaussians is ``"adaptive"``
        and ``method="textbook"`` gives the plain CE method.
    restarts : int, "ipop", "bipop" or a Schedule, optional
        What follows a run that converges or stagnates (:mod:`ceopt.schedules`). Default: as
        many restarts as ``max_evals`` allows when it is given (the budget is spent on the
        search, and a run that spends it after restarting counts as a success), none without
        it; a Gaussian restarts with a doubled population (IPOP) from a random point of
        finite bounds, else from x0, other families at the same population; a Gaussian under
        methods ``"ce"`` and ``"textbook"`` (the baselines) does not restart. An int limits
        the number of restarts; ``"bipop"`` alternates IPOP's restarts with small, narrow
        ones (BIPOP).
    max_evals, max_iter, ftarget :
        Budget and target; with neither budget given, ``max_iter`` is 1000.
    workers : int, Executor or map-like callable, optional
        Where to evaluate: ``None`` (this process), an int (a process pool of that many;
        -1 = all cores; a worker that dies has its tasks submitted again), a
        ``concurrent.futures.Executor``, or ``map(fn, tasks)``-like callable. Results keep
        their order, so a seed gives the same run on any backend. ``fun`` must be picklable
        for processes.
    chunksize : int, optional
        Points per task; default: the population split evenly over the workers.
    on_error : "raise", "worst" or "retry"
        What an exception raised by ``fun`` does: ``"raise"`` re-raises it with the point in
        ``exc.ceopt_x`` and the run so far in ``exc.ceopt_result``; ``"worst"`` scores the
        point the worst possible value and goes on; ``"retry"`` evaluates it again up to
        ``retries`` times, then scores it the worst.
    on_nan : "worst", "raise", "retry" or None
        The same for a NaN or infinite value (``"raise"``: a ValueError). None (default): as
        ``on_error`` when that is ``"worst"`` or ``"retry"``, else ``"worst"``, with one
        RuntimeWarning per run; such points are counted in ``nfail``.
    timeout : float, optional
        Seconds one point may take before it is interrupted as a failure (POSIX; in this
        process or a process pool, where evaluations run in a main thread).
    checkpoint, checkpoint_every :
        Write the run's whole state (distribution, RNG state, best so far, counters, history)
        to the file ``checkpoint`` every ``checkpoint_every`` iterations and at the end,
        atomically: a crash at any moment leaves the last good checkpoint. Continue with
        :func:`ceopt.resume`; an existing file is an error, never overwritten.
    disp : bool or int
        Show the run as it goes (:mod:`ceopt.progress`): with ``max_evals``, a progress bar
        on standard error with the best value, the elite threshold and the spread; without,
        a table of log lines (logger ``"ceopt"``, level INFO) at iterations 1-3, every 10th
        to 100 and every 100th after; ``2``: a line every iteration. Restarts and the end of
        the run get a line. Default: silent. ``verbose`` is a synonym (pycma's spelling).
    callback : callable, optional
        Called after every iteration as ``callback(intermediate_result)`` with an
        ``OptimizeResult`` (``x``, ``fun``, ``nit``, ``nfev``, ``dist``, ...). Returning
        ``True`` or raising ``StopIteration`` stops the run.
    **options :
        Further options of :class:`ceopt.CrossEntropy`: stopping (``tol_spread``,
        ``patience``, ``tol_fun``, ``search_evals``) and the pieces of method ``"adaptive"``
        (``weights``, ``scale_control`` (``"success"`` or ``"path"``), ``rank_one``,
        ``active``, ``keep_best``, ``separable``; ``keep_best=False`` for a noisy objective;
        for other families under method ``"ce"``, ``keep_best`` keeps the search's best
        sample among the elites: :mod:`ceopt.updates.previous_mean`).

    Returns
    -------
    OptimizeResult
        ``x``, the recommendation: the best point evaluated, or with ``noise`` the
        distribution's centre (decoded with ``space``); ``fun``, the estimate of its value:
        the value itself, or with ``noise`` the mean of ``fun_nfev`` fresh evaluations;
        ``fun_se``, its standard error (0 without noise: values are taken as exact, and
        ``fun_nfev`` is 1); ``x_best_sample`` and ``fun_best_sample``, the sample with the
        best single value (the luckiest one, under noise; ``x`` and ``fun`` without noise);
        ``nfev``, ``nit``,
        ``success``, ``status``, ``message``, ``dist`` (the final distribution of the search
        that produced ``x``: after restarts, not necessarily the last) and ``history``: a
        dict of arrays, one entry per iteration, with ``nfev``, ``gamma`` (the elite
        threshold; with bounds it includes the boundary penalty; NaN for the separability test
        and coordinate sweeps, which have none), ``best`` (best so far),
        ``mean`` (mean objective value of the population), ``spread`` (of the distribution),
        ``feasible`` and ``search`` (the local search: restarts made before the iteration).
        ``success`` is whether ``ftarget`` was reached when one is given, else whether the run
        converged (rather than running out of budget). ``nfail`` counts the points scored the
        worst after a failure, ``failures`` describes the first few, and ``nrestarts`` counts
        the restarts.

    Example
    -------
    >>> import numpy as np, ceopt
    >>> res = ceopt.minimize(lambda x: np.sum((x - 1) ** 2), x0=np.zeros(5), seed=0)
    >>> np.allclose(res.x, 1, atol=1e-4)
    True
    """
    return _run(fun, x0, sigma0, bounds=bounds, integrality=integrality, margin=margin,
                space=space, constraints=constraints, polish=polish,
                local_start=local_start, constraints_first=constraints_first, noise=noise,
                eval_seeds=eval_seeds,
                improve=improve, improve_best=improve_best, improve_order=improve_order,
                dist=dist, popsize=popsize,
                elite_frac=elite_frac, n_elite=n_elite, smoothing=smoothing, restarts=restarts,
                max_evals=max_evals, max_iter=max_iter, ftarget=ftarget, seed=seed,
                vectorized=vectorized, callback=callback, args=args, method=method,
                workers=workers, chunksize=chunksize, on_error=on_error, on_nan=on_nan,
                retries=retries, timeout=timeout, checkpoint=checkpoint,
                checkpoint_every=checkpoint_every, disp=disp, verbose=verbose, maximize=False,
                **options)


def maximize(fun: Callable[..., Any], x0: ArrayLike | None = None,
             sigma0: ArrayLike | None = None, **kwargs: Any) -> OptimizeResult:
    """Maximise ``fun``; the same arguments as :func:`minimize`, and ``fun`` is the maximum.

    Example
    -------
    >>> import numpy as np, ceopt
    >>> res = ceopt.maximize(lambda b: b.sum(axis=1), dist=ceopt.Bernoulli(np.full(20, .5)),
    ...                      vectorized=True, seed=0)
    >>> res.fun
    20.0
    """
    return _run(fun, x0, sigma0, maximize=True, **kwargs)


def _run(fun, x0, sigma0, *, bounds=None, integrality=None, margin=None, space=None,
         constraints=None, polish=None, local_start=None, improve=None, improve_best=None,
         improve_order=None, dist=None,
         vectorized=False, callback=None, args=(),
         workers=None, chunksize=None, on_error="raise", on_nan=None, retries=2, timeout=None,
         checkpoint=None, checkpoint_every=1, disp=None, verbose=None,
         **solver_options) -> OptimizeResult:
    check_options(solver_options, "maximize" if solver_options["maximize"] else "minimize",
                  minimize, CrossEntropy)
    if not callable(fun):
        raise TypeError("fun must be callable")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    if not isinstance(args, tuple):
        raise TypeError(f"args must be a tuple, got {type(args).__name__}")
    disp = check_disp(disp, verbose)
    method = solver_options.get("method")
    check_method(method)  # before the defaults below compare it with names
    # Integer coordinates keep a margin in a run without a budget; with one, restarts explore
    # instead (docs/spaces.md, "How it works": the measurements).
    margin = solver_options.get("max_evals") is None if margin is None else flag("margin",
                                                                                 margin)
    if space is not None:
        for name, value in {"constraints": constraints, "polish": polish or None}.items():
            if value is not None:
                raise ValueError(f"{name} with space= is not supported yet: search the "
                                 f"encoding with bounds= and integrality= instead")
        given = {"x0": x0, "sigma0": sigma0, "bounds": bounds, "integrality": integrality,
                 "dist": dist}
        for name, value in given.items():
            if value is not None:
                raise ValueError(f"space gives the variables, their bounds and where the "
                                 f"search starts: leave {name} out")
        space = space if isinstance(space, Space) else Space(space)
        dist = space.initial(method, solver_options.get("popsize"), margin=margin)
        bounds = None if dist.discrete else space.handler()
        fun = Decoded(fun, space, bool(vectorized))
    elif isinstance(dist, Distribution):
        if x0 is not None or sigma0 is not None:
            raise ValueError("pass either dist or x0/sigma0, not both")
        if integrality is not None:
            bounds = _handler(bounds, dist.dim, integrality)
    else:
        bounds = _handler(bounds, None if x0 is None else np.size(x0), integrality)
        dist = initial_distribution(x0, sigma0, bounds, dist, method)
        if integrality is not None and margin:
            # The margin for the population in force: the one given, else the default.
            popsize = solver_options.get("popsize") or default_popsize(method, dist)
            if solver_options.get("noise") and not solver_options.get("popsize"):
                popsize = noisy_popsize(popsize, solver_options.get("max_evals"))
            dist = with_margin(dist, bounds.integral, integer_margin(dist.dim, popsize))
    if constraints is not None and not isinstance(constraints, Constraints):
        constraints = Constraints(constraints, dist.dim, vectorized=bool(vectorized),
                                  on_error=on_error)
    if solver_options.get("noise") and polish:
        raise ValueError("polish needs exact values: leave it out with noise=True")
    polish = polish_method(polish, constraints, dist, bounds, solver_options.get("max_evals"))
    if polish is not None:
        reserve_polish(dist, bounds, integrality, solver_options)
        if constraints is not None:
            constrained_searches(solver_options, dist.dim)
    improvement = _improvement(improve, improve_best, improve_order, dist,
                               constraints=constraints,
                               space=space, noise=solver_options.get("noise"),
                               eval_seeds=solver_options.get("eval_seeds"))
    if improvement is not None:
        for name, value in improved_defaults(dist, improvement.order, method).items():
            if solver_options.get(name) is None:
                solver_options[name] = value
    solver = CrossEntropy(dist, bounds=bounds, constraints=constraints, **solver_options)
    start_method = local_start_method(local_start, dist, bounds, method=solver.method,
                                      max_evals=solver.max_evals, constraints=constraints,
                                      noise=solver.noise, space=space, improve=improve)
    if checkpoint is not None:
        check_path(checkpoint, solver, space)
    evaluator = Evaluator(fun, vectorized=vectorized, args=args, workers=workers,
                          chunksize=chunksize, on_error=on_error, on_nan=on_nan,
                          retries=retries, worst=-np.inf if solver.maximize else np.inf,
                          timeout=timeout)
    phase = None if polish is None else LocalPhase(polish, constraints, bounds,
                                                    solver.maximize)
    start = (None if start_method is None
             else LocalStart(start_method, bounds, solver.maximize))
    return drive(solver, evaluator, callback, checkpoint, checkpoint_every, saved_at=None,
                 space=space, phase=phase, improvement=improvement, disp=disp, start=start)


def _improvement(improve, best, order, dist: Distribution,
                 **excluded) -> Improvement | None:
    """``improve=`` as an :class:`Improvement` (None without it), refused beside the options
    it does not work with."""
    if improve is None or improve is False:
        if best is not None:
            raise ValueError(f"improve_best applies with improve=: pass improve=True (the "
                             f"family's usual moves) or one of {tuple(MOVES)}")
        return None
    for name, value in excluded.items():
        if value:
            raise ValueError(f"improve= with {name}= is not supported: the descent compares "
                             f"exact objective values of unconstrained points")
    return Improvement.parse(improve, best, dist, order)


def _handler(bounds, dim: int | None, integrality) -> BoundaryHandler | None:
    """``bounds`` and ``integrality`` as one handler (a handler of one's own as it is)."""
    if isinstance(bounds, BoundaryHandler):
        if integrality is not None:
            raise ValueError("integrality applies to scipy-style bounds; a handler of your own "
                             "rounds the coordinates it wants itself")
        return bounds
    return Box.parse(bounds, dim, integrality)

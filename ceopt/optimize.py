"""scipy-style entry points: ``minimize`` and ``maximize`` drive a :class:`CrossEntropy`."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import Bounds, OptimizeResult

from . import distributions
from ._checks import flag, float_array, integer
from .checkpoint import CheckpointError
from .checkpoint import check as check_checkpoint
from .checkpoint import load as load_checkpoint
from .checkpoint import save as save_checkpoint
from .constraints import Constraints
from .cross_entropy import CrossEntropy
from .distributions import DiagGaussian, Distribution, Gaussian
from .evaluation import Evaluator
from .handlers import BoundaryHandler, Box
from .polish import polish_by_default, polish_result, reserve_polish
from .schedules import Schedule
from .space import Space, Variable, integer_margin, with_margin
from .updates import default_popsize

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
                raise ValueError("x0 lies outside the bounds")
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
             constraints: Any = None, polish: bool | None = None,
             dist: Distribution | str | None = None, popsize: int | None = None,
             elite_frac: float | None = None, n_elite: int | None = None,
             smoothing: float | None = None, restarts: int | str | Schedule | None = None,
             max_evals: int | None = None, max_iter: int | None = None,
             ftarget: float | None = None, seed: int | np.random.Generator | None = None,
             vectorized: bool = False, callback: Callable[[OptimizeResult], Any] | None = None,
             args: tuple = (), method: str | None = None, workers: Any = None,
             chunksize: int | None = None, on_error: str = "raise", retries: int = 2,
             timeout: float | None = None, checkpoint: str | os.PathLike | None = None,
             checkpoint_every: int = 1, **options: Any) -> OptimizeResult:
    """Minimise ``fun`` with the cross-entropy method.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float`` for one point ``x`` of shape ``(dim,)``, or with
        ``vectorized=True``, ``fun(X, *args) -> (n,)`` for a population ``X`` of shape
        ``(n, dim)``. With ``space``, ``x`` is the decoded values instead: a dict (dict space)
        or a list (list space) of Python values, and with ``vectorized=True`` a dict or list
        of columns, one array of ``n`` values per variable. An exception raised by ``fun`` or
        a NaN or infinite value is a failure, handled as ``on_error`` says.
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
        evaluated, in this process, at every point ``fun`` is. Feasible samples rank first,
        infeasible ones by their violation; ``res.x`` is the best feasible point (the least
        infeasible, with ``success=False``, when none was found), ``res.constr`` the
        constraints' values there, ``res.constr_violation`` their largest violation and
        ``res.constr_nfev`` the points they were evaluated at. Not with ``space``.
    polish : bool, optional
        After the search, a local finish from its best point: scipy's COBYQA, on at most
        ``20 * (d + 1)`` evaluations (taken from ``max_evals`` when it is given), in this
        process, never returning an infeasible point (:mod:`ceopt.polish`). Real vectors
        only. Default: on with ``constraints`` and a budget of at least three polishes (on
        bbob-constrained it took the fraction of targets from .06 to .47 at 100·d and from
        .32 to .49 at 1000·d, means over d = 2, 5, 10), off without.
    space : dict or list of ceopt.Real, ceopt.Integer, ceopt.Choice, optional
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
        What a failure (an exception, NaN or ±inf) does: ``"raise"`` re-raises the
        objective's exception with the point in ``exc.ceopt_x`` (ValueError for a non-finite
        value); ``"worst"`` scores the point the worst possible value and goes on;
        ``"retry"`` evaluates it again up to ``retries`` times, then scores it the worst.
    timeout : float, optional
        Seconds one point may take before it is interrupted as a failure (POSIX; in this
        process or a process pool, where evaluations run in a main thread).
    checkpoint, checkpoint_every :
        Write the run's whole state (distribution, RNG state, best so far, counters, history)
        to the file ``checkpoint`` every ``checkpoint_every`` iterations and at the end,
        atomically: a crash at any moment leaves the last good checkpoint. Continue with
        :func:`ceopt.resume`; an existing file is an error, never overwritten.
    callback : callable, optional
        Called after every iteration as ``callback(intermediate_result)`` with an
        ``OptimizeResult`` (``x``, ``fun``, ``nit``, ``nfev``, ``dist``, ...). Returning
        ``True`` or raising ``StopIteration`` stops the run.
    **options :
        Further options of :class:`ceopt.CrossEntropy`: stopping (``tol_spread``,
        ``patience``, ``tol_fun``) and the pieces of method ``"adaptive"`` (``weights``,
        ``scale_control``, ``keep_best``, ``separable``; ``keep_best=False`` for a noisy
        objective).

    Returns
    -------
    OptimizeResult
        ``x`` (best point evaluated; decoded with ``space``), ``fun``, ``nfev``, ``nit``,
        ``success``, ``status``, ``message``, ``dist`` (final distribution) and ``history``: a
        dict of arrays, one entry per iteration, with ``nfev``, ``gamma`` (the elite
        threshold; with bounds it includes the boundary penalty; NaN for the separability test
        and coordinate sweeps, which have none), ``best`` (best so far),
        ``mean`` (mean objective value of the population) and ``spread`` (of the distribution).
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
                dist=dist, popsize=popsize,
                elite_frac=elite_frac, n_elite=n_elite, smoothing=smoothing, restarts=restarts,
                max_evals=max_evals, max_iter=max_iter, ftarget=ftarget, seed=seed,
                vectorized=vectorized, callback=callback, args=args, method=method,
                workers=workers, chunksize=chunksize, on_error=on_error, retries=retries,
                timeout=timeout, checkpoint=checkpoint, checkpoint_every=checkpoint_every,
                maximize=False, **options)


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
         constraints=None, polish=None, dist=None, vectorized=False, callback=None, args=(),
         workers=None, chunksize=None, on_error="raise", retries=2, timeout=None,
         checkpoint=None, checkpoint_every=1, **solver_options) -> OptimizeResult:
    if not callable(fun):
        raise TypeError("fun must be callable")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    if not isinstance(args, tuple):
        raise TypeError(f"args must be a tuple, got {type(args).__name__}")
    method = solver_options.get("method")
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
            dist = with_margin(dist, bounds.integral, integer_margin(dist.dim, popsize))
    if constraints is not None and not isinstance(constraints, Constraints):
        constraints = Constraints(constraints, dist.dim, vectorized=bool(vectorized))
    if polish is None:
        polish = polish_by_default(constraints, dist, bounds, solver_options.get("max_evals"))
    if flag("polish", polish):
        reserve_polish(dist, bounds, integrality, solver_options)
    solver = CrossEntropy(dist, bounds=bounds, constraints=constraints, **solver_options)
    if checkpoint is not None:
        _check_checkpoint(checkpoint, solver, space)
    evaluator = Evaluator(fun, vectorized=vectorized, args=args, workers=workers,
                          chunksize=chunksize, on_error=on_error, retries=retries,
                          worst=-np.inf if solver.maximize else np.inf, timeout=timeout)
    result = _drive(solver, evaluator, callback, checkpoint, checkpoint_every, saved_at=None,
                    space=space)
    if polish:
        finish = Evaluator(fun, vectorized=vectorized, args=args, on_error=on_error,
                           retries=retries, worst=evaluator.worst, timeout=timeout)
        polish_result(result, solver, finish, constraints, bounds)
    return result


def _handler(bounds, dim: int | None, integrality) -> BoundaryHandler | None:
    """``bounds`` and ``integrality`` as one handler (a handler of one's own as it is)."""
    if isinstance(bounds, BoundaryHandler):
        if integrality is not None:
            raise ValueError("integrality applies to scipy-style bounds; a handler of your own "
                             "rounds the coordinates it wants itself")
        return bounds
    return Box.parse(bounds, dim, integrality)


class Decoded:
    """The objective of a run over a :class:`~ceopt.space.Space`: called with the encoded
    samples, it calls ``fun`` with their decoded values (picklable, for process pools)."""

    def __init__(self, fun: Callable[..., Any], space: Space, vectorized: bool):
        self.fun, self.space, self.vectorized = fun, space, vectorized

    def describe(self, x: NDArray) -> str:
        """One encoded point as failure messages show it: its decoded values."""
        return _short(self.space.decode_point(x))

    def __call__(self, x: NDArray, *args: Any) -> Any:
        values = self.space.decode(x) if self.vectorized else self.space.decode_point(x)
        try:
            return self.fun(values, *args)
        except (TypeError, KeyError, IndexError, AttributeError) as exc:
            kind = "dict" if self.space.names is not None else "list"
            form = (f"a {kind} of columns, one array per variable" if self.vectorized
                    else f"a {kind} of values, one per variable")
            message = (f"{exc} -- fun was called with the decoded values of the space "
                       f"({form}), here {_short(values)}")
            try:
                hinted = type(exc)(message)
            except Exception:  # an exception class of the user's own, with other arguments
                raise exc from None
            raise hinted from exc


def _short(values: Any) -> str:
    text = repr(values)
    return text if len(text) <= 300 else text[:297] + "..."


def resume(path: str | os.PathLike, fun: Callable[..., Any], *, args: tuple = (),
           workers: Any = None, chunksize: int | None = None,
           callback: Callable[[OptimizeResult], Any] | None = None, checkpoint_every: int = 1,
           max_iter: int | None = None, max_evals: int | None = None,
           constraints: Any = None, polish: bool | None = None) -> OptimizeResult:
    """Continue a run of :func:`minimize` or :func:`maximize` from its checkpoint file.

    The run goes on exactly as if it had never stopped: for the same objective, the result
    (``x``, ``fun``, ``history``) is bit-identical to an uninterrupted run's. The objective
    and where it runs are given again (functions are not saved), and so are the
    ``constraints`` of a constrained run (``polish`` as in :func:`minimize`: by default on
    with constraints and room in the budget; pass ``polish=False`` again if the run had it);
    whether it is vectorized,
    the failure policy and the timeout come from the checkpoint. ``max_iter`` and
    ``max_evals`` replace the run's budgets, to extend a run that has finished; under method
    ``"adaptive"`` with default restarts, a larger ``max_evals`` lets a converged run restart
    as a fresh run with that budget would. Checkpoints go on to ``path``.

    Raises :class:`ceopt.checkpoint.CheckpointError` (a ``ValueError``) for a truncated,
    damaged or incompatible file.

    Example
    -------
    >>> import numpy as np, ceopt, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "run.ckpt")
    >>> sphere = lambda X: (X**2).sum(axis=1)
    >>> full = ceopt.minimize(sphere, np.ones(3), vectorized=True, seed=1, max_iter=20)
    >>> part = ceopt.minimize(sphere, np.ones(3), vectorized=True, seed=1, max_iter=8,
    ...                       checkpoint=path)
    >>> rest = ceopt.resume(path, sphere, max_iter=20)
    >>> rest.fun == full.fun and rest.nit == 20
    True
    """
    state = load_checkpoint(path, remove_leftovers=True)
    try:
        if constraints is not None and not isinstance(constraints, Constraints):
            dim = distributions.from_state(state["solver"]["search"]["dist"]).dim
            constraints = Constraints(constraints, dim,
                                      vectorized=bool(state["evaluation"]["vectorized"]))
        solver = CrossEntropy.from_state(state["solver"], constraints)
    except KeyError as exc:
        raise CheckpointError(f"{path} lacks the field {exc.args[0]!r}, which this ceopt "
                              f"needs: was it written by another version?") from None
    except LookupError as exc:  # a family, schedule or handler this ceopt does not know
        raise CheckpointError(f"{path} names {exc.args[0]}") from None
    solver.clear_user_stop()  # a callback's stop ends that session only
    if max_iter is not None:
        solver.max_iter = integer("max_iter", max_iter, 1)
    space = None if state.get("space") is None else Space.from_state(state["space"])
    if polish is None:  # what the run decided, from the budget it had
        polish = polish_by_default(solver.constraints, solver.dist, solver.handler,
                                   solver.max_evals, reserved=True)
    if max_evals is not None:
        options = {"max_evals": max_evals}
        if flag("polish", polish):
            reserve_polish(solver.dist, solver.handler, None, options)
        solver.max_evals = integer("max_evals", options["max_evals"], 1)
    if space is not None:
        fun = Decoded(fun, space, bool(state["evaluation"]["vectorized"]))
    evaluator = Evaluator(fun, args=args, workers=workers, chunksize=chunksize,
                          **state["evaluation"])
    failures = state["failures"]
    evaluator.n_failed, evaluator.n_retried = failures["n_failed"], failures["n_retried"]
    evaluator.messages = list(failures["messages"])
    result = _drive(solver, evaluator, callback, path, checkpoint_every, saved_at=solver.nit,
                    space=space)
    if polish:
        finish = Evaluator(fun, args=args, **state["evaluation"])
        polish_result(result, solver, finish, solver.constraints, solver.handler)
    return result


def _drive(solver: CrossEntropy, evaluator: Evaluator, callback, path, every,
           saved_at: int | None, space: Space | None = None) -> OptimizeResult:
    """The loop: ask, evaluate, tell, checkpoint, call back, until a stopping test holds.

    ``saved_at`` is the iteration the checkpoint file holds (None: no file yet); ``space``
    decodes the results' points.
    """
    every = integer("checkpoint_every", every, 1)
    with evaluator:
        while not solver.stop():
            X = solver.ask()
            solver.tell(X, evaluator(X))
            if path is not None and solver.nit % every == 0:
                _save(path, solver, evaluator, space)
                saved_at = solver.nit
            if callback is not None:
                try:
                    stop = callback(_result(solver, evaluator, space))
                except StopIteration:
                    stop = True
                if stop:  # True, np.True_ or any truthy return stops; None goes on
                    solver.request_stop()
    if path is not None and saved_at != solver.nit:
        _save(path, solver, evaluator, space)  # the final state: resuming it returns at once
    return _result(solver, evaluator, space)


def _check_checkpoint(path, solver: CrossEntropy, space: Space | None) -> None:
    """Refuse a checkpoint that could not be written before any evaluation is spent."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"checkpoint {str(path)!r} exists: continue that run with "
                              f"ceopt.resume({str(path)!r}, fun), or delete the file")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"checkpoint {str(path)!r}: the folder {str(path.parent)!r} "
                                f"does not exist")
    # A part that cannot say how to save it, or options a checkpoint cannot hold.
    check_checkpoint({"solver": solver.state(),
                      "space": None if space is None else space.state()})


def _save(path, solver: CrossEntropy, evaluator: Evaluator, space: Space | None) -> None:
    save_checkpoint(path, {
        "solver": solver.state(),
        "space": None if space is None else space.state(),
        "evaluation": evaluator.policy,
        "failures": {"n_failed": evaluator.n_failed, "n_retried": evaluator.n_retried,
                     "messages": list(evaluator.messages)},
    })


def _result(solver: CrossEntropy, evaluator: Evaluator, space: Space | None) -> OptimizeResult:
    result = solver.result()
    if space is not None:
        result.space, result.x_encoded = space, result.x
        result.x = None if result.x is None else space.decode_point(result.x)
    result.nfail, result.failures = evaluator.n_failed, list(evaluator.messages)
    if evaluator.n_failed and not np.isfinite(result.fun):
        # Scored the worst, every point looks the same: that "converges", and means nothing.
        result.success = False
        result.message += f"; every evaluation failed ({evaluator.n_failed}, see failures)"
    return result

"""The loop every run goes through (ask, evaluate, tell, polish, checkpoint, call back), and
:func:`resume`, which picks a run up from its checkpoint file."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import OptimizeResult

from . import distributions
from ._checks import add_note, integer
from .checkpoint import CheckpointError, check_target
from .checkpoint import check as check_checkpoint
from .checkpoint import load as load_checkpoint
from .checkpoint import save as save_checkpoint
from .constraints import Constraints
from .cross_entropy import CrossEntropy
from .evaluation import Evaluator
from .improvement import Improvement
from .local_start import LocalStart
from .polish import LocalPhase, polish_method, reserve_polish
from .progress import Display, check_disp, outcome
from .space import Decoded, Space


def resume(path: str | os.PathLike, fun: Callable[..., Any], *, args: tuple = (),
           workers: Any = None, chunksize: int | None = None,
           callback: Callable[[OptimizeResult], Any] | None = None, checkpoint_every: int = 1,
           max_iter: int | None = None, max_evals: int | None = None,
           constraints: Any = None, polish: bool | None = None, disp: bool | int | None = None,
           verbose: bool | int | None = None) -> OptimizeResult:
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
    as a fresh run with that budget would. Checkpoints go on to ``path``. ``disp`` (or
    ``verbose``) shows the run as in :func:`ceopt.minimize`.

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
    disp = check_disp(disp, verbose)
    state = load_checkpoint(path, remove_leftovers=True)
    try:
        if constraints is not None and not isinstance(constraints, Constraints):
            dim = distributions.from_state(state["solver"]["search"]["dist"]).dim
            constraints = Constraints(constraints, dim,
                                      vectorized=bool(state["evaluation"]["vectorized"]),
                                      on_error=state["evaluation"]["on_error"])
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
    # Not given: what the run decided, from the budget it had.
    polish = polish_method(polish, solver.constraints, solver.dist, solver.handler,
                           solver.max_evals, reserved=True)
    if max_evals is not None:
        options = {"max_evals": max_evals}
        if polish is not None:
            reserve_polish(solver.dist, solver.handler, None, options)
        solver.max_evals = integer("max_evals", options["max_evals"], 1)
    if space is not None:
        fun = Decoded(fun, space, bool(state["evaluation"]["vectorized"]))
    evaluator = Evaluator(fun, args=args, workers=workers, chunksize=chunksize,
                          **state["evaluation"])
    failures = state["failures"]
    evaluator.n_failed, evaluator.n_retried = failures["n_failed"], failures["n_retried"]
    evaluator.messages = list(failures["messages"])
    phase = None if polish is None else LocalPhase(polish, solver.constraints, solver.handler,
                                                    solver.maximize)
    improve = state.get("improve")
    # A checkpoint written before improve_order existed tried its moves at random.
    improvement = None if improve is None else Improvement.parse(
        improve["moves"], improve["best"], solver.dist, improve.get("order", "random"))
    return drive(solver, evaluator, callback, path, checkpoint_every, saved_at=solver.nit,
                 space=space, phase=phase, improvement=improvement, disp=disp)


def drive(solver: CrossEntropy, evaluator: Evaluator, callback, path, every,
          saved_at: int | None, space: Space | None = None,
          phase: LocalPhase | None = None,
          improvement: Improvement | None = None, disp: int = 0,
          start: LocalStart | None = None) -> OptimizeResult:
    """A local method from the start point (``start``: a new run's), then the loop: ask,
    evaluate, improve (``improvement``), tell, polish (``phase``), checkpoint, show (``disp``,
    :mod:`ceopt.progress`), call back, until a stopping test holds; then the last polish.

    ``saved_at`` is the iteration the checkpoint file holds (None: no file yet); ``space``
    decodes the results' points. An exception that ends the run (the objective's, or an
    interrupt) leaves with the run's result so far in ``exc.ceopt_result``.
    """
    every = integer("checkpoint_every", every, 1)
    if solver.constraints is not None and evaluator.backend.needs_pickling:
        _check_picklable(solver.constraints)
    display = Display(disp, solver.max_evals) if disp else None
    with evaluator:
        try:
            if start is not None:
                start.run(solver, evaluator)
            while not solver.stop():
                _iterate(solver, evaluator, improvement)
                if phase is not None:
                    phase.after_tell(solver, evaluator)
                if path is not None and solver.nit % every == 0:
                    save(path, solver, evaluator, space, improvement)
                    saved_at = solver.nit
                if display is not None:
                    display.after_tell(solver)
                if callback is not None:
                    try:
                        stop = callback(result_of(solver, evaluator, space))
                    except StopIteration:
                        stop = True
                    if stop:  # True, np.True_ or any truthy return stops; None goes on
                        solver.request_stop()
            if path is not None and saved_at != solver.nit:
                # The final state: resuming it returns at once, after the same last polish
                # (the file holds the run before it, which a resumed run with a budget goes
                # on from).
                save(path, solver, evaluator, space, improvement)
            if phase is not None:
                phase.finish(solver, evaluator)
        except (Exception, KeyboardInterrupt) as exc:
            _keep_result(exc, solver, evaluator, space, path, saved_at)
            raise
        finally:
            if display is not None:
                display.close()
        result = result_of(solver, evaluator, space)
        if start is not None:
            result.message += f"; {start.describe()}"
        if phase is not None:
            result.message += f"; each local search polished by {phase.polish.method.upper()}"
        if display is not None:
            display.line(outcome(result))
    return result


def _iterate(solver: CrossEntropy, evaluator: Evaluator,
             improvement: Improvement | None) -> None:
    """One population: ask, evaluate (the constraints too, where the objective runs; the
    objective only where they hold, if asked), improve, tell."""
    X = solver.ask()
    seeds = solver.evaluation_seeds(X.shape[0])
    if solver.constraints is None:
        values, spent = evaluator(X, seeds), 0
        if improvement is not None:  # the best rows descend before the fit
            X, values, spent = improved(solver, evaluator, improvement, X, values)
        solver.tell(X, values, extra_nfev=spent)
        return
    checked = solver.check_constraints(X, evaluator.chunked)
    if solver.constraints_first:
        values = np.full(X.shape[0], np.nan)
        feasible = checked.feasible
        if feasible.any():
            values[feasible] = evaluator(X[feasible], None if seeds is None else seeds[feasible])
    else:
        values = evaluator(X, seeds)
    solver.tell(X, values, checked)


def _keep_result(exc: BaseException, solver: CrossEntropy, evaluator: Evaluator,
                 space: Space | None, path, saved_at: int | None) -> None:
    """Put the run so far on the exception that ends it (``exc.ceopt_result``), with a note
    saying where it is and how to go on from the checkpoint: nothing computed is lost."""
    if solver.best_x is None:  # nothing told yet: nothing to keep
        return
    try:
        exc.ceopt_result = result = result_of(solver, evaluator, space)
    except Exception:  # the exception's own story matters more than this one
        return
    text = (f"ceopt: the run so far is in exc.ceopt_result (best {result.fun:.6g} after "
            f"{result.nfev:,} evaluations)")
    if path is not None and saved_at is not None:
        text += (f"; the checkpoint {str(path)!r} holds it as of iteration {saved_at}: "
                 f"go on with ceopt.resume({str(path)!r}, fun)")
    add_note(exc, text)


def improved(solver: CrossEntropy, evaluator: Evaluator, improvement: Improvement,
             X: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The arguments of ``solver.tell`` for a population whose best rows ``improvement``
    has improved within the budget left (the population's own evaluations not counted yet)."""
    sign = -1.0 if solver.maximize else 1.0
    left = np.inf if solver.max_evals is None else solver.max_evals - solver.nfev - len(X)
    X, losses, spent = improvement(X, sign * values, lambda B: sign * evaluator(B), left,
                                   solver.rng, solver.n_elite, solver.dist,
                                   record=sign * solver.best_f)
    return X, sign * losses, spent


def _check_picklable(constraints: Constraints) -> None:
    """A clear error, before any evaluation, for constraints that cannot go to processes."""
    try:
        pickle.dumps(constraints)
    except Exception as exc:
        raise TypeError(f"the constraint functions must be picklable to run on worker "
                        f"processes, where the objective runs ({type(exc).__name__}: {exc}). "
                        f"Define them at module level (not lambdas or functions inside a "
                        f"function), or use threads or workers=None") from None


def check_path(path, solver: CrossEntropy, space: Space | None) -> None:
    """Refuse a checkpoint that could not be written before any evaluation is spent."""
    path = Path(path)
    check_target(path)
    if path.exists():
        raise FileExistsError(f"checkpoint {str(path)!r} exists: continue that run with "
                              f"ceopt.resume({str(path)!r}, fun), or delete the file")
    # A part that cannot say how to save it, or options a checkpoint cannot hold.
    check_checkpoint({"solver": solver.state(),
                      "space": None if space is None else space.state()})


def save(path, solver: CrossEntropy, evaluator: Evaluator, space: Space | None,
         improvement: Improvement | None = None) -> None:
    save_checkpoint(path, {
        "improve": None if improvement is None else {"moves": improvement.moves.name,
                                                     "best": improvement.best,
                                                     "order": improvement.order},
        "solver": solver.state(),
        "space": None if space is None else space.state(),
        "evaluation": evaluator.policy,
        "failures": {"n_failed": evaluator.n_failed, "n_retried": evaluator.n_retried,
                     "messages": list(evaluator.messages)},
    })


def result_of(solver: CrossEntropy, evaluator: Evaluator, space: Space | None) -> OptimizeResult:
    result = solver.result()
    if space is not None:
        result.space, result.x_encoded = space, result.x
        result.x = None if result.x is None else space.decode_point(result.x)
        if result.x_best_sample is not None:
            result.x_best_sample = space.decode_point(result.x_best_sample)
    result.nfail, result.failures = evaluator.n_failed, list(evaluator.messages)
    if solver.constraints is not None:  # points infeasible by a constraint's failure
        result.nfail += solver.constraints.n_failed
        result.failures += solver.constraints.messages
    if evaluator.n_failed and not np.isfinite(result.fun):
        # Scored the worst, every point looks the same: that "converges", and means nothing.
        result.success = False
        result.message += f"; every evaluation failed ({evaluator.n_failed}, see failures)"
    return result

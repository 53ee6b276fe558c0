"""Calling the user's objective on a population: where it runs, and what a failure does.

An :class:`Evaluator` splits the population into chunks, runs them on a backend from
:mod:`ceopt.workers` (this process, a process pool, an executor, a map-like callable) and puts
the values back in order. A **failure** is an exception raised by the objective, or a value
that is not a finite number (NaN, +inf or -inf). Two policies decide what a failure does,
``on_error`` for exceptions and ``on_nan`` for non-finite values, each one of:

- ``"raise"``: the run stops. An exception is the objective's own, re-raised with the
  offending point in ``exc.ceopt_x`` (and a note on Python >= 3.11); a non-finite value
  raises ``ValueError``;
- ``"worst"``: the point scores the worst possible value (+inf when minimising, -inf when
  maximising), counts as evaluated, and the run goes on;
- ``"retry"``: the point is evaluated again, up to ``retries`` times, then scored the worst.

The defaults differ on purpose. ``on_error="raise"``: an exception is a bug or a crash the
user wants to see. ``on_nan=None`` follows ``on_error`` when that is ``"worst"`` or
``"retry"``, and is ``"worst"`` otherwise: a NaN is mostly a value the objective cannot
compute at an extreme point (0/0 in a corner of the box), and raising there would lose the
best point of a run that may have found the optimum already. The first population in which
this default scores a point the worst gives one ``RuntimeWarning`` (one per run: later ones
are only counted); a policy chosen explicitly warns of nothing.

Failures that were scored the worst are counted, and the first few are described, in
``n_failed`` and ``messages`` (the results' ``nfail`` and ``failures``). A checkpoint keeps
the policy (:attr:`Evaluator.policy`); one written before ``on_nan`` existed resumes with
the meaning it had then, ``on_nan`` equal to its ``on_error`` (:mod:`ceopt.checkpoint`).

Mistakes in the objective's interface (returning None, a string or a bool, a vector where a
scalar is due, the wrong shape from a vectorized objective) are not failures: they raise at
once.
"""

from __future__ import annotations

import math
import numbers
import pickle
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._checks import add_note, integer
from .timeout import check_timeout, time_limit
from .workers import backend, check_picklable

ON_ERROR = ("raise", "worst", "retry")
ON_NAN = ON_ERROR
MAX_MESSAGES = 5  # failures described in a result; the rest are only counted


def _numbers(x: NDArray) -> str:
    """A point or population as failure messages print it."""
    return np.array2string(np.asarray(x), threshold=20, precision=6)


#: What a per-point objective that was written for the whole population hears.
VECTORIZED_HINT = "if fun takes the whole population (n, dim), pass vectorized=True"


def _is_number(v: Any) -> bool:
    """A real number that is not a bool (True is an int to Python, rarely a value meant)."""
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))




def _scalar(v: Any, x: NDArray) -> float:
    """The value a per-point objective returned at ``x``, as a float."""
    if isinstance(v, (float, int)) and not isinstance(v, bool):  # the usual case, first
        return float(v)
    if v is None:
        raise TypeError(f"the objective returned None at x = {x} (a missing return?)")
    a = np.asarray(v)
    if a.dtype.kind not in "iuf" and not (a.size == 1 and _is_number(a.item())):
        raise TypeError(f"the objective must return a number (an int or a float), got "
                        f"{type(v).__name__} {v!r:.60} at x = {_numbers(x)}: return "
                        f"float(...) of it if it stands for a number")
    if a.size != 1:
        hint = f": {VECTORIZED_HINT}" if a.shape == x.shape else ""
        raise ValueError(f"the objective must return a scalar, got shape {a.shape} at "
                         f"x = {x}{hint}")
    return float(a.item())


def _vector(values: Any, X: NDArray) -> NDArray[np.float64]:
    """The values a vectorized objective returned for the population ``X``, as floats.

    The type is checked on the dtype, so that a million values cost no Python loop; only an
    array of Python objects (a list holding None, say) is looked at value by value.
    """
    n = X.shape[0]
    values = np.asarray(values)
    if values.dtype.kind not in "iuf":
        flat = values.reshape(-1)
        bad = next((i for i, v in enumerate(flat) if not _is_number(v)), None)
        if bad is not None:
            row = bad if values.shape == (n,) else 0
            raise TypeError(f"a vectorized objective must return numbers (ints or floats), "
                            f"got an array of {values.dtype} holding {flat[bad]!r:.60} at "
                            f"row {row}, x = {_numbers(X[row])}: return .astype(float) of it "
                            f"if it stands for numbers")
    if values.shape != (n,):
        raise ValueError(f"a vectorized objective must return shape ({n},) for a population "
                         f"of {n}, got {values.shape}. It is called with the whole "
                         f"population, shape {X.shape} (vectorized=True): if it takes one "
                         f"point at a time, pass vectorized=False")
    return np.asarray(values, dtype=np.float64)


def _attach_point(exc: BaseException, x: NDArray, what: str, text: str | None = None) -> None:
    """Record the offending input on the user's own exception and re-raise that.

    The exception keeps its type (so ``except ZeroDivisionError`` still works); the input is in
    ``exc.ceopt_x`` and in a note (``text``, or the numbers of ``x``), which Python >= 3.11
    prints with the traceback.
    """
    exc.ceopt_x = np.array(x, copy=True)
    add_note(exc, f"ceopt: raised by the objective at {what} {text or _numbers(x)}")


def _portable(exc: Exception) -> Exception:
    """The exception itself if it survives the trip back from a worker, else a summary.

    Both ways: an exception whose ``__init__`` takes other arguments than it stores pickles
    but fails to unpickle, and that would break the pool in the parent.
    """
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _misread(exc: Exception | None) -> bool:
    """Whether an exception at a first point suggests an objective written for the whole
    population: ``X[:, 0]`` or ``X.sum(axis=1)`` on one point raise IndexError (numpy's
    AxisError is one)."""
    return isinstance(exc, IndexError)


def evaluate_rows(task: tuple) -> tuple[NDArray[np.float64], list[tuple[int, Exception]]]:
    """Run the objective on one chunk: ``task = (fun, X, seeds, args, vectorized, timeout,
    portable)``; ``seeds`` (None, or one per row) go before ``args``.

    Returns the values (NaN where the objective raised) and the ``(row, exception)`` failures.
    Runs in worker processes, so it is a module-level function and catches what it can send
    back instead of raising it (``portable``: made able to travel between processes).
    ``timeout`` is per point (a vectorized call gets it times its number of rows).
    """
    fun, X, seeds, args, vectorized, timeout, portable = task

    def failure(exc: Exception) -> Exception:
        return _portable(exc) if portable else exc

    view = X.view()
    view.flags.writeable = False  # the objective cannot change the samples the update fits
    n = X.shape[0]
    if vectorized:
        try:
            with time_limit(None if timeout is None else timeout * n):
                values = fun(view, *args) if seeds is None else fun(view, seeds, *args)
        except Exception as exc:
            exc = failure(exc)
            return np.full(n, np.nan), [(i, exc) for i in range(n)]
        return _vector(values, X), []
    values = np.full(n, np.nan)
    errors = []
    for i in range(n):
        try:
            with time_limit(timeout):
                v = (fun(view[i], *args) if seeds is None
                     else fun(view[i], int(seeds[i]), *args))
        except Exception as exc:
            errors.append((i, failure(exc)))
            continue
        values[i] = _scalar(v, X[i])
    return values, errors


class Evaluator:
    """Objective values of populations, on a backend, under a failure policy.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``, or with ``vectorized=True`` ``fun(X, *args) -> (n,)``.
    workers : None, int, Executor or map-like callable
        Where to evaluate (see :mod:`ceopt.workers`); the objective must be picklable for
        processes.
    chunksize : int, optional
        Points per task. Default: the population split evenly over the workers (one task
        each, the least overhead for a cheap objective), one point per task for a map-like
        callable (which chunks itself), and the whole population in this process.
    on_error, on_nan, retries :
        The failure policy (see the module's docstring): ``on_error`` for exceptions,
        ``on_nan`` for NaN and infinite values (None: as ``on_error`` when that is
        ``"worst"`` or ``"retry"``, else ``"worst"``, with one warning); ``retries``
        applies to ``"retry"``.
    timeout : float, optional
        Seconds one point may take; a longer evaluation is interrupted with
        :class:`ceopt.timeout.EvaluationTimeout`, a failure. POSIX only, and only where
        evaluations run in a process's main thread: this process or a process pool (not
        threads, not Dask).
    worst : float
        The value a failed point scores: +inf when minimising, -inf when maximising.

    Example
    -------
    >>> import numpy as np
    >>> ev = Evaluator(lambda x: 1 / float(x[0]), on_error="worst")
    >>> ev(np.array([[2.0], [0.0]]))
    array([0.5, inf])
    >>> ev.n_failed, ev.messages
    (1, ['ZeroDivisionError: float division by zero at x = [0.]'])
    """

    def __init__(self, fun: Callable, *, vectorized: bool = False, args: tuple = (),
                 workers: Any = None, chunksize: int | None = None, on_error: str = "raise",
                 on_nan: str | None = None, retries: int = 2, worst: float = math.inf,
                 timeout: float | None = None):
        if not callable(fun):
            raise TypeError("fun must be callable")
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")
        if on_nan is not None and on_nan not in ON_NAN:
            raise ValueError(f"on_nan must be None (the default) or one of {ON_NAN}, got "
                             f"{on_nan!r}")
        self.fun, self.vectorized, self.args = fun, bool(vectorized), tuple(args)
        self.on_error, self.worst = on_error, float(worst)
        self._on_nan_given = on_nan  # what a checkpoint keeps: None stays the default
        #: The policy for NaN and infinite values, resolved.
        self.on_nan = on_nan or (on_error if on_error != "raise" else "worst")
        # Only the default tells the user what it did, once: a policy asked for is known.
        self._warn_nan = on_nan is None and on_error == "raise"
        self._answered = False  # whether any point has returned a value (or NaN) yet
        self.retries = integer("retries", retries, 0)
        self.chunksize = None if chunksize is None else integer("chunksize", chunksize, 1)
        self.backend = backend(workers)
        if self.backend.needs_pickling:
            check_picklable(fun, self.args, "worker processes")
        self.timeout = None if timeout is None else check_timeout(timeout, self.backend)
        self.n_failed = 0  # points scored the worst
        self.n_retried = 0  # evaluations repeated under "retry"
        self.messages: list[str] = []

    @property
    def policy(self) -> dict[str, Any]:
        """How points are evaluated and failures handled, wherever they run: what a
        checkpoint keeps, as keyword arguments of this class."""
        return dict(vectorized=self.vectorized, on_error=self.on_error,
                    on_nan=self._on_nan_given, retries=self.retries, worst=self.worst,
                    timeout=self.timeout)

    def __call__(self, X: NDArray, seeds: NDArray | None = None) -> NDArray[np.float64]:
        """Values of the rows of ``X``, shape ``(n,)``, with failures handled by the policy;
        ``seeds``, one per row, are passed to the objective after the point (``fun(x, seed,
        *args)``; a retry uses the same seed). Integer points (permutations, categories) keep
        their integer type, so that they can index; others are float."""
        X = np.asarray(X)
        if X.dtype.kind not in "iu":
            X = X.astype(np.float64)
        values, errors = self._run(X, seeds)
        self._answered = self._answered or len(errors) < X.shape[0]
        # Every point so far raised: perhaps an objective written for the whole population.
        hint = not (self._answered or self.vectorized)
        failed = self._failures(values, errors, np.arange(X.shape[0]))
        self._raise_first(failed, X, values, hint)
        for _ in range(self.retries):
            retried = [i for i, exc in failed.items() if self._policy(exc) == "retry"]
            if not retried:
                break
            rows = np.array(retried, dtype=np.intp)
            self.n_retried += rows.size
            again, again_errors = self._run(X[rows], None if seeds is None else seeds[rows])
            values[rows] = again
            for i in retried:
                del failed[i]
            failed = dict(sorted({**failed, **self._failures(values, again_errors, rows)}.items()))
            self._raise_first(failed, X, values, hint)
        non_finite = [i for i, exc in failed.items() if exc is None]
        if non_finite and self._warn_nan:
            self._warn_nan = False
            first = non_finite[0]
            warnings.warn(
                f"the objective returned {values[first]} at x = {self._point(X[first])}, and "
                f"NaN or infinite values at {len(non_finite)} of the {X.shape[0]} points of "
                f"this population: on_nan's default scores them the worst and goes on. This "
                f"warning is given once per run, and the result's nfail counts them all; "
                f"pass on_nan='raise' to stop at the first, or on_nan='worst' to silence it",
                RuntimeWarning, stacklevel=2)
        for i, exc in failed.items():
            if len(self.messages) < MAX_MESSAGES:
                what = f"returned {values[i]}" if exc is None else f"{type(exc).__name__}: {exc}"
                advice = f" ({VECTORIZED_HINT})" if hint and _misread(exc) else ""
                self.messages.append(f"{what} at x = {self._point(X[i])}{advice}")
            values[i] = self.worst
            self.n_failed += 1
        return values

    def _policy(self, exc: Exception | None) -> str:
        """What a failure does: ``on_error`` for an exception, ``on_nan`` for a value."""
        return self.on_nan if exc is None else self.on_error

    def _raise_first(self, failed: dict[int, Exception | None], X: NDArray, values: NDArray,
                     hint: bool) -> None:
        """Raise for the first failed row whose policy is "raise", if any."""
        for i, exc in failed.items():
            if self._policy(exc) == "raise":
                self._raise(exc, X, i, values[i], hint)

    def _chunks(self, n: int) -> tuple[range, int]:
        """Where the chunks of ``n`` rows start, and their size (``chunksize``, else one
        chunk per worker)."""
        size = self.chunksize
        if size is None:
            workers = self.backend.size
            size = 1 if workers is None else math.ceil(n / workers)
        size = max(size, 1)
        return range(0, n, size), size

    def chunked(self, fn: Callable[[NDArray], Any], X: NDArray) -> list:
        """``fn`` on the chunks of the rows of ``X``, on the backend the objective runs on,
        the results in order (a run's constraints: ``ceopt.constraints``)."""
        starts, size = self._chunks(X.shape[0])
        return self.backend.map(fn, [X[s:s + size] for s in starts])

    def _run(self, X: NDArray, seeds: NDArray | None
             ) -> tuple[NDArray, list[tuple[int, Exception]]]:
        """Evaluate on the backend, chunk by chunk; rows of errors are rows of X."""
        n = X.shape[0]
        starts, size = self._chunks(n)
        portable = not self.backend.in_process
        tasks = [(self.fun, X[s:s + size], None if seeds is None else seeds[s:s + size],
                  self.args, self.vectorized, self.timeout, portable) for s in starts]
        values, errors = np.empty(n), []
        for s, (v, errs) in zip(starts, self.backend.map(evaluate_rows, tasks), strict=True):
            values[s:s + v.size] = v
            errors += [(s + i, exc) for i, exc in errs]
        return values, errors

    @staticmethod
    def _failures(values: NDArray, errors: list, rows: NDArray) -> dict[int, Exception | None]:
        """Failed rows among ``rows``: their exception, or None for a non-finite value.

        ``errors`` index the rows of the chunk just run, which were ``rows`` of the population.
        """
        failed: dict[int, Exception | None] = {int(rows[i]): exc for i, exc in errors}
        for r in rows[~np.isfinite(values[rows])]:
            failed.setdefault(int(r), None)
        return dict(sorted(failed.items()))

    def _point(self, x: NDArray) -> str:
        """A point as the user's objective saw it: the objective's own ``describe(x)`` when it
        has one (a space's decoded values), else the numbers."""
        describe = getattr(self.fun, "describe", None)
        return describe(x) if describe else _numbers(x)

    def _raise(self, exc: Exception | None, X: NDArray, i: int, value: float, hint: bool):
        if exc is None:
            raise ValueError(
                f"the objective returned {value} at x = {self._point(X[i])}, a non-finite "
                f"value, and on_nan='raise' stops the run there: leave on_nan out (or pass "
                f"'worst') to score such points the worst and go on")
        if self.vectorized:
            _attach_point(exc, X, "the population")
        else:
            _attach_point(exc, X[i], "x =", self._point(X[i]))
            if hint and _misread(exc):
                add_note(exc, f"ceopt: {VECTORIZED_HINT}")
        raise exc

    def close(self) -> None:
        """Shut down the process pool ceopt started, if any."""
        self.backend.close()

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


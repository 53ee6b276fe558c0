"""Calling the user's objective on a population, with errors that say where they happened."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray


def _attach_point(exc: BaseException, x: NDArray, what: str) -> None:
    """Record the offending input on the user's own exception and re-raise that.

    The exception keeps its type (so ``except ZeroDivisionError`` still works); the input is in
    ``exc.ceopt_x`` and, on Python >= 3.11, in a note printed with the traceback.
    """
    exc.ceopt_x = np.array(x, copy=True)
    if hasattr(exc, "add_note"):
        exc.add_note(f"ceopt: raised by the objective at {what} "
                     f"{np.array2string(np.asarray(x), threshold=20, precision=6)}")


def evaluate(fun: Callable, X: NDArray, *, vectorized: bool = False,
             args: tuple = ()) -> NDArray[np.float64]:
    """Objective values of the rows of ``X`` as a float array ``(n,)``.

    ``vectorized=False`` calls ``fun(x, *args)`` once per row (the objective is the only
    per-sample Python code in the loop); ``vectorized=True`` calls ``fun(X, *args)`` once. The
    objective sees a read-only view so that it cannot change the samples the update will fit.
    """
    view = X.view()
    view.flags.writeable = False
    n = X.shape[0]
    if vectorized:
        try:
            values = fun(view, *args)
        except Exception as exc:
            _attach_point(exc, X, "the population")
            raise
        values = np.asarray(values, dtype=np.float64)
        if values.shape != (n,):
            raise ValueError(f"a vectorized objective must return shape ({n},) for a population "
                             f"of {n}, got {values.shape}")
        return values
    values = np.empty(n)
    for i in range(n):
        try:
            v = fun(view[i], *args)
        except Exception as exc:
            _attach_point(exc, X[i], "x =")
            raise
        if v is None:
            raise TypeError(f"the objective returned None at x = {X[i]} (a missing return?)")
        v = np.asarray(v, dtype=np.float64)
        if v.size != 1:
            raise ValueError(f"the objective must return a scalar, got shape {v.shape} at "
                             f"x = {X[i]} (pass vectorized=True for a population objective)")
        values[i] = v.item()
    return values

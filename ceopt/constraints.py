"""Constraints as scipy users write them, turned into one violation per sample.

``minimize(..., constraints=...)`` takes what ``scipy.optimize.minimize`` takes: a
``scipy.optimize.NonlinearConstraint`` (``lb <= fun(x) <= ub``), a ``LinearConstraint``
(``lb <= A @ x <= ub``), or the dict form ``{"type": "ineq" | "eq", "fun": f, "args": ()}``
(scipy's convention: ``ineq`` means ``f(x) >= 0``, ``eq`` means ``f(x) == 0``), one of them or
a list. :class:`Constraints` evaluates them on a population and measures how far each sample
is from satisfying them:

    violation(x) = sum_i max(lb_i - c_i(x), 0) + max(c_i(x) - ub_i, 0)

over every component ``c_i`` of every constraint. A sample is feasible when its violation is 0.
An equality (``lb_i == ub_i``) holds within :data:`EQUALITY_TOL`: ``|c_i(x) - lb_i| <= tol``
counts as satisfied, since a sampled point never meets it exactly.

With ``vectorized=True`` a constraint function is called once with the whole population
``X`` of shape ``(n, d)`` (rows are points, as ceopt's objectives get them) and returns ``n``
values or an ``(n, m)`` array; otherwise it is called with each point and returns a number or
``m`` numbers.

A run ranks its population by Deb's feasibility rules and keeps the best point by the same
rules (:mod:`ceopt.feasibility`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import LinearConstraint, NonlinearConstraint

# What a failing constraint does, as for the objective; "retry" is "worst" here (constraints
# are not evaluated again).
from .evaluation import MAX_MESSAGES, ON_ERROR

#: An equality constraint holds when its value is within this of its target.
EQUALITY_TOL = 1e-6

ConstraintSpec = NonlinearConstraint | LinearConstraint | Mapping[str, Any]


@dataclass(frozen=True)
class _Bound:
    """One constraint: how to compute its values on a population, and their bounds."""

    label: str  # how errors name it: "constraints[1]"
    values: Callable[[NDArray], tuple]  # (n, d) -> (n, m) values, and what raised, by row
    lb: NDArray
    ub: NDArray


class Constraints:
    """The constraints of a run, in ``dim`` variables (module docstring)."""

    def __init__(self, constraints: ConstraintSpec | Sequence[ConstraintSpec], dim: int, *,
                 vectorized: bool = False, on_error: str = "raise"):
        if isinstance(constraints, (NonlinearConstraint, LinearConstraint, Mapping)):
            constraints = [constraints]
        elif not isinstance(constraints, Sequence) or isinstance(constraints, (str, bytes)):
            raise TypeError(f"constraints must be a NonlinearConstraint, a LinearConstraint, "
                            f"a dict or a list of them, got {type(constraints).__name__}")
        self.dim = dim
        self.vectorized = vectorized
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")
        #: "raise": a constraint that fails (an exception or NaN) raises, naming it; else the
        #: point is infeasible (violation inf), counted in ``n_failed`` and described in
        #: ``messages`` (the first few).
        self.on_error = on_error
        self.n_failed = 0
        self.messages: list[str] = []
        self._widths: list[int] | None = None  # each constraint's columns, once evaluated
        self._bounds = [self._parse(c, f"constraints[{i}]") for i, c in enumerate(constraints)]
        if not self._bounds:
            raise ValueError("constraints is an empty list: leave it out, or give one")

    def _parse(self, spec: Any, label: str) -> _Bound:
        if isinstance(spec, LinearConstraint):
            A = np.atleast_2d(np.asarray(spec.A, dtype=np.float64))
            if A.shape[1] != self.dim:
                raise ValueError(f"{label}: LinearConstraint A has {A.shape[1]} columns, but "
                                 f"x has {self.dim} coordinates")
            return self._bound(label, _Linear(A), spec.lb, spec.ub, A.shape[0])
        if isinstance(spec, NonlinearConstraint):
            return self._bound(label, self._caller(spec.fun, (), label), spec.lb, spec.ub)
        if isinstance(spec, Mapping):
            unknown = set(spec) - {"type", "fun", "args", "jac"}
            if unknown:
                raise ValueError(f"{label}: unknown keys {sorted(unknown)}; a constraint dict "
                                 f"has 'type', 'fun' and optionally 'args'")
            kind = spec.get("type")
            if kind not in ("ineq", "eq"):
                raise ValueError(f"{label}: 'type' must be 'ineq' (fun(x) >= 0) or 'eq' "
                                 f"(fun(x) == 0), got {kind!r}")
            if not callable(spec.get("fun")):
                raise TypeError(f"{label}: 'fun' must be a function of x, got "
                                f"{spec.get('fun')!r}")
            args = spec.get("args", ())
            args = args if isinstance(args, tuple) else (args,)
            ub = 0.0 if kind == "eq" else np.inf
            return self._bound(label, self._caller(spec["fun"], args, label), 0.0, ub)
        raise TypeError(f"{label} is {type(spec).__name__}; give a "
                        f"scipy.optimize.NonlinearConstraint, a LinearConstraint or a dict "
                        f"{{'type': 'ineq', 'fun': f}}")

    def _bound(self, label: str, values: Callable, lb: Any, ub: Any,
               m: int | None = None) -> _Bound:
        lb = np.atleast_1d(np.asarray(lb, dtype=np.float64))
        ub = np.atleast_1d(np.asarray(ub, dtype=np.float64))
        if lb.ndim != 1 or ub.ndim != 1:
            raise ValueError(f"{label}: lb and ub must be numbers or 1-d arrays")
        try:
            shape = np.broadcast_shapes(lb.shape, ub.shape)
        except ValueError:
            raise ValueError(f"{label}: lb has {lb.size} entries and ub {ub.size}") from None
        if m is not None and shape[0] not in (1, m):
            raise ValueError(f"{label}: lb and ub must have 1 or {m} entries (one per row of "
                             f"A), got {lb.size} and {ub.size}")
        if np.any(np.isnan(lb)) or np.any(np.isnan(ub)):
            raise ValueError(f"{label}: lb and ub must not be NaN (use -inf or inf for no bound)")
        lb, ub = np.broadcast_to(lb, shape), np.broadcast_to(ub, shape)
        bad = np.flatnonzero(lb > ub)
        if bad.size:
            j = bad[0]
            raise ValueError(f"{label}: lb[{j}] = {lb[j]} > ub[{j}] = {ub[j]}; no point can "
                             f"satisfy it")
        return _Bound(label, values, lb, ub)

    def _caller(self, fun: Callable, args: tuple, label: str) -> _Caller:
        if not callable(fun):
            raise TypeError(f"{label}: fun must be callable, got {fun!r}")
        return _Caller(fun, args, label, self.vectorized, guarded=self.on_error != "raise")

    def _note_failure(self, message: str) -> None:
        self.n_failed += 1
        if len(self.messages) < MAX_MESSAGES:
            self.messages.append(message)

    # -- on a population ---------------------------------------------------------------------
    def evaluate(self, X: NDArray, chunks: Callable | None = None) -> ConstraintValues:
        """Every constraint on the rows of ``X``: their values side by side, with the bounds
        of each column. ``chunks(fn, X)``, if given, runs ``fn`` on chunks of the rows where
        the objective's run (workers) and returns the results in order."""
        X = np.asarray(X, dtype=np.float64)
        if chunks is None:
            columns, errors = self.raw(X)
        else:
            parts = chunks(self.raw, X)
            columns = [np.vstack(cs) for cs in zip(*(c for c, _ in parts), strict=True)]
            errors, start = {}, 0
            for part_columns, raised in parts:
                errors.update({start + i: message for i, message in raised.items()})
                start += part_columns[0].shape[0]
        return self._checked(columns, X, errors)

    def raw(self, X: NDArray) -> tuple[list[NDArray], dict[int, str]]:
        """Each constraint's values at the rows of ``X``, ``(n, m_i)``, shape-checked, NaN
        where a call raised under a lenient ``on_error``; and what those calls raised, by row
        (what a worker sends back)."""
        n = X.shape[0]
        columns, errors = [], {}
        for bound in self._bounds:
            try:
                C, raised = bound.values(X)
            except (TypeError, ValueError, IndexError) as exc:  # no numbers, or the wrong x
                hint = "" if self.vectorized else (" (it is called with one point x of shape "
                                                   f"({self.dim},); if it takes the whole "
                                                   "population, pass vectorized=True)")
                raise ValueError(f"{bound.label}: {type(exc).__name__}: {exc}{hint}") from exc
            for row, message in raised.items():
                errors.setdefault(row, message)
            if C.shape == (n,):
                C = C[:, None]
            width = bound.lb.size
            if C.ndim != 2 or C.shape[0] != n or (width > 1 and C.shape[1] != width):
                how = "X of shape (n, d)" if self.vectorized else "each point x"
                want = f"({n},) or ({n}, m)" if self.vectorized else "a number or m numbers"
                got = C.shape if self.vectorized else C.shape[1:]
                hint = "" if self.vectorized else ("; if it takes the whole population, pass "
                                                   "vectorized=True")
                raise ValueError(f"{bound.label}: called with {how}, it must return {want} "
                                 f"(m = {width} from its bounds), got shape {got}{hint}")
            columns.append(C)
        return columns, errors

    def told(self, C: Any, X: NDArray) -> ConstraintValues:
        """The values of every constraint at the rows of ``X`` as the caller computed them
        (``tell``'s ``constraint_values``): ``(n, m)``, the constraints' components side by
        side in the order they were given (or :meth:`evaluate`'s result, as it is)."""
        if isinstance(C, ConstraintValues):
            return C
        n = X.shape[0]
        C = np.asarray(C, dtype=np.float64)
        if C.shape == (n,):
            C = C[:, None]
        widths = [bound.lb.size for bound in self._bounds]
        if widths == [1] and C.ndim == 2:
            widths = [C.shape[1]]  # one constraint, one bound: it applies to every column
        if C.ndim != 2 or C.shape != (n, sum(widths)):
            raise ValueError(f"constraint_values must have shape ({n}, {sum(widths)}): a row "
                             f"per point, a column per constraint component (from their "
                             f"bounds); got {C.shape}")
        return self._checked(np.split(C, np.cumsum(widths)[:-1], axis=1), X)

    def labels(self, m: int) -> list[str] | None:
        """The name of the constraint behind each of the ``m`` columns of its values (None
        before they were first evaluated, or for another ``m``)."""
        if self._widths is None or sum(self._widths) != m:
            return None
        return [b.label for b, w in zip(self._bounds, self._widths, strict=True)
                for _ in range(w)]

    def _checked(self, columns: list[NDArray], X: NDArray,
                 errors: dict[int, str] | None = None) -> ConstraintValues:
        """Each constraint's columns, checked for NaN (a failure: what raised, from
        ``errors``, by row), side by side with their bounds."""
        self._widths = [C.shape[1] for C in columns]
        errors = errors or {}
        noted = set()
        for bound, C in zip(self._bounds, columns, strict=True):
            failed = np.flatnonzero(np.isnan(C).any(axis=1))
            if failed.size and self.on_error == "raise":
                raise ValueError(f"{bound.label} is NaN at the point {X[failed[0]].tolist()} "
                                 f"(on_error='worst' makes such a point infeasible instead)")
            for row in failed:
                if row not in noted:
                    noted.add(row)
                    self._note_failure(errors.get(row, f"{bound.label} is NaN") +
                                       f" at x = {X[row].tolist()}")
        lb = np.concatenate([np.broadcast_to(b.lb, (C.shape[1],))
                             for b, C in zip(self._bounds, columns, strict=True)])
        ub = np.concatenate([np.broadcast_to(b.ub, (C.shape[1],))
                             for b, C in zip(self._bounds, columns, strict=True)])
        return ConstraintValues(np.hstack(columns), lb, ub)


@dataclass(frozen=True)
class ConstraintValues:
    """The constraints' values on a population, ``(n, m)``, and each column's bounds."""

    values: NDArray[np.float64]
    lb: NDArray[np.float64]
    ub: NDArray[np.float64]

    @property
    def outside(self) -> NDArray[np.float64]:
        """Every component's distance outside its bounds, ``(n, m)``: 0 where it holds
        (an equality within :data:`EQUALITY_TOL`)."""
        equality = self.lb == self.ub
        below = np.where(equality, self.lb - EQUALITY_TOL, self.lb) - self.values
        above = self.values - np.where(equality, self.ub + EQUALITY_TOL, self.ub)
        return np.maximum(below, 0.0) + np.maximum(above, 0.0)

    @property
    def violation(self) -> NDArray[np.float64]:
        """How far each sample is from feasible: the sum of its components' distances
        outside their bounds, 0 when feasible; inf where a value is NaN (a failure)."""
        return np.nan_to_num(self.outside.sum(axis=1), nan=np.inf)

    @property
    def feasible(self) -> NDArray[np.bool_]:
        return self.violation == 0


class _Linear:
    """A ``LinearConstraint``'s values, ``X @ A.T``, and nothing raised (a class, so that it
    pickles)."""

    def __init__(self, A: NDArray):
        self.A = A

    def __call__(self, X: NDArray) -> tuple[NDArray, dict[int, str]]:
        return X @ self.A.T, {}


class _Caller:
    """A constraint function as a function of the population: one call, or one per row
    (``guarded``: a row whose call raises is NaN, and what it raised is kept). A class, so
    that it pickles when the function does (workers)."""

    def __init__(self, fun: Callable, args: tuple, label: str, vectorized: bool,
                 guarded: bool):
        self.fun, self.args, self.label = fun, args, label
        self.vectorized, self.guarded = vectorized, guarded

    def __call__(self, X: NDArray) -> tuple[NDArray, dict[int, str]]:
        if self.vectorized:
            return np.asarray(self.fun(X, *self.args), dtype=np.float64), {}
        if not self.guarded:
            return np.array([np.asarray(self.fun(x, *self.args), dtype=np.float64)
                             for x in X]), {}
        rows, raised = [], {}
        for i, x in enumerate(X):
            try:
                rows.append(np.asarray(self.fun(x, *self.args), dtype=np.float64))
            except Exception as exc:
                rows.append(None)
                raised[i] = f"{self.label} raised {type(exc).__name__}: {exc}"
        done = next((r for r in rows if r is not None), np.float64(np.nan))
        return np.array([np.full_like(done, np.nan) if r is None else r for r in rows]), raised

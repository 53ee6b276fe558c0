"""Constraints as scipy users write them, turned into one violation per sample.

``minimize(..., constraints=...)`` will take what ``scipy.optimize.minimize`` takes: a
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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import LinearConstraint, NonlinearConstraint

#: An equality constraint holds when its value is within this of its target.
EQUALITY_TOL = 1e-6

ConstraintSpec = NonlinearConstraint | LinearConstraint | Mapping[str, Any]


@dataclass(frozen=True)
class _Bound:
    """One constraint: how to compute its values on a population, and their bounds."""

    label: str  # how errors name it: "constraints[1]"
    values: Callable[[NDArray], NDArray]  # (n, d) -> (n, m)
    lb: NDArray
    ub: NDArray


class Constraints:
    """The constraints of a run, in ``dim`` variables (module docstring)."""

    def __init__(self, constraints: ConstraintSpec | Sequence[ConstraintSpec], dim: int, *,
                 vectorized: bool = False):
        if isinstance(constraints, (NonlinearConstraint, LinearConstraint, Mapping)):
            constraints = [constraints]
        elif not isinstance(constraints, Sequence) or isinstance(constraints, (str, bytes)):
            raise TypeError(f"constraints must be a NonlinearConstraint, a LinearConstraint, "
                            f"a dict or a list of them, got {type(constraints).__name__}")
        self.dim = dim
        self.vectorized = vectorized
        self._bounds = [self._parse(c, f"constraints[{i}]") for i, c in enumerate(constraints)]
        if not self._bounds:
            raise ValueError("constraints is an empty list: leave it out, or give one")

    def _parse(self, spec: Any, label: str) -> _Bound:
        if isinstance(spec, LinearConstraint):
            A = np.atleast_2d(np.asarray(spec.A, dtype=np.float64))
            if A.shape[1] != self.dim:
                raise ValueError(f"{label}: LinearConstraint A has {A.shape[1]} columns, but "
                                 f"x has {self.dim} coordinates")
            return self._bound(label, lambda X: X @ A.T, spec.lb, spec.ub, A.shape[0])
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

    def _caller(self, fun: Callable, args: tuple, label: str) -> Callable[[NDArray], NDArray]:
        """``fun`` as a function of the population: one call, or one per row."""
        if not callable(fun):
            raise TypeError(f"{label}: fun must be callable, got {fun!r}")

        def values(X: NDArray) -> NDArray:
            if self.vectorized:
                return np.asarray(fun(X, *args), dtype=np.float64)
            return np.array([np.asarray(fun(x, *args), dtype=np.float64) for x in X])
        return values

    # -- on a population ---------------------------------------------------------------------
    def evaluate(self, X: NDArray) -> ConstraintValues:
        """Every constraint on the rows of ``X``: their values side by side, with the bounds
        of each column."""
        X = np.asarray(X, dtype=np.float64)
        n = X.shape[0]
        columns, lbs, ubs = [], [], []
        for bound in self._bounds:
            try:
                C = bound.values(X)
            except (TypeError, ValueError, IndexError) as exc:  # no numbers, or the wrong x
                hint = "" if self.vectorized else (" (it is called with one point x of shape "
                                                   f"({self.dim},); if it takes the whole "
                                                   "population, pass vectorized=True)")
                raise ValueError(f"{bound.label}: {type(exc).__name__}: {exc}{hint}") from exc
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
            if np.any(np.isnan(C)):
                row = int(np.flatnonzero(np.isnan(C).any(axis=1))[0])
                raise ValueError(f"{bound.label} is NaN at the point {X[row].tolist()}")
            columns.append(C)
            lbs.append(np.broadcast_to(bound.lb, (C.shape[1],)))
            ubs.append(np.broadcast_to(bound.ub, (C.shape[1],)))
        return ConstraintValues(np.hstack(columns), np.concatenate(lbs), np.concatenate(ubs))

    def __len__(self) -> int:
        return len(self._bounds)


@dataclass(frozen=True)
class ConstraintValues:
    """The constraints' values on a population, ``(n, m)``, and each column's bounds."""

    values: NDArray[np.float64]
    lb: NDArray[np.float64]
    ub: NDArray[np.float64]

    @property
    def violation(self) -> NDArray[np.float64]:
        """How far each sample is from feasible: the sum of every component's distance
        outside its bounds, 0 when feasible (equalities within :data:`EQUALITY_TOL`)."""
        equality = self.lb == self.ub
        below = np.where(equality, self.lb - EQUALITY_TOL, self.lb) - self.values
        above = self.values - np.where(equality, self.ub + EQUALITY_TOL, self.ub)
        return (np.maximum(below, 0.0) + np.maximum(above, 0.0)).sum(axis=1)

    @property
    def feasible(self) -> NDArray[np.bool_]:
        return self.violation == 0

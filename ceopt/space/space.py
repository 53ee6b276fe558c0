"""A search space of named (a dict) or positional (a list) variables, and its encoding.

The search works on a real vector, the *encoding*: one column per real or integer variable
(in their order), then one column per choice, holding the option's index, then ``k``
columns per ordering of ``k`` items, holding a permutation of their indices. The space makes
what a run of the encoding needs:

- the initial distribution: a Gaussian over the real and integer columns, centred in their
  box and 0.3 of its width wide (full covariance up to 100 of them), beside a
  :class:`~ceopt.Categorical` over the choices, uniform, and a uniform node-transition
  model per ordering: a :class:`~ceopt.distributions.Product` when there are several;
- the boundary handler: a :class:`~ceopt.handlers.Box` over the encoding that rounds the
  integer columns (and holds the choices' indices in range);
- the floors that keep a search from settling too early: the integer columns' margin
  (:func:`~ceopt.space.variables.integer_margin`; in a run without a budget) and a floor on
  each option's probability, :func:`choice_floor`;

and decodes: :meth:`Space.decode_point` turns one encoded row into the values ``fun`` is
called with (a dict or a list), :meth:`Space.decode` a population into columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..distributions import Categorical, DiagGaussian, Distribution, Gaussian, NodeTransition
from ..distributions.product import Product
from ..handlers import Box
from ..updates import default_popsize
from . import variables
from .variables import Choice, Integer, Ordering, Real, Variable, integer_margin, with_margin

#: Largest number of real and integer variables whose Gaussian has a full covariance (as
#: ``ceopt.optimize.FULL_MAX_DIM`` for plain vectors).
FULL_MAX_DIM = 100
#: Initial standard deviation of a real or integer column: this fraction of its box.
BOX_SPREAD = 0.3


#: The most probability the floors of one choice hold together (``k`` times the floor).
CHOICE_FLOOR_MASS = 0.05


def choice_floor(dim: int, popsize: int, k: int) -> float:
    """Each option's least probability: ``1 / (dim * popsize)``, the integer margin's rate,
    so that about one option other than the favourite is tried per population; at most
    ``CHOICE_FLOOR_MASS / k``. A draw away from the favourite nearly always loses, and the
    Gaussian block is fitted to the same elites: under the former cap, a quarter of uniform,
    a choice of 20 options put 42 % of each population on random options at d = 5, which
    left the reals hardly selected and stalled short of the optimum (categorical benchmark,
    d = 5, 1000·d, k = 20: .23 of the targets under the old cap, .39 under this one;
    k = 3 unchanged at .60)."""
    return min(1.0 / (dim * popsize), CHOICE_FLOOR_MASS / k)


class Space:
    """Variables by name (``{"lr": Real(1e-4, 1, log=True), ...}``) or by position
    (``[Real(0, 1), Choice("abc")]``)."""

    def __init__(self, spec: Mapping[str, Variable] | Sequence[Variable]):
        if isinstance(spec, Space):
            spec = spec.spec
        if isinstance(spec, Mapping):
            names = list(spec)
            for name in names:
                if not isinstance(name, str):
                    raise TypeError(f"space: variable names must be strings, got {name!r}")
            items = list(spec.values())
        elif isinstance(spec, Sequence) and not isinstance(spec, (str, bytes)):
            names, items = None, list(spec)
        else:
            raise TypeError(f"space must be a dict of name: variable or a list of variables, "
                            f"got {type(spec).__name__}")
        if not items:
            raise ValueError("space is empty: give at least one variable")
        for i, item in enumerate(items):
            if not isinstance(item, (Real, Integer, Choice, Ordering)):
                label = repr(names[i]) if names else f"#{i}"
                raise TypeError(f"space: variable {label} is {item!r}; use ceopt.Real(low, "
                                f"high), ceopt.Integer(low, high), ceopt.Choice(options) or "
                                f"ceopt.Ordering(items)")
        self.names: list[str] | None = names
        self.variables: tuple[Variable, ...] = tuple(items)
        # The variables in the encoding's order: reals and integers, choices, orderings.
        numeric = [i for i, v in enumerate(items) if isinstance(v, (Real, Integer))]
        choices = [i for i, v in enumerate(items) if isinstance(v, Choice)]
        orderings = [i for i, v in enumerate(items) if isinstance(v, Ordering)]
        self.order = numeric + choices + orderings
        self.n_numeric = len(numeric)
        self.n_choices = len(choices)
        # The encoding's columns of each variable (an ordering spans one per item).
        widths = [items[i].k if isinstance(items[i], Ordering) else 1 for i in self.order]
        ends = np.cumsum(widths)
        self.slices = {i: slice(int(end - w), int(end))
                       for i, w, end in zip(self.order, widths, ends, strict=True)}

    @property
    def spec(self) -> dict[str, Variable] | list[Variable]:
        """The variables as given (a dict or a list)."""
        if self.names is None:
            return list(self.variables)
        return dict(zip(self.names, self.variables, strict=True))

    @property
    def dim(self) -> int:
        """The number of variables (an ordering is one)."""
        return len(self.variables)

    @property
    def width(self) -> int:
        """The number of the encoding's columns."""
        return sum(sl.stop - sl.start for sl in self.slices.values())

    def label(self, i: int) -> str:
        """How errors name variable ``i``."""
        return repr(self.names[i]) if self.names else f"#{i}"

    # -- what the run needs ------------------------------------------------------------------
    def _columns(self) -> list[Variable]:
        return [self.variables[i] for i in self.order]

    def handler(self) -> Box:
        """The box over the encoding; it rounds the integer columns (not log-scale ones,
        which are rounded after ``exp`` by the decoding) and the choices' indices."""
        columns = []  # (low, high, rounded) of each column
        for v in self._columns():
            if isinstance(v, Ordering):  # drawn as permutations: nothing to repair
                columns += [(0.0, v.k - 1.0, True)] * v.k
            elif isinstance(v, Choice):
                columns.append((0.0, v.k - 1.0, True))
            else:
                low, high = v.encoded_bounds()
                columns.append((low, high, isinstance(v, Integer) and v.rounded_by_box))
        low, high, rounded = zip(*columns, strict=True)
        return Box(np.array(low), np.array(high), np.array(rounded))

    def initial(self, method: str | None = None, popsize: int | None = None,
                margin: bool = True) -> Distribution:
        """The initial distribution (module docstring); ``popsize`` (default: the method's for
        this dimension) sets the floors; ``margin=False`` leaves the integers without one (a
        run with a budget, whose restarts explore instead)."""
        box = self.handler()
        n = self.n_numeric
        sizes = [v.k for v in self._columns()[n:n + self.n_choices]]
        orderings = [NodeTransition.uniform(v.k) for v in self._columns()[n + self.n_choices:]]
        gaussian: Gaussian | DiagGaussian | None = None
        if n:
            mean = 0.5 * (box.low[:n] + box.high[:n])
            std = BOX_SPREAD * (box.high[:n] - box.low[:n])
            full = method in (None, "adaptive") and n <= FULL_MAX_DIM
            gaussian = Gaussian(mean, std**2) if full else DiagGaussian(mean, std)
        if popsize is None:  # the population the run will draw: its update rule's default
            plain = [gaussian] if gaussian is not None else []
            plain += [Categorical.uniform(sizes)] if sizes else []
            plain += orderings
            popsize = default_popsize(method, plain[0] if len(plain) == 1 else Product(plain))
        blocks: list[Distribution] = []
        if gaussian is not None:
            if margin:
                gaussian = with_margin(gaussian, box.integral[:n],
                                       integer_margin(self.dim, popsize))
            blocks.append(gaussian)
        if sizes:
            floor = [choice_floor(self.dim, popsize, k) for k in sizes]
            blocks.append(Categorical.uniform(sizes, min_prob=floor))
        blocks += orderings
        return blocks[0] if len(blocks) == 1 else Product(blocks)

    # -- decoding ----------------------------------------------------------------------------
    def decode(self, X: NDArray) -> dict[str, NDArray] | list[NDArray]:
        """The encoded rows ``X`` as one column of values per variable: floats for a real,
        int64 for an integer, the options (their own dtype when they are plain numbers or
        strings, else objects) for a choice, and for an ordering an ``(n, k)`` array of its
        items, a row per sample."""
        X = np.asarray(X, dtype=np.float64)
        columns: list[NDArray | None] = [None] * self.dim
        for i, cols in self.slices.items():
            v = self.variables[i]
            columns[i] = v.decode(X[:, cols] if isinstance(v, Ordering) else X[:, cols.start])
        if self.names is None:
            return columns
        return dict(zip(self.names, columns, strict=True))

    def decode_point(self, x: NDArray) -> dict[str, Any] | list[Any]:
        """One encoded point as the values ``fun`` receives: Python floats, ints and the
        options themselves."""
        columns = self.decode(np.asarray(x, dtype=np.float64)[None, :])
        values = columns.values() if isinstance(columns, dict) else columns
        plain = [column[0].tolist() if isinstance(column[0], np.ndarray)  # an ordering
                 else column[0].item() if isinstance(column[0], np.generic) else column[0]
                 for column in values]
        return plain if self.names is None else dict(zip(self.names, plain, strict=True))

    # -- checkpoints -------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The space as plain data; a TypeError names a choice whose options a checkpoint
        cannot hold (they must be strings, numbers, booleans or None)."""
        for i, v in enumerate(self.variables):
            if isinstance(v, Choice):
                for option in v.options:
                    if option is not None and type(option) not in (str, int, float, bool):
                        raise TypeError(
                            f"checkpoint: choice {self.label(i)} has the option {option!r}, "
                            "which a checkpoint cannot hold (options must be strings, "
                            "numbers, booleans or None there): map them to names, or run "
                            "without checkpoint=")
        return {"names": self.names, "variables": [v.state() for v in self.variables]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Space:
        items = [variables.from_state(v) for v in state["variables"]]
        names = state["names"]
        return cls(items if names is None else dict(zip(names, items, strict=True)))

    def __repr__(self) -> str:
        return f"Space({self.spec!r})"

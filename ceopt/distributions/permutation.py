"""Distributions over orderings: what a run on tours, assignments and schedules learns.

A sample is a row of the integers ``0 .. n-1``, each once: a permutation. Three models from
the CE literature, each in its own file, share the checks and the drawing step of
``_permutation.py``:

- ``"transition"`` (:class:`NodeTransition`): the first item's probabilities and ``P[a, b]``,
  the probability that ``b`` follows ``a``; drawn item after item, never one already drawn.
  What follows what: tours and sequences.
- ``"position"`` (:class:`PositionMatrix`): ``Q[i, j]``, the probability that item ``j`` is
  at place ``i``; drawn place after place, in a random order. What goes where: assignments.
- ``"plackett-luce"`` (:class:`PlackettLuce`): one preference per item; the items in order
  of their perturbed preferences. Rankings, with ``n`` parameters only.

:func:`Permutation` makes the uniform distribution of a model by name; the measurements that
chose the default are in ``benchmarks/results/combinatorial.md``.
"""

from __future__ import annotations

from ._permutation import PermutationModel, check_n
from .plackett_luce import PlackettLuce
from .position import PositionMatrix
from .transition import NodeTransition

#: The models by the name ``model=`` takes.
MODELS = {"transition": NodeTransition, "position": PositionMatrix,
          "plackett-luce": PlackettLuce}


def Permutation(n: int, model: str = "transition", *,  # noqa: N802 (reads as a family)
                min_prob: float | None = None) -> PermutationModel:
    """The uniform distribution over the permutations of ``0 .. n-1``, in the model named.

    ``model``: ``"transition"`` (the default; what follows what), ``"position"`` (what goes
    where) or ``"plackett-luce"`` (a preference per item); the module docstring compares
    them. ``min_prob`` is the model's floor (see each class).

    Example
    -------
    >>> import numpy as np, ceopt
    >>> dist = ceopt.Permutation(5)
    >>> x = dist.sample(3, np.random.default_rng(0))
    >>> x.shape, bool((np.sort(x, axis=1) == np.arange(5)).all())
    ((3, 5), True)
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {tuple(MODELS)}, got {model!r}")
    return MODELS[model].uniform(check_n(n), min_prob=min_prob)

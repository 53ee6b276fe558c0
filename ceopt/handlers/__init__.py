"""Boundary and constraint handlers, one file each: what ``bounds=`` becomes.

:class:`Box` is the first (and the default for scipy-style bounds). A handler of your own
subclasses :class:`BoundaryHandler`, is passed as ``bounds=`` and, to be checkpointed, is
:func:`register`-ed (``docs/architecture.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scipy.optimize import Bounds

from .._registry import Registry
from .base import BoundaryHandler
from .box import Box

#: The handlers a checkpoint may name.
HANDLERS = Registry("boundary handler", BoundaryHandler, "ceopt.handlers", parts=(Box,))
#: Make a handler of your own known to checkpoints, by its ``name``.
register = HANDLERS.register


def handler_for(bounds: BoundaryHandler | Bounds | Sequence | None,
                dim: int) -> BoundaryHandler | None:
    """What ``bounds=`` means for a ``dim``-dimensional problem: a handler as it is, or
    scipy-style bounds (a ``scipy.optimize.Bounds`` or (low, high) pairs) as a :class:`Box`."""
    if isinstance(bounds, BoundaryHandler):
        if bounds.dim != dim:
            raise ValueError(f"bounds give {bounds.dim} coordinates, the problem has {dim}")
        return bounds
    return Box.parse(bounds, dim)


def to_state(handler: BoundaryHandler) -> dict[str, Any]:
    return {"kind": handler.name, "params": handler.state()}


def from_state(state: dict[str, Any]) -> BoundaryHandler:
    return HANDLERS.find(state["kind"]).from_state(state["params"])


__all__ = ["BoundaryHandler", "Box", "HANDLERS", "register", "handler_for"]

"""Boundary and constraint handlers, one file each: what ``bounds=`` becomes.

:class:`Box` is the first (and the default for scipy-style bounds). A handler of your own
subclasses :class:`BoundaryHandler`, is passed as ``bounds=`` and, to be checkpointed, is
:func:`register`-ed (``docs/architecture.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scipy.optimize import Bounds

from .base import BoundaryHandler
from .box import Box

#: The handlers a checkpoint may name.
HANDLERS: dict[str, type[BoundaryHandler]] = {
    "box": Box,
}


def register(handler: type[BoundaryHandler]) -> type[BoundaryHandler]:
    """Make a handler of your own known to checkpoints, by its ``name``."""
    if not (isinstance(handler, type) and issubclass(handler, BoundaryHandler)):
        raise TypeError(f"register takes a BoundaryHandler subclass, got {handler!r}")
    known = HANDLERS.get(handler.name)
    if known is not None and known is not handler:
        raise ValueError(f"a handler named {handler.name!r} is registered already")
    HANDLERS[handler.name] = handler
    return handler


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
    handler = HANDLERS.get(state["kind"])
    if handler is None:
        raise LookupError(f"boundary handler {state['kind']!r} is not registered: call "
                          f"ceopt.handlers.register on it first")
    return handler.from_state(state["params"])


__all__ = ["BoundaryHandler", "Box", "HANDLERS", "register", "handler_for"]

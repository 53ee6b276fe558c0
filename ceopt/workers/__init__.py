"""Where evaluations run: this process, a pool of processes, a Dask cluster, any executor, or
a map-like callable; one backend per file.

:func:`backend` turns the ``workers=`` argument of the entry points into a
:class:`~ceopt.workers.base.Backend`: the first of :data:`BACKENDS` that accepts it.

- ``None`` or ``1``: this process, no pickling (:mod:`.serial`);
- an int ``n > 1`` (``-1``: all cores): a process pool that ceopt owns, rebuilt when a worker
  dies (:mod:`.process_pool`);
- a ``dask.distributed.Client``: its cluster (:mod:`.dask_cluster`);
- a ``concurrent.futures.Executor`` (or anything with ``submit``): the caller's, never shut
  down here (:mod:`.executor`);
- a map-like callable, ``workers(fn, tasks)`` (:mod:`.mapper`).

A backend of your own: subclass :class:`Backend` and :func:`register` it
(``docs/architecture.md``).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from typing import Any

from .base import Backend
from .dask_cluster import DaskClient
from .executor import ExecutorBackend
from .mapper import Mapper
from .process_pool import ProcessPool
from .serial import Serial

#: Tried in order: the first that accepts ``workers=`` runs the evaluations.
BACKENDS: list[type[Backend]] = [Serial, ProcessPool, DaskClient, ExecutorBackend, Mapper]


def register(kind: type[Backend]) -> type[Backend]:
    """Add a backend of your own, tried before the built-in ones."""
    if not (isinstance(kind, type) and issubclass(kind, Backend)):
        raise TypeError(f"register takes a Backend subclass, got {kind!r}")
    if kind not in BACKENDS:
        BACKENDS.insert(0, kind)
    return kind


def backend(workers: Any) -> Backend:
    """The backend for a ``workers=`` argument (see the module's docstring)."""
    if isinstance(workers, bool):
        raise TypeError("workers must be an int, an Executor or a map-like callable, not a bool")
    if isinstance(workers, int):
        if workers == -1:
            workers = os.cpu_count() or 1
        if workers < 1:
            raise ValueError(f"workers must be a positive int or -1 (all cores), got {workers}")
    for kind in BACKENDS:
        if kind.accepts(workers):
            return kind(workers)
    raise TypeError(f"workers must be an int, an Executor or a map-like callable, got "
                    f"{type(workers).__name__}")


def check_picklable(fun: Callable, args: tuple, where: str) -> None:
    """A clear error, now, for an objective (or its args) that cannot travel to processes."""
    try:
        pickle.dumps(args)
    except Exception as exc:
        raise TypeError(f"args must be picklable to run on {where} ({type(exc).__name__}: "
                        f"{exc})") from None
    try:
        pickle.dumps(fun)
    except Exception as exc:
        raise TypeError(
            f"the objective must be picklable to run on {where}, and {fun!r} is not "
            f"({type(exc).__name__}: {exc}). Define it at module level (not a lambda or a "
            f"function inside a function), or use threads or workers=None") from None


__all__ = ["BACKENDS", "Backend", "Serial", "ProcessPool", "DaskClient", "ExecutorBackend",
           "Mapper", "backend", "register", "check_picklable"]

"""A map-like callable, ``workers(fn, tasks)``, as ``multiprocessing.Pool().map``: it chunks
and runs the tasks itself, wherever it likes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .base import Backend


class Mapper(Backend):
    size = None  # unknown: the map chunks the tasks itself
    needs_pickling = False
    runs_in_main_thread = False  # unknown
    in_process = False  # unknown, so exceptions are made able to travel

    def __init__(self, map_like: Callable):
        self.map_like = map_like

    @classmethod
    def accepts(cls, workers: Any) -> bool:
        return callable(workers)

    def map(self, fn: Callable, tasks: Sequence) -> list:
        results = list(self.map_like(fn, tasks))
        if len(results) != len(tasks):
            raise ValueError(f"workers returned {len(results)} results for {len(tasks)} tasks: "
                             f"it must behave like map(fn, tasks)")
        return results

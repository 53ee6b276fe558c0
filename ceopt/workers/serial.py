"""Evaluate in this process (``workers=None`` or ``1``): no pickling, exceptions as they are."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .base import Backend


class Serial(Backend):
    size = 1
    runs_in_main_thread = True
    in_process = True

    def __init__(self, workers: Any = None):
        pass

    @classmethod
    def accepts(cls, workers: Any) -> bool:
        return workers is None or (isinstance(workers, int) and workers == 1)

    def map(self, fn: Callable, tasks: Sequence) -> list:
        return [fn(t) for t in tasks]

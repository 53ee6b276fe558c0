"""The worker backend: where a population's chunks are evaluated.

A backend maps a function over a list of tasks and returns the results in the tasks' order,
so a seed gives the same run on every backend. It says what its tasks need: ``size``, how
many tasks it runs at once (the default chunking: one chunk per worker; None if unknown),
whether the objective must pickle (``needs_pickling``), whether evaluations run in a
process's main thread (where ``timeout`` can interrupt them), and whether exceptions come
back as they are (``in_process``) or must be made able to travel.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any


class Backend(ABC):
    size: int | None = 1
    needs_pickling: bool = False
    runs_in_main_thread: bool = False
    in_process: bool = False

    @classmethod
    @abstractmethod
    def accepts(cls, workers: Any) -> bool:
        """Whether this backend is what ``workers=`` means (an int is already checked, and
        -1 replaced by the number of cores)."""

    @abstractmethod
    def map(self, fn: Callable, tasks: Sequence) -> list:
        """``[fn(task) for task in tasks]``, wherever the backend runs them."""

    def close(self) -> None:  # noqa: B027 (most backends own nothing to release)
        """Release what the backend started (a process pool ceopt owns)."""

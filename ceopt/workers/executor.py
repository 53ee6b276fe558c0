"""Any ``concurrent.futures.Executor`` (or object with a ``submit`` returning futures): tasks
are submitted to it. The caller owns it, so it is never shut down here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .base import Backend
from .dask_cluster import dask_threads, is_dask_client


class ExecutorBackend(Backend):
    def __init__(self, executor: Any):
        self.executor = executor
        client = getattr(executor, "_client", None)  # Dask's ClientExecutor
        # Its number of workers sets the chunks; unknown, one point per task.
        self.size = (dask_threads(client) if is_dask_client(client)
                     else getattr(executor, "_max_workers", None))
        self.needs_pickling = isinstance(executor, ProcessPoolExecutor)
        self.runs_in_main_thread = self.needs_pickling
        self.in_process = isinstance(executor, ThreadPoolExecutor)

    @classmethod
    def accepts(cls, workers: Any) -> bool:
        return isinstance(workers, Executor) or callable(getattr(workers, "submit", None))

    def map(self, fn: Callable, tasks: Sequence) -> list:
        futures = [self.executor.submit(fn, t) for t in tasks]
        try:
            return [f.result() for f in futures]
        except BrokenProcessPool as exc:
            raise BrokenProcessPool(
                "a worker process of the executor passed as workers= died, which breaks a "
                "ProcessPoolExecutor for good; pass workers=<int> instead and ceopt rebuilds "
                "its own pool and resubmits the lost tasks") from exc

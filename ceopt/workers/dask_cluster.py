"""A Dask cluster, through its ``dask.distributed.Client`` (the user's to close).

Tasks go out with ``client.map(..., pure=False)``: a retry must run again, never come from
Dask's cache of results. Dask re-runs the tasks of a worker that dies on another one, and
serialises with cloudpickle, so lambdas and closures travel. Dask's executor
(``client.get_executor()``) works too, as any executor does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .base import Backend


def is_dask_client(obj: Any) -> bool:
    return type(obj).__name__ == "Client" and type(obj).__module__.startswith("distributed")


def dask_threads(client: Any) -> int:
    return max(1, sum(client.nthreads().values()))


class DaskClient(Backend):
    needs_pickling = False  # Dask serialises with cloudpickle
    runs_in_main_thread = False  # tasks run in the workers' threads
    in_process = False

    def __init__(self, client: Any):
        self.client = client
        # Read once: asking the scheduler costs a round trip per population. A cluster that
        # grows later is used, but chunked for its size at the start (or pass chunksize).
        self.size = dask_threads(client)

    @classmethod
    def accepts(cls, workers: Any) -> bool:
        return is_dask_client(workers)

    def map(self, fn: Callable, tasks: Sequence) -> list:
        return self.client.gather(self.client.map(fn, tasks, pure=False))

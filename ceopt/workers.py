"""Where evaluations run: this process, a pool of processes, any executor, or a map-like callable.

A backend maps a function over a list of tasks and returns the results in the tasks' order.
:func:`backend` turns the ``workers=`` argument of the entry points into one:

- ``None`` or ``1``: this process, no pickling;
- an int ``n > 1`` (``-1``: all cores): a ``ProcessPoolExecutor`` of ``n`` processes that
  ceopt owns. If a worker process dies (killed, segfault), the pool is rebuilt and the tasks
  not yet finished are submitted again, so the run goes on and nothing is lost;
- a ``concurrent.futures.Executor`` (or anything with ``submit`` returning futures): tasks are
  submitted to it; the caller owns it, so it is never shut down here;
- a ``dask.distributed.Client``: tasks run on its cluster (``client.map`` with
  ``pure=False``: a retry must run again, never come from Dask's cache of results). Dask
  re-runs the tasks of a worker that dies, on another one; its executor
  (``client.get_executor()``) works too;
- a map-like callable, ``workers(fn, tasks)``, as ``multiprocessing.Pool().map``.

Every backend reports ``size``, the number of tasks it runs at once, which sets the default
chunk size: one chunk per worker.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

#: A pool whose processes die this many times in a row, with no task finishing in between, is
#: not unlucky: the objective kills them (a crash on every point, or memory exhausted).
MAX_BROKEN = 3


class Serial:
    """Evaluate in this process."""

    size = 1
    needs_pickling = False
    runs_in_main_thread = True
    in_process = True  # exceptions come back as they are, unpickled

    def map(self, fn: Callable, tasks: Sequence) -> list:
        return [fn(t) for t in tasks]

    def close(self) -> None:
        pass


class OwnPool:
    """A process pool that ceopt starts on first use, rebuilds when broken, and shuts down."""

    needs_pickling = True
    runs_in_main_thread = True  # of each worker process
    in_process = False

    def __init__(self, size: int):
        self.size = size
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable, tasks: Sequence) -> list:
        results: list = [None] * len(tasks)
        todo = list(range(len(tasks)))
        broken = 0
        while todo:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.size)
            futures = {}
            try:
                # Inside the try: a worker may have died while the pool sat idle between
                # populations, and then submit itself finds the pool broken.
                for i in todo:
                    futures[i] = self._pool.submit(fn, tasks[i])
                for i, future in futures.items():
                    results[i] = future.result()
                return results
            except BrokenProcessPool:
                # Keep what finished before the break; submit the rest to a new pool.
                finished = [i for i, f in futures.items()
                            if f.done() and not f.cancelled() and f.exception() is None]
                for i in finished:
                    results[i] = futures[i].result()
                broken = 0 if finished else broken + 1
                if broken >= MAX_BROKEN:
                    raise RuntimeError(
                        f"worker processes died {MAX_BROKEN} times in a row with no task "
                        f"finishing: the objective seems to kill them (a crash or memory "
                        f"exhausted)") from None
                todo = [i for i in todo if i not in set(finished)]
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
        return results

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


class Submitter:
    """Submit to the user's executor (theirs to shut down)."""

    def __init__(self, executor: Any):
        self.executor = executor
        client = getattr(executor, "_client", None)  # Dask's ClientExecutor
        # Its number of workers sets the chunks; unknown, one point per task.
        self.size = (_dask_threads(client) if _is_dask_client(client)
                     else getattr(executor, "_max_workers", None))
        self.needs_pickling = isinstance(executor, ProcessPoolExecutor)
        self.runs_in_main_thread = self.needs_pickling
        self.in_process = isinstance(executor, ThreadPoolExecutor)

    def map(self, fn: Callable, tasks: Sequence) -> list:
        futures = [self.executor.submit(fn, t) for t in tasks]
        try:
            return [f.result() for f in futures]
        except BrokenProcessPool as exc:
            raise BrokenProcessPool(
                "a worker process of the executor passed as workers= died, which breaks a "
                "ProcessPoolExecutor for good; pass workers=<int> instead and ceopt rebuilds "
                "its own pool and resubmits the lost tasks") from exc

    def close(self) -> None:
        pass


class DaskClient:
    """Run on a Dask cluster through its client (the user's to close)."""

    needs_pickling = False  # Dask serialises with cloudpickle: lambdas and closures travel
    runs_in_main_thread = False  # tasks run in the workers' threads
    in_process = False

    def __init__(self, client: Any):
        self.client = client
        # Read once: asking the scheduler costs a round trip per population. A cluster that
        # grows later is used, but chunked for its size at the start (or pass chunksize).
        self.size = _dask_threads(client)

    def map(self, fn: Callable, tasks: Sequence) -> list:
        return self.client.gather(self.client.map(fn, tasks, pure=False))

    def close(self) -> None:
        pass


def _is_dask_client(obj: Any) -> bool:
    return type(obj).__name__ == "Client" and type(obj).__module__.startswith("distributed")


def _dask_threads(client: Any) -> int:
    return max(1, sum(client.nthreads().values()))


class Mapper:
    """Call the user's map-like callable."""

    size = None  # unknown: the map chunks the tasks itself
    needs_pickling = False
    runs_in_main_thread = False  # unknown
    in_process = False  # unknown, so exceptions are made able to travel

    def __init__(self, map_like: Callable):
        self.map_like = map_like

    def map(self, fn: Callable, tasks: Sequence) -> list:
        results = list(self.map_like(fn, tasks))
        if len(results) != len(tasks):
            raise ValueError(f"workers returned {len(results)} results for {len(tasks)} tasks: "
                             f"it must behave like map(fn, tasks)")
        return results

    def close(self) -> None:
        pass


def backend(workers: Any) -> Serial | OwnPool | Submitter | DaskClient | Mapper:
    """The backend for a ``workers=`` argument (see the module's docstring)."""
    if workers is None:
        return Serial()
    if isinstance(workers, bool):
        raise TypeError("workers must be an int, an Executor or a map-like callable, not a bool")
    if isinstance(workers, int):
        if workers == -1:
            workers = os.cpu_count() or 1
        if workers < 1:
            raise ValueError(f"workers must be a positive int or -1 (all cores), got {workers}")
        return Serial() if workers == 1 else OwnPool(workers)
    if _is_dask_client(workers):
        return DaskClient(workers)
    if isinstance(workers, Executor) or callable(getattr(workers, "submit", None)):
        return Submitter(workers)
    if callable(workers):
        return Mapper(workers)
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

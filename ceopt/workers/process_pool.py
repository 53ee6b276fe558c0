"""A process pool that ceopt owns (``workers=n``, ``n > 1``; ``-1``: every core).

The pool starts on first use and is shut down when the run ends. If a worker process dies
(killed, a segfault), the pool is rebuilt and the tasks not yet finished are submitted again,
so the run goes on and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .base import Backend

#: A pool whose processes die this many times in a row, with no task finishing in between, is
#: not unlucky: the objective kills them (a crash on every point, or memory exhausted).
MAX_BROKEN = 3


class ProcessPool(Backend):
    needs_pickling = True
    runs_in_main_thread = True  # of each worker process
    in_process = False

    def __init__(self, workers: int):
        self.size = workers
        self._pool: ProcessPoolExecutor | None = None

    @classmethod
    def accepts(cls, workers: Any) -> bool:
        return isinstance(workers, int) and workers > 1

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

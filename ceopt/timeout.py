"""A time limit for one evaluation: ``timeout=`` of :func:`ceopt.minimize` and the others.

SIGALRM interrupts the objective, so the limit works where evaluations run in the main thread
of a process: this process, or a process pool's workers (POSIX only).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Any

from ._checks import real
from .workers import Serial


class EvaluationTimeout(TimeoutError):
    """Raised inside an objective that ran longer than ``timeout``: a failure like any other."""


@contextlib.contextmanager
def time_limit(seconds: float | None):
    """Interrupt the block with EvaluationTimeout after ``seconds`` (POSIX, main thread).

    SIGALRM interrupts Python code at its next bytecode, and sleeps and most blocking I/O at
    once; a long call inside a C extension is interrupted only when it returns.
    """
    if seconds is None:
        yield
        return
    start = time.monotonic()
    outer_fired = False

    def expire(signum, frame):
        nonlocal outer_fired
        if time.monotonic() - start >= seconds * 0.999:
            raise EvaluationTimeout(f"the evaluation took longer than timeout={seconds:g} s")
        outer_fired = True  # a timer set outside ceopt (a test watchdog, say) came first
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:  # what that timer would have done: end the process
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.raise_signal(signal.SIGALRM)

    previous = signal.signal(signal.SIGALRM, expire)
    outer, _ = signal.getitimer(signal.ITIMER_REAL)  # seconds left on a timer set outside
    try:
        signal.setitimer(signal.ITIMER_REAL, min(seconds, outer) if outer else seconds)
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer and not outer_fired:  # give the outer timer back what is left of it
            signal.setitimer(signal.ITIMER_REAL,
                             max(outer - (time.monotonic() - start), 1e-6))


def check_timeout(timeout: float, where: Any) -> float:
    """A positive number of seconds, for a backend where SIGALRM can interrupt evaluations."""
    timeout = real("timeout", timeout, minimum=0.0)
    if timeout == 0:
        raise ValueError("timeout must be positive, got 0")
    if not hasattr(signal, "SIGALRM"):
        raise ValueError("timeout needs POSIX signals (SIGALRM), which this system lacks")
    if not where.runs_in_main_thread:
        raise ValueError(f"timeout needs evaluations in the main thread of a process, which "
                         f"{type(where).__name__} does not give: use workers=None, an int, or "
                         f"a ProcessPoolExecutor")
    if isinstance(where, Serial) and threading.current_thread() is not threading.main_thread():
        raise ValueError("timeout in this process needs the main thread (it uses SIGALRM)")
    return timeout

"""What the timing scripts share: a median over repeated calls (time.perf_counter)."""

import time

import numpy as np


def median_time(call, repeats: int, warm_up: bool = True) -> float:
    """Median seconds of ``repeats`` calls of ``call()``, after one untimed call if
    ``warm_up`` (caches and lazy imports)."""
    if warm_up:
        call()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))

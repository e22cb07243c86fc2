"""Small helpers shared by the benchmark scripts (run them from anywhere: each adds its own folder)."""

from __future__ import annotations

import statistics
import time


def timed(fn, repeat: int) -> float:
    """Median wall time of ``fn()`` over ``repeat`` calls, in milliseconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000

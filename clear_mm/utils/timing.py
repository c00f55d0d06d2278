"""Timings of the benchmark scripts."""
import statistics
import time
from typing import Callable


def median_seconds(fn: Callable[[], object], warmup: int = 1,
                   repeats: int = 10) -> float:
    """The median wall time of ``repeats`` calls of ``fn``, after
    ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)

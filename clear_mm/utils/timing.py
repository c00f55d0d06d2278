"""Timings of the benchmark scripts."""
import statistics
import time
from typing import Callable, Dict


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


def interleaved_medians(fns: Dict[str, Callable[[], object]],
                        warmup: int = 1, repeats: int = 10,
                        rounds: int = 2,
                        pause: float = 0.2) -> Dict[str, float]:
    """The median wall time of each of ``fns`` over ``repeats`` timed calls,
    taken in ``rounds`` blocks that alternate between the functions (each
    block after ``warmup`` untimed calls), so that a drift of the
    machine's speed during the run affects them alike. A block keeps its
    function's thread pools warm, as a service that runs one model does;
    calls of different functions never interleave one by one. Each block
    starts ``pause`` seconds after the previous one: the thread pools of
    ONNX Runtime and OpenMP spin-wait for work after a call, and on a
    small machine the previous function's spinning threads would take
    cores from the next one (measured: up to 30 % of a tiny model's
    speed on 2 cores)."""
    times: Dict[str, list] = {name: [] for name in fns}
    per_block = [repeats // rounds + (i < repeats % rounds)
                 for i in range(rounds)]
    for count in per_block:
        for name, fn in fns.items():
            time.sleep(pause)
            for _ in range(warmup):
                fn()
            for _ in range(count):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}

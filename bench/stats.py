"""Timing helpers: percentiles and a summary of samples (milliseconds)."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation between closest ranks (numpy's default method)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass(frozen=True)
class Summary:
    n: int
    p50: float
    p90: float
    p99: float
    mean: float
    max: float

    @classmethod
    def of(cls, samples_ms: Sequence[float]) -> Summary:
        return cls(len(samples_ms), percentile(samples_ms, 50), percentile(samples_ms, 90),
                   percentile(samples_ms, 99), statistics.fmean(samples_ms), max(samples_ms))


def ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("inf")


def timed_ms(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def measure(fn: Callable[[], object], warmup: int, iterations: int) -> Summary:
    """`warmup` untimed calls, then the summary of `iterations` timed ones."""
    for _ in range(warmup):
        fn()
    return Summary.of([timed_ms(fn) for _ in range(iterations)])

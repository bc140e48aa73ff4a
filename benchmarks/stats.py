"""Percentile and summary maths for every latency number the harness reports, in one place.

Percentiles use **linear interpolation between closest ranks** (the method NumPy calls
``"linear"``, Hyndman & Fan type 7, also Excel's ``PERCENTILE.INC``): for sorted samples
``x[0..n-1]`` the p-th percentile sits at fractional index ``h = (n - 1) * p / 100`` and is
``x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)])``. It is defined for any
``n >= 1``, returns the minimum at p=0 and the maximum at p=100, and with few samples it does not
jump between observed values the way nearest-rank does.

>>> percentile([1.0, 2.0, 3.0, 4.0], 50)
2.5
>>> percentile([10.0, 20.0, 30.0, 40.0, 50.0], 90)
46.0
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import InvalidInput

PERCENTILE_METHOD = "linear interpolation between closest ranks (NumPy 'linear', Hyndman-Fan type 7)"


def percentile(samples: Sequence[float], p: float) -> float:
    """The p-th percentile (0 <= p <= 100) of ``samples`` by linear interpolation."""
    if not samples:
        raise InvalidInput("percentile of an empty sample")
    if not 0.0 <= p <= 100.0:
        raise InvalidInput(f"percentile must lie in [0, 100], got {p}")
    ordered = sorted(float(x) for x in samples)
    if any(math.isnan(x) for x in ordered):
        raise InvalidInput("samples contain NaN")
    h = (len(ordered) - 1) * p / 100.0
    lo = math.floor(h)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (h - lo) * (ordered[hi] - ordered[lo])


@dataclass(frozen=True)
class Summary:
    """Distribution summary of one timed scenario, in the unit of the samples."""

    n: int
    mean: float
    std: float
    minimum: float
    p50: float
    p90: float
    p99: float
    maximum: float


def summarize(samples: Sequence[float]) -> Summary:
    """Count, mean, sample standard deviation (n-1), min, p50/p90/p99 and max of ``samples``."""
    if not samples:
        raise InvalidInput("cannot summarise an empty sample")
    values = [float(x) for x in samples]
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((x - mean) ** 2 for x in values) / (n - 1)) if n > 1 else 0.0
    return Summary(n=n, mean=mean, std=std, minimum=min(values), p50=percentile(values, 50),
                   p90=percentile(values, 90), p99=percentile(values, 99), maximum=max(values))


def throughput(items: int, seconds: float) -> float:
    """Items per second; zero elapsed time is a measurement error, not infinite speed."""
    if seconds <= 0:
        raise InvalidInput(f"elapsed time must be positive, got {seconds}")
    return items / seconds

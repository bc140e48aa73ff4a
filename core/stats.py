"""Uncertainty of the rates an evaluation reports: how far a rate measured on n samples can be trusted.

>>> low, high = wilson_interval(48, 60)  # 80 % of 60 real plates
>>> round(low, 3), round(high, 3)
(0.682, 0.882)

A rate (accuracy, recall) gets a Wilson interval; a statistic that is not a plain rate (F1, NMI, mAP,
PR-AUC, CER) gets a percentile bootstrap over the evaluated items:

>>> low, high = bootstrap_interval(lambda idx: sum(idx) / len(idx), list(range(10)), n_resamples=200)
>>> low < 4.5 < high
True
"""
from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial rate (95 % for ``z=1.96``): unlike the normal approximation it
    stays inside [0, 1] and is sound at 0 % or 100 % and for small ``n``. ``n=0`` gives (0, 1)."""
    if n < 0 or not 0 <= successes <= max(n, 0):
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return 0.0, 1.0
    rate = successes / n
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def bootstrap_interval(statistic: Callable[[list[T]], float], items: Sequence[T], *, n_resamples: int = 1000,
                       confidence: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over ``items`` (resampled with replacement).

    ``statistic`` receives a list of items (one resample) and returns a float; items are whatever one
    evaluated unit is (a document's counts, a (label, prediction) pair, a page's edit distance...), so
    corpus-level statistics such as micro-F1 or NMI are recomputed per resample, not averaged. The seed
    makes a report reproducible. With fewer than two items the interval is the statistic itself.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    pool = list(items)
    if not pool:
        raise ValueError("bootstrap of an empty sample")
    if len(pool) < 2:
        value = float(statistic(pool))
        return value, value
    rng = random.Random(seed)
    n = len(pool)
    values = sorted(float(statistic([pool[rng.randrange(n)] for _ in range(n)])) for _ in range(n_resamples))
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        raise ValueError("the statistic is not finite on any resample")
    tail = (1.0 - confidence) / 2.0
    low = finite[min(len(finite) - 1, math.floor(tail * len(finite)))]
    high = finite[max(0, math.ceil((1.0 - tail) * len(finite)) - 1)]
    return low, high

"""Mergeable, data-independent summaries of one feature: a log-bucket quantile sketch and category counts.

A profile never keeps the values a client sent: a numeric feature becomes bucket counts with 1%
relative accuracy (the DDSketch idea), a categorical one becomes counts per category. Both merge
by addition, so hourly windows can be built from many small flushes.

>>> s = NumericSketch(); s.add([1.0, 2.0, 2.0, 100.0])
>>> round(float(s.quantiles([0.5])[0]), 1)
2.0
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from pydantic import BaseModel, Field

GAMMA = 1.02  # bucket width: every value is kept within ±1% of itself
MAX_CATEGORIES = 200  # beyond this, rare categories pool into OTHER so a free-text column stays small
OTHER = "__other__"
# |values| above this are not summed: a sum of squares of 1e308 overflows to inf, which JSON stores as null
MAX_ABS_VALUE = 1e100
MAX_CATEGORY_CHARS = 64  # a longer "category" is free text (a name, a note): counted, never stored
LONG = "__long__"


def is_summable(value: float) -> bool:
    """Finite and at most ``MAX_ABS_VALUE`` in size: moments of such values stay finite."""
    return math.isfinite(value) and abs(value) <= MAX_ABS_VALUE


def category_key(value: str) -> str:
    """The key a category is counted under: itself, or ``__long__`` past ``MAX_CATEGORY_CHARS`` characters."""
    return value if len(value) <= MAX_CATEGORY_CHARS else LONG


class NumericSketch(BaseModel):
    """Counts of values in log-spaced buckets (positive, negative, exact zero) plus exact moments."""

    gamma: float = GAMMA
    positive: dict[int, int] = Field(default_factory=dict)
    negative: dict[int, int] = Field(default_factory=dict)
    zeros: int = 0
    count: int = 0
    sum: float = 0.0
    sum_sq: float = 0.0
    min: float | None = None
    max: float | None = None

    def add(self, values: Iterable[float] | np.ndarray) -> None:
        """Add summable values (callers count NaN/None as missing and huge values as invalid before calling).

        Non-finite values and values beyond ``MAX_ABS_VALUE`` are skipped, so every stored moment is finite.
        """
        arr = np.asarray(values, dtype=np.float64).ravel()
        arr = arr[np.isfinite(arr) & (np.abs(arr) <= MAX_ABS_VALUE)]
        if arr.size == 0:
            return
        log_gamma = math.log(self.gamma)
        for sign_mask, buckets in ((arr > 0, self.positive), (arr < 0, self.negative)):
            part = np.abs(arr[sign_mask])
            if part.size:
                keys, counts = np.unique(np.ceil(np.log(part) / log_gamma).astype(np.int64), return_counts=True)
                for key, n in zip(keys.tolist(), counts.tolist()):
                    buckets[key] = buckets.get(key, 0) + n
        self.zeros += int(np.count_nonzero(arr == 0))
        self.count += int(arr.size)
        self.sum += float(arr.sum())
        self.sum_sq += float(np.square(arr).sum())
        lo, hi = float(arr.min()), float(arr.max())
        self.min = lo if self.min is None else min(self.min, lo)
        self.max = hi if self.max is None else max(self.max, hi)

    def merge(self, other: NumericSketch) -> None:
        if other.gamma != self.gamma:
            raise ValueError(f"cannot merge sketches of gamma {self.gamma} and {other.gamma}")
        for mine, theirs in ((self.positive, other.positive), (self.negative, other.negative)):
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n
        self.zeros += other.zeros
        self.count += other.count
        self.sum += other.sum
        self.sum_sq += other.sum_sq
        for name, pick in (("min", min), ("max", max)):
            a, b = getattr(self, name), getattr(other, name)
            setattr(self, name, b if a is None else a if b is None else pick(a, b))

    def histogram(self) -> tuple[np.ndarray, np.ndarray]:
        """(representative value of each non-empty bucket, ascending; its count)."""
        g = self.gamma
        rep = lambda k: 2.0 * g ** k / (g + 1.0)
        values = [-rep(k) for k in sorted(self.negative, reverse=True)]
        counts = [self.negative[k] for k in sorted(self.negative, reverse=True)]
        if self.zeros:
            values.append(0.0)
            counts.append(self.zeros)
        values += [rep(k) for k in sorted(self.positive)]
        counts += [self.positive[k] for k in sorted(self.positive)]
        out = np.asarray(values, dtype=np.float64)
        if out.size and self.min is not None and self.max is not None:
            out = np.clip(out, self.min, self.max)  # the extreme buckets are known exactly
        return out, np.asarray(counts, dtype=np.int64)

    def sample(self, max_n: int = 5000) -> np.ndarray:
        """A pseudo-sample with the sketch's distribution (at most ``max_n`` values) for two-sample tests."""
        values, counts = self.histogram()
        if self.count > max_n:
            counts = np.maximum(np.round(counts * (max_n / self.count)), 0).astype(np.int64)
        return np.repeat(values, counts)

    def quantiles(self, probs: Iterable[float]) -> np.ndarray:
        values, counts = self.histogram()
        if values.size == 0:
            return np.full(len(list(probs)), np.nan)
        cdf = np.cumsum(counts) / counts.sum()
        idx = np.searchsorted(cdf, np.asarray(list(probs), dtype=np.float64), side="left")
        return values[np.minimum(idx, values.size - 1)]

    @property
    def mean(self) -> float:
        return self.sum / self.count if self.count else float("nan")

    @property
    def std(self) -> float:
        if not self.count:
            return float("nan")
        return math.sqrt(max(self.sum_sq / self.count - self.mean ** 2, 0.0))


class CategoryCounts(BaseModel):
    """Counts per category, rare ones pooled into ``__other__`` past ``MAX_CATEGORIES``, long ones as ``__long__``."""

    counts: dict[str, int] = Field(default_factory=dict)
    count: int = 0

    def add(self, values: Iterable[str]) -> None:
        for value in values:
            value = category_key(value)
            key = value if value in self.counts or len(self.counts) < MAX_CATEGORIES else OTHER
            self.counts[key] = self.counts.get(key, 0) + 1
            self.count += 1

    def merge(self, other: CategoryCounts) -> None:
        for key, n in other.counts.items():
            key = category_key(key)
            key = key if key in self.counts or len(self.counts) < MAX_CATEGORIES else OTHER
            self.counts[key] = self.counts.get(key, 0) + n
        self.count += other.count

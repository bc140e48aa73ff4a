"""Percentile maths against hand-computed values (linear interpolation between closest ranks)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.stats import percentile, summarize, throughput
from core.errors import InvalidInput


@pytest.mark.parametrize(("samples", "p", "expected"), [
    ([1, 2, 3, 4], 50, 2.5),             # h = 3 * 0.5 = 1.5 -> 2 + 0.5 * (3 - 2)
    ([10, 20, 30, 40, 50], 90, 46.0),    # h = 4 * 0.9 = 3.6 -> 40 + 0.6 * 10
    ([10, 20, 30, 40, 50], 99, 49.6),    # h = 3.96 -> 40 + 0.96 * 10
    ([5, 1, 4, 2, 3], 50, 3.0),          # unsorted input; the median of 1..5
    ([7], 99, 7.0),                      # one sample is every percentile
    ([1, 2], 0, 1.0),
    ([1, 2], 100, 2.0),
    ([0, 100], 25, 25.0),
])
def test_percentile_hand_computed(samples: list[float], p: float, expected: float) -> None:
    assert percentile(samples, p) == pytest.approx(expected)


def test_percentile_matches_numpy_linear() -> None:
    rng = np.random.default_rng(0)
    samples = rng.exponential(size=37).tolist()
    for p in (0, 1, 50, 90, 99, 100):
        assert percentile(samples, p) == pytest.approx(float(np.percentile(samples, p, method="linear")))


def test_percentile_rejects_bad_input() -> None:
    with pytest.raises(InvalidInput):
        percentile([], 50)
    with pytest.raises(InvalidInput):
        percentile([1.0], 101)
    with pytest.raises(InvalidInput):
        percentile([1.0, math.nan], 50)


def test_summarize_hand_computed() -> None:
    s = summarize([0.001, 0.002, 0.003, 0.004, 0.010])
    assert s.n == 5
    assert s.mean == pytest.approx(0.004)
    assert s.p50 == pytest.approx(0.003)
    assert s.p90 == pytest.approx(0.004 + 0.6 * 0.006)   # h = 3.6
    assert s.p99 == pytest.approx(0.004 + 0.96 * 0.006)  # h = 3.96
    assert s.minimum == 0.001 and s.maximum == 0.010
    assert s.std == pytest.approx(math.sqrt((9 + 4 + 1 + 0 + 36) * 1e-6 / 4))


def test_throughput() -> None:
    assert throughput(30, 1.5) == 20.0
    with pytest.raises(InvalidInput):
        throughput(1, 0.0)

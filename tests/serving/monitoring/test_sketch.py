from __future__ import annotations

import numpy as np
import pytest

from serving.monitoring.sketch import MAX_CATEGORIES, OTHER, CategoryCounts, NumericSketch


def test_quantiles_are_within_one_percent() -> None:
    values = np.random.default_rng(0).lognormal(10, 1, 20_000)
    sketch = NumericSketch()
    sketch.add(values)
    probs = [0.01, 0.1, 0.5, 0.9, 0.99]
    assert np.allclose(sketch.quantiles(probs), np.quantile(values, probs), rtol=0.02)
    assert sketch.min == values.min() and sketch.max == values.max()
    assert sketch.mean == pytest.approx(values.mean())


def test_merge_equals_adding_everything_and_handles_signs_and_zero() -> None:
    a, b = np.array([-5.0, 0.0, 1.0, 2.0]), np.array([0.0, 3.0, -0.5, np.nan])
    left, right, whole = NumericSketch(), NumericSketch(), NumericSketch()
    left.add(a)
    right.add(b)
    whole.add(np.r_[a, b])
    left.merge(right)
    assert left == whole
    assert left.count == 7 and left.zeros == 2
    assert sorted(left.sample().round(1)) == pytest.approx([-5.0, -0.5, 0.0, 0.0, 1.0, 2.0, 3.0], abs=0.05)


def test_json_round_trip() -> None:
    sketch = NumericSketch()
    sketch.add([1.5, 2.5, -3.0])
    assert NumericSketch.model_validate_json(sketch.model_dump_json()) == sketch


def test_categories_pool_past_the_cap() -> None:
    counts = CategoryCounts()
    counts.add(f"v{i}" for i in range(MAX_CATEGORIES + 10))
    assert counts.counts[OTHER] == 10 and counts.count == MAX_CATEGORIES + 10

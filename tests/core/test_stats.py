"""Wilson intervals: known values, edges, and bad counts."""
from __future__ import annotations

import pytest

from core.stats import wilson_interval


def test_known_values() -> None:
    low, high = wilson_interval(48, 60)
    assert (round(low, 3), round(high, 3)) == (0.682, 0.882)
    low, high = wilson_interval(128, 129)  # near 100 %: the interval stays below 1 and is lopsided
    assert 0.95 < low < 0.96 and 0.99 < high <= 1.0


def test_edges_stay_inside_zero_one() -> None:
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(50, 100, z=0.0) == (0.5, 0.5)


def test_bad_counts_are_rejected() -> None:
    with pytest.raises(ValueError):
        wilson_interval(5, 4)
    with pytest.raises(ValueError):
        wilson_interval(-1, 4)


def test_bootstrap_interval_brackets_the_statistic_and_is_reproducible() -> None:
    from core.stats import bootstrap_interval

    items = [1.0] * 30 + [0.0] * 70
    low, high = bootstrap_interval(lambda xs: sum(xs) / len(xs), items, n_resamples=500, seed=1)
    assert low < 0.3 < high and 0.15 < low and high < 0.45
    assert (low, high) == bootstrap_interval(lambda xs: sum(xs) / len(xs), items, n_resamples=500, seed=1)
    assert bootstrap_interval(lambda xs: float(len(xs)), [7]) == (1.0, 1.0)
    with pytest.raises(ValueError):
        bootstrap_interval(lambda xs: 0.0, [])


def test_data_format_error_names_file_and_line() -> None:
    from core.errors import DataFormatError, InvalidInput

    exc = DataFormatError("labels/a.txt", 4, "expected 5 fields, got 3")
    assert isinstance(exc, InvalidInput)
    assert str(exc) == "labels/a.txt:4: expected 5 fields, got 3" and exc.detail["line"] == 4

"""Lift, gains and the ranking metrics of the lead list."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import InvalidInput
from tabular.propensity.evaluate import (
    bucket_size,
    expected_conversions,
    gains_curve,
    lift_at,
    lift_report,
    plot_gains_and_lift,
)


def test_lift_worked_example() -> None:
    # 10 customers, 4 converters; the top-5 bucket holds 3 converters: (3/5) / (4/10) = 1.5
    y = [1, 0, 1, 1, 0, 0, 0, 1, 0, 0]
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
    assert sum(y[:5]) == 3 and sum(y) == 4
    assert lift_at(y, scores, 5) == pytest.approx(1.5)
    assert lift_at(y, scores, 0.5) == pytest.approx(1.5)  # the same bucket as a share


def test_lift_bounds_and_errors() -> None:
    y = np.array([1, 0, 0, 0])
    assert lift_at(y, [1, 0, 0, 0], 1) == pytest.approx(4.0)
    assert lift_at(y, [0, 1, 1, 1], 4) == pytest.approx(1.0)  # everyone contacted: lift 1
    with pytest.raises(InvalidInput):
        lift_at([0, 0], [0.1, 0.2], 1)
    with pytest.raises(InvalidInput):
        lift_at(y, [1, 2], 1)
    with pytest.raises(InvalidInput):
        bucket_size(10, 0)


def test_gains_and_report() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(2000) < 0.1).astype(int)
    scores = y * 0.5 + rng.random(2000)
    _share, captured = gains_curve(y, scores, points=10)
    assert captured[-1] == pytest.approx(1.0) and np.all(np.diff(captured) >= 0)
    report = lift_report(y, scores)
    assert report.pr_auc > report.base_rate and report.roc_auc > 0.6 and report.lift_at_10pct > 1.5
    assert expected_conversions([0.5, 0.1, 0.9], 2) == pytest.approx(1.4)


@pytest.mark.slow
def test_lift_chart_png(tmp_path) -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(500) < 0.2).astype(int)
    path = plot_gains_and_lift(y, {"model": y + rng.random(500)}, tmp_path / "lift.png")
    assert path.stat().st_size > 1000

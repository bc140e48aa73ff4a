from __future__ import annotations

import numpy as np
import pytest

from core.errors import InvalidInput
from serving.monitoring.target import outcome_metrics, target_drift


def _month(n: int, seed: int, signal: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    scores = rng.random(n)
    outcomes = (rng.random(n) < 0.02 + signal * scores).astype(int)
    return scores, outcomes


def test_same_model_quality_is_not_drift_and_a_worse_month_is() -> None:
    ref = _month(5000, 0, 0.2)
    assert not target_drift(*ref, *_month(5000, 1, 0.2)).drifted
    report = target_drift(*ref, *_month(5000, 2, 0.02))
    assert report.drifted and report.pr_auc_change < -0.2 and report.current.lift_at_top < report.reference.lift_at_top
    assert any("PR-AUC" in r for r in report.reasons)


def test_outcome_metrics_and_validation() -> None:
    metrics = outcome_metrics(np.array([0.9, 0.8, 0.1, 0.2]), np.array([1, 1, 0, 0]), top_fraction=0.5)
    assert metrics.pr_auc == 1.0 and metrics.lift_at_top == 2.0 and metrics.conversion_rate == 0.5
    with pytest.raises(InvalidInput, match="no positive"):
        outcome_metrics(np.array([0.1, 0.2]), np.array([0, 0]))
    with pytest.raises(InvalidInput, match="2 scores but 3"):
        outcome_metrics(np.array([0.1, 0.2]), np.array([0, 1, 1]))

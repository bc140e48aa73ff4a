"""Threshold calibration on synthetic distances: accuracy-optimal threshold, TAR at FAR, plot."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.errors import InvalidInput
from vision.face.calibrate import best_accuracy_threshold, calibration_report, tar_at_far


def test_best_threshold_separates_separable_pairs() -> None:
    distances = np.array([0.2, 0.3, 0.4, 0.8, 0.9])
    same = np.array([1, 1, 1, 0, 0], dtype=bool)
    threshold, accuracy = best_accuracy_threshold(distances, same)
    assert accuracy == 1.0 and 0.4 < threshold < 0.8


def test_tar_at_far_needs_enough_negatives_and_counts_correctly() -> None:
    rng = np.random.default_rng(0)
    negatives = rng.uniform(0.5, 1.5, 1000)
    positives = np.linspace(0.0, 1.0, 101)
    distances = np.concatenate([positives, negatives])
    same = np.concatenate([np.ones(101, bool), np.zeros(1000, bool)])
    tar = tar_at_far(distances, same, 1e-2)
    cut = np.sort(negatives)[10]  # 10 negatives (1%) may pass
    assert tar == pytest.approx(np.mean(positives < cut))
    assert tar_at_far(distances, same, 1e-3) is not None
    assert tar_at_far(distances[:200], same[:200], 1e-3) is None  # 99 negatives cannot measure 0.1%


def test_report_and_plot(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    distances = np.concatenate([rng.normal(0.4, 0.08, 300), rng.normal(0.85, 0.08, 3000)])
    same = np.concatenate([np.ones(300, bool), np.zeros(3000, bool)])
    report = calibration_report(distances, same, embedder="test", default_threshold=0.6,
                                plot_path=tmp_path / "roc.png")
    assert report.roc_auc > 0.99 and report.accuracy >= report.accuracy_at_default
    assert 0.5 < report.threshold < 0.75
    assert set(report.tar_at_far) == {"0.01", "0.001"} and report.tar_at_far["0.001"] is not None
    assert (tmp_path / "roc.png").stat().st_size > 10_000
    with pytest.raises(InvalidInput):
        calibration_report(distances[:300], same[:300], embedder="test", default_threshold=0.6)

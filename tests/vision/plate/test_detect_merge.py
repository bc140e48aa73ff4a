"""Merging boxes of several detector passes (test-time multi-scale)."""
from __future__ import annotations

import numpy as np

from vision.plate.detect import Detection, merge_boxes


def test_merge_keeps_most_confident_of_overlapping_boxes() -> None:
    small = np.array([[10, 10, 50, 30, 0.4], [200, 200, 240, 220, 0.05]], dtype=np.float32)
    large = np.array([[11, 10, 51, 31, 0.7]], dtype=np.float32)
    merged = merge_boxes([small, large, np.zeros((0, 5), dtype=np.float32)], iou=0.5, max_det=10)
    assert merged == [Detection(11.0, 10.0, 51.0, 31.0, merged[0].confidence), Detection(200.0, 200.0, 240.0, 220.0,
                                                                                       merged[1].confidence)]
    assert abs(merged[0].confidence - 0.7) < 1e-6 and abs(merged[1].confidence - 0.05) < 1e-6


def test_merge_caps_and_handles_no_boxes() -> None:
    rows = np.array([[i * 100, 0, i * 100 + 50, 20, 0.1 * (i + 1)] for i in range(5)], dtype=np.float32)
    merged = merge_boxes([rows], iou=0.5, max_det=2)
    assert [round(d.confidence, 2) for d in merged] == [0.5, 0.4]
    assert merge_boxes([np.zeros((0, 5), dtype=np.float32)], iou=0.5, max_det=5) == []


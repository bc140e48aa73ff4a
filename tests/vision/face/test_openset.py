"""Open-set identification metrics, the DET curve, FAR-targeted thresholds, and the degradation generator."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vision.face.calibrate import threshold_for_far
from vision.face.degrade import CONDITIONS, degrade
from vision.face.openset import OpenSetScores, open_set_values, plot_det


def _scores() -> OpenSetScores:
    rng = np.random.default_rng(0)
    strangers = rng.uniform(0.55, 1.0, size=200)
    known = np.concatenate([rng.uniform(0.2, 0.6, size=90), [np.inf] * 10])
    correct = np.array([True] * 85 + [False] * 5 + [False] * 10)
    return OpenSetScores(known, correct, strangers)


def test_identification_at_far_uses_stranger_quantile() -> None:
    s = _scores()
    t = s.threshold_at_far(0.01)
    assert t is not None and s.false_accept_rate(t) <= 0.01
    assert s.false_accepts(np.nextafter(np.sort(s.stranger_distance)[2], np.inf)) > 2  # the next one is over
    assert s.threshold_at_far(0.001) is None  # 200 strangers cannot measure 0.1 %
    values, intervals, details = open_set_values(s, 0.6)
    assert values["identification_rate_at_far_0.01"] == s.identified(t) / 100
    lo, hi = intervals["identification_rate_at_far_0.01"]
    assert lo <= values["identification_rate_at_far_0.01"] <= hi
    assert "not measurable" in str(details["identification_rate_at_far_0.001"])
    assert values["identification_rate"] <= 0.85  # never above the share named correctly


def test_det_curve_is_monotone(tmp_path: Path) -> None:
    s = _scores()
    _, far, fnir = s.det_curve()
    assert np.all(np.diff(far) >= 0) and np.all(np.diff(fnir) <= 0)
    assert plot_det({"a": s}, tmp_path / "det.png", threshold=0.6).stat().st_size > 1000


def test_threshold_for_far_on_pairs() -> None:
    distances = np.array([0.3, 0.4] + list(np.linspace(0.5, 1.5, 100)))
    same = np.array([True, True] + [False] * 100)
    t = threshold_for_far(distances, same, 0.01)
    assert t is not None and np.sum(distances[~same] <= t) == 1
    assert threshold_for_far(distances, same, 0.001) is None


def test_degradations_are_seeded_and_change_the_image() -> None:
    rng = np.random.default_rng(1)
    crop = Image.fromarray(rng.integers(0, 256, size=(300, 300, 3), dtype=np.uint8))
    for condition in CONDITIONS:
        a = np.asarray(degrade(crop, 100.0, condition.name, face_index=3))
        b = np.asarray(degrade(crop, 100.0, condition.name, face_index=3))
        assert np.array_equal(a, b), condition.name
    small = degrade(crop, 100.0, "size32")
    assert small.width == pytest.approx(96, abs=1)  # face 100 px -> 32 px: the crop shrinks by 0.32
    assert not np.array_equal(np.asarray(degrade(crop, 100.0, "motion9", face_index=1)),
                              np.asarray(degrade(crop, 100.0, "motion9", face_index=2)))  # random angle per face

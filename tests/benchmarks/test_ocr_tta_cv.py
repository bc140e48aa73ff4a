"""The test-time crop variants benchmark: which reading of a line a method keeps, and the crop variants."""
from __future__ import annotations

import numpy as np

from benchmarks.ocr_tta_cv import Method, _gamma, _stretch


def _row(engine: float, stretch: float, gamma: float) -> dict:
    return {"engine": ("OWN", engine, []), "stretch": ("STRETCH", stretch, []), "gamma": ("GAMMA", gamma, [])}


def test_max_keeps_the_most_confident_reading_and_a_gate_keeps_confident_own_readings() -> None:
    assert Method(("engine", "stretch", "gamma")).choose(_row(0.7, 0.9, 0.8))[0] == "STRETCH"
    assert Method(("engine", "stretch")).choose(_row(0.95, 0.9, 0.99))[0] == "OWN"
    assert Method(("engine", "gamma"), below=0.9).choose(_row(0.92, 0.5, 0.99))[0] == "OWN"  # not re-read
    assert Method(("engine", "gamma"), below=0.9).choose(_row(0.85, 0.5, 0.99))[0] == "GAMMA"
    blank = {"engine": ("OWN", 0.6, []), "stretch": (" ", 0.99, [])}
    assert Method(("engine", "stretch")).choose(blank)[0] == "OWN"  # a blank reading never wins
    assert Method(("gamma",)).name() == "gamma" and Method(("engine", "gamma"), 0.8).name() == "max(engine,gamma)@0.8"


def test_variants_stretch_contrast_and_darken_faint_strokes() -> None:
    faint = np.full((10, 40, 3), 200, np.uint8)
    faint[3:7, 5:35] = 150  # grey strokes on a light ground
    stretched = _stretch(faint)
    assert stretched.min() == 0 and stretched.max() == 255
    assert (_gamma(faint)[4, 10] < faint[4, 10]).all() and _gamma(faint).dtype == np.uint8
    flat = np.full((5, 5, 3), 128, np.uint8)
    assert (_stretch(flat) == flat).all()  # nothing to stretch

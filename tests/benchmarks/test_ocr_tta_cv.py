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


def test_a_nearly_read_point_is_restored_only_between_digits() -> None:
    from benchmarks.ocr_decimal_cv import Rescue, rescued_chars
    from vision.ocr.recognisers import CtcChar

    # columns: 3 _ 2 _ 7 _ _ 0 _ 0 ; the blank column 5 holds a faint point
    best = np.array([5, 0, 4, 0, 9, 0, 0, 1, 0, 1])
    pdot = np.zeros(10)
    pdot[5] = 0.3
    width = len(best)
    chars = tuple(CtcChar(t, (c + 0.5) / width, 0.99) for t, c in zip("32700", (0, 2, 4, 7, 9)))
    columns = (best, np.ones(10), pdot)
    assert "".join(c.text for c in rescued_chars(chars, columns, Rescue(0.2, "amount"))) == "327.00"
    assert "".join(c.text for c in rescued_chars(chars, columns, Rescue(0.4, "digits"))) == "32700"  # too faint
    letters = tuple(CtcChar(t, c.centre, c.confidence) for t, c in zip("AB7CD", chars))
    assert "".join(c.text for c in rescued_chars(letters, columns, Rescue(0.2, "digits"))) == "AB7CD"  # not digits
    six = tuple(CtcChar(t, (c + 0.5) / width, 0.99) for t, c in zip("327000", (0, 2, 4, 7, 8, 9)))
    assert "".join(c.text for c in rescued_chars(six, columns, Rescue(0.2, "digits"))) == "327.000"
    assert "".join(c.text for c in rescued_chars(six, columns, Rescue(0.2, "amount"))) == "327000"  # not a price

"""A trailing ':'/';' that the ink shows as one mark becomes '.'/','."""
from __future__ import annotations

import numpy as np

from vision.ocr.punctuation import fix_trailing_mark


def _word(mark: str) -> np.ndarray:
    crop = np.full((48, 80), 255, np.uint8)
    crop[12:36, 4:50] = 0  # the letters
    if mark in ".:":
        crop[31:36, 58:63] = 0
    if mark in ",;":
        crop[31:42, 58:62] = 0
    if mark in ":;":
        crop[18:23, 58:63] = 0
    return crop


def test_single_marks_become_stop_or_comma() -> None:
    assert fix_trailing_mark("done:", _word(".")) == "done."
    assert fix_trailing_mark("done;", _word(",")) == "done,"


def test_real_colons_and_other_words_are_kept() -> None:
    assert fix_trailing_mark("done:", _word(":")) == "done:"
    assert fix_trailing_mark("done;", _word(";")) == "done;"
    assert fix_trailing_mark("done", _word(".")) == "done"
    assert fix_trailing_mark(":", _word(".")) == ":"

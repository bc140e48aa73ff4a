"""The boundary benchmark's labels: read characters aligned to the transcription they cover."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.ocr_boundary_cv import align, label_line, truth_chars
from benchmarks.ocr_spacing_cv import CachedLine
from vision.ocr.labelled import LabelledPage, TruthLine
from vision.ocr.ppocr import CtcChar, PpLine


def test_alignment_skips_the_transcription_around_a_partial_line() -> None:
    assert align(list("TOTAL:"), list("XXTOTAL:9")) == ([2, 3, 4, 5, 6, 7], 0)
    aligned, cost = align(list("T0TAL"), list("TOTAL"))
    assert aligned == [0, 1, 2, 3, 4] and cost == 1


def test_pairs_are_labelled_with_the_transcribed_spaces_and_misread_ones_left_out() -> None:
    page = LabelledPage("001", Path("001.jpg"), [TruthLine((0, 0, 60, 10), "Total :"),
                                                 TruthLine((70, 0, 100, 10), "9.00"),
                                                 TruthLine((0, 40, 100, 50), "elsewhere")])
    quad = ((0.0, 0.0), (100.0, 0.0), (100.0, 10.0), (0.0, 10.0))
    assert truth_chars(page, quad) == (list("TOTAL:9.00"), [True, False, False, False, False, True, True, False,
                                                            False, False])
    read = "TOTAL:9X00"
    chars = tuple(CtcChar(t, (k + 0.5) / len(read), 0.9) for k, t in enumerate(read))
    line = label_line(CachedLine(PpLine(quad, read, 0.9, chars), np.full((10, 100), 255, np.uint8)), page)
    assert list(line.labels) == [0, 0, 0, 0, 1, 1, 0, 0, 0]  # the misread "X" still sits between 9 and 0
    wrong = CachedLine(PpLine(quad, "ABCDEFGH", 0.9, tuple(CtcChar(t, k / 8, 0.9) for k, t in enumerate("ABCDEFGH"))),
                       np.full((10, 100), 255, np.uint8))
    assert np.isnan(label_line(wrong, page).labels).all()  # a line that does not match is not learned from

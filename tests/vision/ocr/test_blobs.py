"""Lone marks outside the detected lines (``blobs.unboxed_groups``) and the vocabulary's one-character
substitution (``Vocabulary.substitute``)."""
from __future__ import annotations

import numpy as np
import pytest

from vision.ocr.blobs import median_line_height, unboxed_groups
from vision.ocr.lexicon import Vocabulary
from vision.ocr.ppocr import apply_vocabulary
from vision.ocr.tesseract import TesseractWord

WORD_QUAD = ((8.0, 18.0), (62.0, 18.0), (62.0, 38.0), (8.0, 38.0))


def _page() -> np.ndarray:
    page = np.full((80, 300), 255, np.uint8)
    page[22:34, 10:60] = 0  # a word inside the detected line
    return page


def test_a_colon_beside_a_detected_word_is_one_group() -> None:
    page = _page()
    page[22:26, 100:104] = 0
    page[30:34, 100:104] = 0
    assert median_line_height([WORD_QUAD]) == 20.0
    assert unboxed_groups(page, [WORD_QUAD]) == [(100, 22, 104, 34)]


def test_boxed_ink_specks_and_large_marks_are_not_groups() -> None:
    page = _page()
    page[26, 150] = 0  # a one-pixel speck
    page[5:75, 200:260] = 0  # a logo taller than a line
    page[36:39, 58:62] = 0  # ink just under the detected line, inside its margin
    assert unboxed_groups(page, [WORD_QUAD]) == []
    assert unboxed_groups(page, []) == []


def test_substitute_replaces_only_a_unique_word_one_character_away() -> None:
    vocab = Vocabulary(frozenset({"TOTAL", "ITEM(6)", "AMOUNT", "AMOUNTS", "BAKED", "BAKER"}))
    assert vocab.substitute("TOTAI") == "TOTAL"
    assert vocab.substitute("LTEM(6)") == "ITEM(6)"
    assert vocab.substitute("Totai") == "Total"  # case kept position by position
    assert vocab.substitute("BAKEX") == "BAKEX"  # BAKED and BAKER are both one away
    assert vocab.substitute("TOTA") == "TOTA"  # too short
    assert vocab.substitute("AMOUNT") == "AMOUNT"  # already a word
    assert vocab.substitute("12.50") == "12.50"  # no letter
    words = [TesseractWord(t, (0.0, 0.0, 10.0, 10.0), 0.9, 1, 1, 1) for t in ("TOTAI", "12.50")]
    assert [w.text for w in apply_vocabulary(words, vocab)] == ["TOTAL", "12.50"]


def test_engine_reads_a_lone_colon_outside_the_detected_line() -> None:
    pytest.importorskip("rapidocr_onnxruntime", reason="pip install rapidocr-onnxruntime (the ocr extra)")
    from PIL import Image, ImageDraw

    from tests.vision.ocr.drawing import mono_font
    from vision.ocr.ppocr import PpOcrEngine

    font = mono_font(28)
    image = Image.new("RGB", (360, 80), "white")
    draw = ImageDraw.Draw(image)
    draw.text((20, 20), "Code", font=font, fill="black")
    draw.text((220, 20), ":", font=font, fill="black")
    x1, y1, x2, y2 = draw.textbbox((20, 20), "Code", font=font)
    quad = ((x1 - 4.0, y1 - 6.0), (x2 + 4.0, y1 - 6.0), (x2 + 4.0, y2 + 6.0), (x1 - 4.0, y2 + 6.0))
    rgb = np.asarray(image)
    grey = np.asarray(image.convert("L"))
    marks = PpOcrEngine(threads=1, recogniser="ppocrv4").lone_marks(rgb, grey, [quad], first_line=2)
    assert [(m.text, m.line) for m in marks] == [(":", 2)]
    assert 215 <= marks[0].box[0] < marks[0].box[2] <= 240


def test_a_column_of_colons_and_of_quantities_is_one_group_per_row() -> None:
    """Receipts print a colon or a quantity ``1`` on every row of a column, rows closer than a colon's dots
    are apart: each row's mark stays its own group instead of one tall group that is then dropped."""
    page = _page()
    for top in (22, 42, 62):  # three colons, one per 20-px row (the line height)
        page[top:top + 3, 100:103] = 0
        page[top + 8:top + 11, 100:103] = 0
    for top in (22, 42, 62):  # three "1" strokes, 13 px tall, 7 px apart
        page[top:top + 13, 150:152] = 0
    groups = unboxed_groups(page, [WORD_QUAD])
    assert sorted(groups) == [(100, 22, 103, 33), (100, 42, 103, 53), (100, 62, 103, 73),
                              (150, 22, 152, 35), (150, 42, 152, 55), (150, 62, 152, 75)]


def test_substitution_only_for_words_read_with_little_confidence() -> None:
    vocab = Vocabulary(frozenset({"PRINT", "TOTAL", "CASH"}))
    words = [TesseractWord(t, (0.0, 0.0, 10.0, 10.0), c, 1, 1, 1)
             for t, c in (("PAINT", 0.999), ("TOTAI", 0.9), ("CASI", 0.5), ("CAS", 0.5))]
    # a confidently read word stays even one character off a vocabulary word (PAINT is not PRINT)
    assert [w.text for w in apply_vocabulary(words, vocab)] == ["PAINT", "TOTAL", "CASH", "CAS"]
    assert [w.text for w in apply_vocabulary(words, vocab, substitute_below=2.0)] == ["PRINT", "TOTAL", "CASH", "CAS"]

"""Printed spaces restored from the ink (PP-OCR drops them), and 0/O confusions fixed from word context."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.vision.ocr.drawing import mono_font
from vision.ocr.confusions import fix_text, fix_word
from vision.ocr.ppocr import CtcChar, PpLine, crop_quad, line_words
from vision.ocr.recognisers import ctc_decode
from vision.ocr.spacing import break_positions, ink_gaps, word_spans


def _line(text: str, size: int = 28) -> tuple[np.ndarray, list[float]]:
    """A greyscale crop of ``text`` in a fixed-pitch font and each character's centre (pixels)."""
    font = mono_font(size)
    width = int(font.getlength(text)) + 2 * size
    image = Image.new("L", (width, int(size * 1.6)), 255)
    ImageDraw.Draw(image).text((size, size // 4), text, font=font, fill=0)
    centres = [size + font.getlength(text[:k]) + font.getlength(text[k]) / 2 for k in range(len(text))]
    return np.asarray(image), centres


def test_the_space_of_fixed_pitch_print_is_found_and_letter_gaps_are_not() -> None:
    crop, centres = _line("GST SUMMARY")
    gaps = ink_gaps(crop)
    assert len(gaps) == 1
    assert centres[2] < (gaps[0][0] + gaps[0][1]) / 2 < centres[4]
    letters = [c for k, c in enumerate(centres) if k != 3]
    assert break_positions(letters, gaps) == [3]


def test_a_colon_set_off_by_a_space_becomes_its_own_word() -> None:
    crop, centres = _line("DATE : 12/06")
    texts = [c for c in "DATE : 12/06"]
    # the recogniser read the characters but no space: drop the spaces from what it "read"
    kept = [k for k, t in enumerate(texts) if t != " "]
    spans = word_spans([texts[k] for k in kept], [centres[k] for k in kept], ink_gaps(crop))
    words = ["".join(texts[kept[k]] for k in range(a, b)) for a, b in spans]
    assert words == ["DATE", ":", "12/06"]


def test_a_colon_printed_against_its_word_stays_attached() -> None:
    crop, centres = _line("TEL:07-3507405")
    texts = list("TEL:07-3507405")
    assert word_spans(texts, centres, ink_gaps(crop)) == [(0, len(texts))]


def test_line_words_split_an_unspaced_reading_and_box_each_word() -> None:
    crop, centres = _line("TOTAL QTY 1.00")
    height, width = crop.shape
    text = "TOTALQTY1.00"
    positions = [c for k, c in enumerate(centres) if "TOTAL QTY 1.00"[k] != " "]
    chars = tuple(CtcChar(t, x / width, 0.9) for t, x in zip(text, positions))
    quad = ((100.0, 50.0), (100.0 + width, 50.0), (100.0 + width, 50.0 + height), (100.0, 50.0 + height))
    line = PpLine(quad=quad, text=text, confidence=0.9, chars=chars)
    words = line_words(line, crop_quad(np.pad(crop, ((50, 10), (100, 10)), constant_values=255), quad), 3)
    assert [w.text for w in words] == ["TOTAL", "QTY", "1.00"]
    assert all(w.line == 3 for w in words)
    assert words[0].box[0] >= 100 and words[0].box[2] < words[1].box[0] < words[2].box[0] <= 100 + width


def test_ctc_decode_keeps_where_each_character_was_read() -> None:
    probs = np.zeros((8, 4))
    probs[[0, 3, 4, 7], 0] = 1.0
    probs[[1, 2], 1] = 0.9
    probs[5, 2] = 0.8
    probs[6, 3] = 0.7
    assert ctc_decode(probs, ["", "A", ":", "B"], 8) == [("A", 1.5, 0.9), (":", 5.0, 0.8), ("B", 6.0, 0.7)]
    assert ctc_decode(probs, ["", "A", ":", "B"], 4) == [("A", 1.5, 0.9)]  # padding columns ignored


@pytest.mark.parametrize(("read", "fixed"), [
    ("L0T", "LOT"), ("B0ARD", "BOARD"), ("AUT0", "AUTO"), ("N0:", "NO:"), ("(C0.REG", "(CO.REG"),
    ("1O.OO", "10.00"), ("SH01", "SH01"), ("M026588", "M026588"), ("0.00", "0.00"), ("ZK09", "ZK09"),
])
def test_zero_and_o_follow_the_rest_of_the_word(read: str, fixed: str) -> None:
    assert fix_word(read) == fixed


def test_fix_text_keeps_the_spacing() -> None:
    assert fix_text("N0:  12 B0X") == "NO:  12 BOX"


def _cells(text: str, pitch: int = 12, height: int = 20) -> tuple[np.ndarray, list[float]]:
    """A crop of fixed-pitch "print": each character a block filling its cell but a 2-px gap, ``1`` a 2-px
    stroke in the middle of its cell (the narrow glyph that leaves a space-wide blank beside it)."""
    crop = np.full((height, pitch * (len(text) + 2)), 255, np.uint8)
    centres = []
    for k, char in enumerate(text):
        left = pitch * (k + 1)
        centres.append(left + pitch / 2)
        if char == "1":
            crop[3:height - 3, left + pitch // 2 - 1:left + pitch // 2 + 1] = 0
        elif char != " ":
            crop[3:height - 3, left + 1:left + pitch - 1] = 0
    return crop, centres


def test_a_narrow_one_between_digits_does_not_split_the_number() -> None:
    crop, centres = _cells("0021168")
    texts = list("0021168")
    gaps = ink_gaps(crop)
    assert gaps, "the blank beside the narrow 1 is as wide as a printed space"
    assert len(word_spans(texts, centres, gaps)) > 1  # without the digit rule the number is cut
    assert word_spans(texts, centres, gaps, digit_pitches=1.4) == [(0, len(texts))]


def test_a_space_between_numbers_and_a_gap_beside_letters_still_break() -> None:
    crop, centres = _cells("12 34")
    texts = [t for t in "12 34"]
    kept = [k for k, t in enumerate(texts) if t != " "]
    spans = word_spans([texts[k] for k in kept], [centres[k] for k in kept], ink_gaps(crop), digit_pitches=1.4)
    assert spans == [(0, 2), (2, 4)]  # two pitches apart: a printed space
    crop, centres = _cells("ABC1DEF")
    assert word_spans(list("ABC1DEF"), centres, ink_gaps(crop), digit_pitches=1.4) != [(0, 7)]  # letters: ink decides


def test_a_time_keeps_its_colon() -> None:
    _, centres = _line("21:28")
    texts = list("21:28")
    gaps = [(int(centres[1]) + 2, int(centres[3]) - 2)]  # a blank as wide as the whole colon cell
    assert word_spans(texts, centres, gaps) == [(0, 5)]
    assert word_spans(list("AB:CD"), centres, gaps) != [(0, 5)]  # between letters the colon may stand apart


def test_line_words_keep_a_number_with_a_narrow_one_together() -> None:
    crop, centres = _cells("002116")
    height, width = crop.shape
    chars = tuple(CtcChar(t, x / width, 0.99) for t, x in zip("002116", centres))
    quad = ((0.0, 0.0), (float(width), 0.0), (float(width), float(height)), (0.0, float(height)))
    line = PpLine(quad=quad, text="002116", confidence=0.99, chars=chars)
    assert [w.text for w in line_words(line, crop, 1)] == ["002116"]


def test_blank_runs_keep_every_inner_run_and_the_rules_split_into_breaks_and_spans() -> None:
    from vision.ocr.spacing import blank_runs, rule_breaks, spans_at

    crop, centres = _cells("AB CD")
    runs, ink_height = blank_runs(crop)
    assert ink_height == crop.shape[0] - 6
    assert runs == [(23, 25), (35, 49), (59, 61)]  # two letter gaps and the space; not the margins
    texts = list("ABCD")
    kept = [centres[k] for k in (0, 1, 3, 4)]
    assert rule_breaks(texts, kept, ink_gaps(crop)) == {2}
    assert spans_at(texts, {2}) == word_spans(texts, kept, ink_gaps(crop)) == [(0, 2), (2, 4)]

"""The Tesseract engine: TSV parsing, a missing binary, and a rendered page read through OcrReader(engine=...)."""
from __future__ import annotations

from dataclasses import replace

import pytest

from core.errors import WeightsUnavailable
from vision.ocr.metrics import character_error_rate
from vision.ocr.synth import PageSpec, render_page
from vision.ocr.tesseract import TesseractEngine, find_binary, parse_tsv

HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"


def test_tsv_rows_become_words_in_order() -> None:
    rows = [HEADER, "1\t1\t0\t0\t0\t0\t0\t0\t100\t50\t-1\t", "5\t1\t1\t1\t1\t1\t10\t20\t30\t12\t91.5\tHello",
            "5\t1\t1\t1\t1\t2\t45\t20\t30\t12\t-1\t ", "5\t1\t2\t1\t1\t1\t10\t40\t30\t12\t50\tWorld"]
    tsv = "\n".join(rows)
    words = parse_tsv(tsv)
    assert [w.text for w in words] == ["Hello", "World"]
    assert words[0].box == (10.0, 20.0, 40.0, 32.0) and words[0].confidence == pytest.approx(0.915)
    assert words[1].line_key == (2, 1, 1)


def test_missing_binary_says_what_to_install() -> None:
    with pytest.raises(WeightsUnavailable, match="apt-get install"):
        TesseractEngine(binary="tesseract-not-installed-here")


@pytest.mark.skipif(find_binary() is None, reason="tesseract-ocr is not installed (apt-get install tesseract-ocr)")
def test_reader_with_the_tesseract_engine_reads_a_rendered_page() -> None:
    from vision.ocr.reader import OcrReader

    page = render_page(replace(PageSpec(), dpi=200, height_in=2.0, columns=1), seed=3)
    reader = OcrReader(engine="tesseract", device="cpu").load()
    assert reader.engine is None  # easyocr is not loaded for the tesseract engine
    result = reader.predict([page.image])[0]
    assert character_error_rate(page.text, result.text) < 0.03
    assert result.lines and all(line.words for line in result.lines)
    assert result.width == page.image.width

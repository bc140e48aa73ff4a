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


def _receipt_png() -> bytes:
    import io

    from PIL import Image, ImageDraw

    from vision.ocr.synth import _font

    font = _font("DejaVuSans", 28)
    lines = [("ABC HARDWARE SDN BHD", 0), ("NO 5, JALAN BESAR,", 0), ("81100 JOHOR BAHRU, JOHOR.", 0),
             ("TEL: 07-1234567", 0), ("DATE: 19/10/2018", 0), ("SUBTOTAL", 0), ("60.28", 420),
             ("TOTAL ROUNDED", 0), ("RM 60.30", 420), ("CASH RM 100.00", 0)]
    image = Image.new("L", (640, 60 + 46 * 8), 255)
    draw = ImageDraw.Draw(image)
    row = 0
    for text, x in lines:
        if x == 0 and text != lines[0][0]:
            row += 1
        draw.text((30 + x, 30 + 46 * row), text, font=font, fill=0)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.skipif(find_binary() is None, reason="tesseract-ocr is not installed (apt-get install tesseract-ocr)")
def test_extract_returns_typed_fields_with_boxes() -> None:
    import base64

    from core.errors import InvalidInput
    from vision.ocr.reader import OcrReader
    from vision.ocr.schemas import ExtractRequest

    reader = OcrReader(engine="tesseract", device="cpu", extract_engine="tesseract").load()
    request = ExtractRequest.model_validate({"document": base64.b64encode(_receipt_png()).decode()})
    result = reader.extract(request)
    total, when = result.get("total"), result.get("date")
    assert total is not None and str(total.amount) == "60.30" and total.currency == "MYR" and total.box is not None
    assert when is not None and when.value == "2018-10-19" and when.page == 1
    assert [f.name for f in result.fields] == ["company", "date", "address", "total"]
    with pytest.raises(InvalidInput):
        reader.extract(ExtractRequest(document=base64.b64encode(b"not an image")))


@pytest.mark.skipif(find_binary() is None, reason="tesseract-ocr is not installed (apt-get install tesseract-ocr)")
def test_xycut_keeps_columns_that_tesseracts_own_layout_interleaves() -> None:
    """A short two-column scan (development seed): Tesseract's page layout reads it line by line across
    the gutter; the XY-cut over Tesseract's words and lines reads column 1, then column 2."""
    from vision.ocr.reader import OcrReader
    from vision.ocr.scans import DEV_SEED, two_column_scans

    sample = two_column_scans(1, seed=DEV_SEED, base=PageSpec(dpi=150, height_in=2.5, columns=2)).samples[0]
    own = OcrReader(engine="tesseract", tesseract_layout="tesseract").load().predict([sample.image])[0]
    ours = OcrReader(engine="tesseract").load().predict([sample.image])[0]
    assert character_error_rate(sample.text, own.text) > 0.2  # the interleaving this option exists for
    assert character_error_rate(sample.text, ours.text) < 0.02


@pytest.mark.skipif(find_binary() is None, reason="tesseract-ocr is not installed (apt-get install tesseract-ocr)")
def test_threads_option_reaches_tesseract_and_the_extract_reader() -> None:
    from vision.ocr.reader import OcrReader

    assert OcrReader(engine="tesseract", device="cpu").load().tesseract.threads == 1  # the default: one thread
    reader = OcrReader(engine="tesseract", device="cpu", threads=2, extract_engine="tesseract").load()
    assert reader.tesseract is not None and reader.tesseract.threads == 2
    extractor = reader._extract_reader()
    assert extractor.tesseract is not None and extractor.tesseract.threads == 2

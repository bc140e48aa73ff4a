"""The PP-OCR engine (rapidocr-onnxruntime's bundled PP-OCRv4 models): a missing package, a rendered receipt
read through OcrReader(engine="ppocr") with its printed spaces, and the receipt vocabulary."""
from __future__ import annotations

import io
import sys

import pytest
from PIL import Image, ImageDraw, ImageFont

from core.errors import InvalidInput, WeightsUnavailable
from vision.ocr.lexicon import Vocabulary, build_vocabulary, bundled_vocabulary
from vision.ocr.synth import font_path

LINES = ["GST SUMMARY", "TOTAL QTY : 2", "CASH        60.30", "THANK YOU. PLEASE COME AGAIN"]


def _receipt(size: int = 26) -> Image.Image:
    try:
        font = ImageFont.truetype(str(font_path("DejaVuSansMono")), size)
    except InvalidInput:
        pytest.skip("DejaVu Sans Mono is not installed (apt-get install fonts-dejavu-core)")
    image = Image.new("RGB", (40 + int(font.getlength(max(LINES, key=len))) + 40, 40 + 48 * len(LINES)), "white")
    draw = ImageDraw.Draw(image)
    for k, line in enumerate(LINES):
        draw.text((40, 24 + 48 * k), line, font=font, fill="black")
    return image


def test_missing_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from vision.ocr.ppocr import PpOcrEngine

    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    with pytest.raises(WeightsUnavailable, match="pip install rapidocr-onnxruntime"):
        PpOcrEngine()


def test_reader_with_the_ppocr_engine_keeps_printed_spaces() -> None:
    pytest.importorskip("rapidocr_onnxruntime", reason="pip install rapidocr-onnxruntime (the ocr extra)")
    from vision.ocr.reader import OcrReader

    buffer = io.BytesIO()
    _receipt().save(buffer, "PNG")
    reader = OcrReader(engine="ppocr", device="cpu", ppocr_vocabulary=False).load()
    result = reader.predict([buffer.getvalue()])[0]
    words = result.text.upper().split()
    # the detector boxes "YOU. PLEASE" as one line and the recogniser reads no space: the ink puts it back
    for expected in ("GST", "SUMMARY", "TOTAL", "CASH", "60.30", "YOU.", "PLEASE", "COME", "AGAIN"):
        assert expected in words, (expected, result.text)
    assert all(line.words and all(w.box.x2 > w.box.x1 for w in line.words) for line in result.lines)


def test_vocabulary_splits_and_joins_only_with_known_words() -> None:
    vocab = build_vocabulary(["SIMPLIFIED TAX INVOICE", "BAHRU,JOHOR", "THANK YOU."])
    assert vocab.correct_text("SIMPLIFIEDTAXINVOICE BAHRU, JOHOR") == "SIMPLIFIED TAX INVOICE BAHRU,JOHOR"
    assert vocab.correct_text("THANKYOU. TAXES 10.00") == "THANK YOU. TAXES 10.00"
    assert Vocabulary(frozenset({"AB", "CD"})).correct_text("ABCD") == "ABCD"  # too short to split
    assert build_vocabulary(["A B", "A"], min_count=2).words == frozenset({"A"})


def test_bundled_vocabulary_is_the_tuning_receipts_words() -> None:
    words = bundled_vocabulary().words
    assert {"TOTAL", "GST", "SDN", "BHD"} <= words and all(w == w.upper() and " " not in w for w in words)

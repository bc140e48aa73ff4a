"""OcrReader construction, options and weights status (fast: nothing is loaded)."""
from __future__ import annotations

import pytest

from core.errors import ConfigError, ModelLoading
from vision.ocr import OcrOptions, OcrReader
from vision.ocr.spec import SPEC
from vision.ocr.weights import status


def test_construct_stores_only() -> None:
    reader = OcrReader(device="cpu", deskew=True)
    assert not reader.loaded and reader.engine is None and reader.config.deskew
    with pytest.raises(ModelLoading):
        reader.predict([b"x"])


def test_unknown_or_bad_options_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        OcrReader(colour="blue")
    with pytest.raises(ConfigError):
        OcrReader(batch_size=0)
    with pytest.raises(ConfigError):
        OcrReader(threads=0)


def test_other_languages_need_a_local_weights_folder() -> None:
    with pytest.raises(ConfigError, match="weights"):
        OcrReader(languages=["fr"])


def test_defaults_are_json_ready() -> None:
    assert OcrOptions().model_dump()["detect_orientation"] is True


def test_bundled_weights_status_matches_the_spec() -> None:
    if SPEC.missing_requirements():
        pytest.skip("ocr extra not installed")
    assert status().available, status().message


def test_read_document_bounds_pdf_pixels_with_the_callers_max_pixels_before_loading_anything() -> None:
    import io

    import pypdfium2 as pdfium

    from core.errors import PayloadTooLarge

    pdf = pdfium.PdfDocument.new()
    for _ in range(2):
        pdf.new_page(720, 720)  # 2000 x 2000 px at the default 200 dpi
    buf = io.BytesIO()
    pdf.save(buf)
    with pytest.raises(PayloadTooLarge, match="7,000,000 per document"):
        OcrReader(device="cpu").read_document(buf.getvalue(), max_pixels=7_000_000)

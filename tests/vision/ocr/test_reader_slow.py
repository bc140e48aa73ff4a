"""End-to-end reading with the bundled easyocr weights: a real scanned page, small rendered pages, a PDF."""
from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest

from core.errors import InvalidInput
from vision.ocr.metrics import character_error_rate, normalise_text
from vision.ocr.synth import PageSpec, render_page
from vision.ocr.weights import status

pytestmark = pytest.mark.slow

SMALL = PageSpec(size_pt=12, dpi=150, height_in=2.4, columns=2)


@pytest.fixture(scope="module")
def reader():
    if not status().available:
        pytest.skip(f"easyocr weights unavailable: {status().message}")
    from vision.ocr.reader import OcrReader

    return OcrReader(device="cpu").load()


def test_real_scanned_page(reader) -> None:
    """skimage.data.page() is a photographed book page (bundled in scikit-image, read offline)."""
    skimage_data = pytest.importorskip("skimage.data")
    page = skimage_data.page()
    result = reader.predict([page])[0]
    text = normalise_text(result.text).lower()
    for phrase in ("region-based segmentation", "markers of the coins", "background", "histogram",
                   "grey values"):
        assert phrase in text, f"{phrase!r} not read in {result.text!r}"
    assert result.orientation == 0 and result.width == 384 and result.height == 191
    first = result.lines[0]
    assert first.text.lower().startswith("region") and first.box.y1 < 40


def test_two_columns_read_in_order_as_a_batch(reader) -> None:
    pages = [render_page(replace(SMALL, font=font), seed=i) for i, font in enumerate(["DejaVuSans", "FreeSerif"])]
    buf = io.BytesIO()
    pages[1].image.save(buf, "PNG")
    results = reader.predict([np.asarray(pages[0].image), buf.getvalue()])
    for page, result in zip(pages, results):
        assert character_error_rate(page.text, result.text) < 0.03, result.text
        assert {line.block for line in result.lines} >= {0, 1, 2}


def test_a_page_reads_the_same_alone_and_in_a_batch(reader) -> None:
    """easyocr's default int8 dynamic quantization scales activations per batch, so what a page said
    depended on the pages read with it: the second evaluation page lost a full stop in a batch."""
    from vision.ocr.datasets import rendered_pages

    pages = [sample.image for sample in rendered_pages(3).samples]
    alone = [reader.predict([page])[0].text for page in pages]
    together = [result.text for result in reader.predict(pages)]
    assert alone == together


def test_turned_page_is_detected_and_read(reader) -> None:
    page = render_page(replace(SMALL, columns=1, rotation=270, font="LiberationSerif-Regular"), seed=4)
    result = reader.predict([page.image])[0]
    assert result.orientation == 270
    assert character_error_rate(page.text, result.text) < 0.03, result.text
    box = result.lines[0].box  # boxes are on the input: the title runs down the left edge of a 270 page
    assert box.height > box.width and box.x2 <= page.image.size[0]


def test_pdf_page_selection(reader) -> None:
    pages = [render_page(replace(SMALL, columns=1, height_in=2.0), seed=10 + i) for i in range(2)]
    buf = io.BytesIO()
    pages[0].image.save(buf, "PDF", save_all=True, append_images=[pages[1].image], resolution=150)
    document = reader.read_document(buf.getvalue(), "2")
    assert document.n_pages == 2 and [p.page for p in document.pages] == [2]
    assert character_error_rate(pages[1].text, document.pages[0].text) < 0.03
    with pytest.raises(InvalidInput):
        reader.read_document(b"%PDF-1.7 broken", None)


def test_blank_and_tiny_images_read_as_empty(reader) -> None:
    from PIL import Image

    results = reader.predict([np.full((10, 12, 3), 255, np.uint8), Image.new("RGB", (300, 200), "white")])
    assert [r.text for r in results] == ["", ""] and all(r.lines == [] for r in results)
    assert (results[0].width, results[0].height) == (12, 10)


@pytest.mark.skipif(__import__("shutil").which("tesseract") is None, reason="tesseract-ocr is not installed")
def test_combined_engine_reads_a_degraded_two_column_scan_in_order() -> None:
    """Tesseract's layout and reading with easyocr re-reading its unsure words: columns not interleaved."""
    if not status().available:
        pytest.skip(f"easyocr weights unavailable: {status().message}")
    from vision.ocr.reader import OcrReader
    from vision.ocr.scans import two_column_scans

    sample = two_column_scans(1, seed=7, base=PageSpec(dpi=150, height_in=2.5, columns=2)).samples[0]  # dev seed
    reader = OcrReader(engine="combined", device="cpu", recheck_below=0.95).load()
    result = reader.predict([sample.image])[0]
    assert reader.engine is not None and reader.tesseract is not None
    assert character_error_rate(sample.text, result.text) < 0.03
    assert len({line.block for line in result.lines}) >= 2

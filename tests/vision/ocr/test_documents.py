"""Page ranges, PDF rendering and multi-page TIFF decoding; broken documents are InvalidInput."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from core.errors import InvalidInput, PayloadTooLarge
from core.schemas import ImageLimits
from vision.ocr.documents import load_document, parse_pages, render_pdf


def _pages(n: int) -> list[Image.Image]:
    return [Image.new("RGB", (120 + 10 * i, 80), (255, 255 - 40 * i, 255)) for i in range(n)]


def _save(images: list[Image.Image], fmt: str) -> bytes:
    buf = io.BytesIO()
    images[0].save(buf, fmt, save_all=True, append_images=images[1:], **({"resolution": 72} if fmt == "PDF" else {}))
    return buf.getvalue()


@pytest.mark.parametrize(("text", "expected"), [(None, [1, 2, 3, 4]), ("2", [2]), ("1-2,4", [1, 2, 4]),
                                                ("3-", [3, 4]), ("-2", [1, 2]), ("2,2,1", [2, 1])])
def test_parse_pages(text: str | None, expected: list[int]) -> None:
    assert parse_pages(text, 4) == expected


@pytest.mark.parametrize("text", ["0", "5", "3-1", "a", "1-x"])
def test_bad_page_ranges(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_pages(text, 4)


def test_pdf_pages_are_rendered_at_the_requested_dpi() -> None:
    document = load_document(_save(_pages(3), "PDF"), "2-3", dpi=144)
    assert document.n_pages == 3 and document.numbers == [2, 3]
    assert document.images[0].size == (260, 160)  # 130x80 pt page at 2x


def test_multi_page_tiff() -> None:
    document = load_document(_save(_pages(3), "TIFF"), "3")
    assert document.n_pages == 3 and document.images[0].size == (140, 80)


@pytest.mark.parametrize("data", [b"%PDF-1.4 not really a pdf", b"", b"plain text, not a document"])
def test_broken_documents_are_invalid_input(data: bytes) -> None:
    with pytest.raises(InvalidInput):
        load_document(data)


def test_page_beyond_the_document_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="has 2 page"):
        load_document(_save(_pages(2), "PDF"), "3")


def _blank_pdf(n_pages: int, side_pt: float) -> bytes:
    """A blank PDF of ``n_pages`` square pages: ~1 kB whatever its size in pixels."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(n_pages):
        pdf.new_page(side_pt, side_pt)
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def test_blank_5_page_pdf_of_48_mp_pages_is_413_before_rendering() -> None:
    # the /ocr attack: 5 pages of 2494 pt render to 48 MP each at 200 dpi (3.8 GB, ~95 s of CPU before)
    data = _blank_pdf(5, 2494)
    assert len(data) < 2000
    with pytest.raises(PayloadTooLarge, match="pixels") as info:
        render_pdf(data, dpi=200)
    assert info.value.detail["pixels"] > 200_000_000


def test_pdf_pixels_times_pages_follow_the_limits_passed_in() -> None:
    data = _blank_pdf(3, 720)  # 3 pages of 2000 x 2000 px at 200 dpi = 12 MP
    assert len(load_document(data, dpi=200, limits=ImageLimits(max_pixels=12_000_000)).images) == 3
    with pytest.raises(PayloadTooLarge, match="together"):
        load_document(data, dpi=200, limits=ImageLimits(max_pixels=11_000_000))
    with pytest.raises(PayloadTooLarge, match="page 1 "):
        load_document(data, dpi=200, limits=ImageLimits(max_pixels=3_000_000))
    assert load_document(data, "2", dpi=200, limits=ImageLimits(max_pixels=4_000_000)).numbers == [2]
    with pytest.raises(PayloadTooLarge, match="together"):  # a separate budget for a whole document
        load_document(data, dpi=200, limits=ImageLimits(max_pixels=5_000_000, max_document_pixels=8_000_000))


def test_multi_page_tiff_pixels_times_pages_are_bounded_too() -> None:
    data = _save(_pages(4), "TIFF")  # 4 pages of about 10,000 pixels
    with pytest.raises(PayloadTooLarge, match="together"):
        load_document(data, limits=ImageLimits(max_pixels=30_000))

"""Page ranges, PDF rendering and multi-page TIFF decoding; broken documents are InvalidInput."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from core.errors import InvalidInput
from vision.ocr.documents import load_document, parse_pages


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

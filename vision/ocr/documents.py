"""Multi-page inputs: page-range parsing, PDF rendering (pypdfium2) and multi-page TIFF decoding.

>>> parse_pages("1-3,5", 6)
[1, 2, 3, 5]
>>> parse_pages(None, 3)
[1, 2, 3]
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from PIL import Image

from core.errors import InvalidInput, PayloadTooLarge
from core.images import decode_pages
from core.schemas import ImageLimits

log = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
_LIMITS = ImageLimits()


@dataclass
class DocumentPages:
    """The pages asked for, rendered upright, with their 1-based numbers and the document's page count."""

    images: list[Image.Image]
    numbers: list[int]
    n_pages: int


def parse_pages(pages: str | None, n_pages: int) -> list[int]:
    """``"1-3,5"`` -> ``[1, 2, 3, 5]`` (1-based, in the order given, duplicates dropped); ``None`` -> all."""
    if pages is None or not str(pages).strip():
        return list(range(1, n_pages + 1))
    chosen: list[int] = []
    for part in str(pages).split(","):
        part = part.strip()
        try:
            if "-" in part:
                start_text, end_text = part.split("-", 1)
                start = int(start_text) if start_text.strip() else 1
                end = int(end_text) if end_text.strip() else n_pages
            else:
                start = end = int(part)
        except ValueError as exc:
            raise InvalidInput(f"pages {pages!r} is not a list of page numbers or ranges like '1-3,5'") from exc
        if start < 1 or end < start:
            raise InvalidInput(f"page range {part!r} is empty or starts below page 1")
        if end > n_pages:
            raise InvalidInput(f"page {end} asked for, but the document has {n_pages} page(s)")
        chosen.extend(p for p in range(start, end + 1) if p not in chosen)
    return chosen


def is_pdf(data: bytes) -> bool:
    return bytes(data[:1024]).lstrip()[:5] == PDF_MAGIC


def render_pdf(data: bytes, pages: str | None = None, dpi: int = 200, limits: ImageLimits = _LIMITS) -> DocumentPages:
    """Render the chosen pages of a PDF to RGB images at ``dpi``; a broken PDF is ``InvalidInput``.

    Every page's size is read first, and the pixels of each page (``limits.max_pixels``) and of all
    of them together (``limits.document_pixels``) are checked before any page is rendered: a 1 kB
    blank PDF can ask for gigabytes of bitmaps.
    """
    import pypdfium2 as pdfium

    if len(data) > limits.max_bytes:
        raise PayloadTooLarge(f"PDF is {len(data):,} bytes; the limit is {limits.max_bytes:,}")
    try:
        pdf = pdfium.PdfDocument(bytes(data))
    except pdfium.PdfiumError as exc:
        raise InvalidInput(f"not a readable PDF: {exc}") from exc
    try:
        n_pages = len(pdf)
        if n_pages == 0:
            raise InvalidInput("the PDF has no pages")
        numbers = parse_pages(pages, n_pages)
        if len(numbers) > limits.max_pages:
            raise PayloadTooLarge(f"{len(numbers)} pages asked for; the limit is {limits.max_pages}")
        _check_pdf_pixels(pdf, numbers, dpi, limits)
        images = []
        for number in numbers:
            page = pdf[number - 1]
            try:
                bitmap = page.render(scale=dpi / 72)
                images.append(bitmap.to_pil().convert("RGB"))
            except pdfium.PdfiumError as exc:
                raise InvalidInput(f"page {number} of the PDF cannot be rendered: {exc}") from exc
            finally:
                page.close()
        return DocumentPages(images=images, numbers=numbers, n_pages=n_pages)
    finally:
        pdf.close()


def _check_pdf_pixels(pdf: object, numbers: list[int], dpi: int, limits: ImageLimits) -> None:
    """Pixels per page and pixels x pages at ``dpi``, from the page sizes alone (nothing rendered yet)."""
    import pypdfium2 as pdfium

    scale, total = dpi / 72, 0
    for number in numbers:
        try:
            width_pt, height_pt = pdf.get_page_size(number - 1)  # type: ignore[attr-defined]
        except pdfium.PdfiumError as exc:
            raise InvalidInput(f"page {number} of the PDF cannot be read: {exc}") from exc
        if not (math.isfinite(width_pt) and math.isfinite(height_pt)):
            raise InvalidInput(f"page {number} of the PDF has no valid size")
        pixels = math.ceil(abs(width_pt) * scale) * math.ceil(abs(height_pt) * scale)  # as pdfium renders it
        if pixels > limits.max_pixels:
            raise PayloadTooLarge(f"page {number} at {dpi} dpi is {pixels:,} pixels; the limit is "
                                  f"{limits.max_pixels:,} per page", page=number, pixels=pixels,
                                  limit=limits.max_pixels)
        total += pixels
    if total > limits.document_pixels:
        raise PayloadTooLarge(
            f"{len(numbers)} pages at {dpi} dpi are {total:,} pixels together; the limit is "
            f"{limits.document_pixels:,} per document (ask for fewer pages, e.g. pages=1-3)",
            pixels=total, limit=limits.document_pixels)


def load_document(data: bytes, pages: str | None = None, dpi: int = 200, limits: ImageLimits = _LIMITS
                  ) -> DocumentPages:
    """A PDF (rendered at ``dpi``) or any image core accepts (every TIFF page), restricted to ``pages``.

    ``limits`` bound bytes, pixels per page and pixels x pages (serving passes the deployment's
    ``max_bytes`` and ``max_pixels``); a document over them is ``PayloadTooLarge``.
    """
    data = bytes(data)
    if not data:
        raise InvalidInput("document is empty (0 bytes)")
    if is_pdf(data):
        return render_pdf(data, pages, dpi, limits)
    images = decode_pages(data, limits)
    numbers = parse_pages(pages, len(images))
    return DocumentPages(images=[images[n - 1] for n in numbers], numbers=numbers, n_pages=len(images))

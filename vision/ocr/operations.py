"""The OCR task's operations beside ``predict``: read a whole document (image, multi-page TIFF or PDF)."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import AliasChoices, Field

from core.operations import File, OperationContext, OperationRequest
from vision.ocr.schemas import DocumentResult


class ReadRequest(OperationRequest):
    """One file (``image`` or ``file``): an image, a multi-page TIFF or a PDF; ``pages`` like ``1-3,5``."""

    image: Annotated[bytes, File()] = Field(validation_alias=AliasChoices("image", "file"))
    pages: str | None = Field(None, max_length=200, pattern=r"^[0-9,\- ]+$",
                              description="pages to read, 1-based, like '1-3,5' (all when absent)")


def read(reader: Any, request: ReadRequest, context: OperationContext) -> DocumentResult:
    """Every page asked for, in reading order; a plain image is a one-page document (same schema as a PDF)."""
    return reader.read_document(request.image, request.pages, max_bytes=context.max_bytes,
                                max_pixels=context.max_pixels)

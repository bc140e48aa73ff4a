"""The OCR task's operations beside ``predict``: read a whole document (image, multi-page TIFF or PDF)."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import AliasChoices, Field

from core.operations import File, OperationContext, OperationRequest
from vision.ocr.schemas import DocumentResult, ExtractResult


class ReadRequest(OperationRequest):
    """One file (``image`` or ``file``): an image, a multi-page TIFF or a PDF; ``pages`` like ``1-3,5``."""

    image: Annotated[bytes, File()] = Field(validation_alias=AliasChoices("image", "file"))
    pages: str | None = Field(None, max_length=200, pattern=r"^[0-9,\- ]+$",
                              description="pages to read, 1-based, like '1-3,5' (all when absent)")


class ExtractFieldsRequest(OperationRequest):
    """A receipt or invoice (``image`` or ``file``: image or PDF), ``pages``, and optionally a client's own
    ``field_set`` as YAML or JSON text (names, kinds, anchors, patterns; the receipt set when absent)."""

    image: Annotated[bytes, File()] = Field(validation_alias=AliasChoices("image", "file"))
    pages: str | None = Field(None, max_length=200, pattern=r"^[0-9,\- ]+$",
                              description="pages to read, 1-based, like '1-2' (all when absent)")
    field_set: str | None = Field(None, max_length=100_000, description="a field set as YAML or JSON text")


def extract(reader: Any, request: ExtractFieldsRequest, context: OperationContext) -> ExtractResult:
    """Key fields (company, date as ISO 8601, address, total as a decimal with its currency by default),
    each with its text, confidence, box and page."""
    import base64

    from core.errors import InvalidInput
    from vision.ocr.fields import parse_field_set
    from vision.ocr.schemas import ExtractRequest

    field_set = (parse_field_set(request.field_set, "in the request", InvalidInput)
                 if request.field_set is not None else None)
    document = ExtractRequest(document=base64.b64encode(request.image), pages=request.pages, field_set=field_set)
    return reader.extract(document, max_bytes=context.max_bytes, max_pixels=context.max_pixels)


def read(reader: Any, request: ReadRequest, context: OperationContext) -> DocumentResult:
    """Every page asked for, in reading order; a plain image is a one-page document (same schema as a PDF)."""
    return reader.read_document(request.image, request.pages, max_bytes=context.max_bytes,
                                max_pixels=context.max_pixels)

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


def _field_set(text: str) -> Any:
    """A client's field set from the request; every problem is the caller's (400), never a crash."""
    import re

    import yaml
    from pydantic import ValidationError

    from core.errors import InvalidInput
    from vision.ocr.schemas import FieldSet

    try:
        field_set = FieldSet.model_validate(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise InvalidInput(f"field_set is not valid YAML or JSON: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
                             for e in exc.errors(include_url=False, include_input=False)[:10])
        raise InvalidInput(f"invalid field_set: {problems}") from exc
    for spec in field_set.fields:
        for pattern in spec.patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InvalidInput(f"field_set: field {spec.name!r} pattern {pattern[:80]!r}: {exc}") from exc
    return field_set


def extract(reader: Any, request: ExtractFieldsRequest, context: OperationContext) -> ExtractResult:
    """Key fields (company, date as ISO 8601, address, total as a decimal with its currency by default),
    each with its text, confidence, box and page."""
    import base64

    from vision.ocr.schemas import ExtractRequest

    field_set = _field_set(request.field_set) if request.field_set is not None else None
    document = ExtractRequest(document=base64.b64encode(request.image), pages=request.pages, field_set=field_set)
    return reader.extract(document, max_bytes=context.max_bytes, max_pixels=context.max_pixels)


def read(reader: Any, request: ReadRequest, context: OperationContext) -> DocumentResult:
    """Every page asked for, in reading order; a plain image is a one-page document (same schema as a PDF)."""
    return reader.read_document(request.image, request.pages, max_bytes=context.max_bytes,
                                max_pixels=context.max_pixels)

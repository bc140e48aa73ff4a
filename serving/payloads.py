"""Turning HTTP requests into task inputs: images (multipart or raw bytes), texts (JSON), records (JSON or CSV).

Every problem becomes a ``core`` error the gateway maps to 4xx: a body that does not parse or
does not match the schema → ``MalformedRequest`` (422); a non-image upload → 415; too big or too
many items (files, form fields, texts, records) → 413.
Query parameters of an operation are validated by its request model (``serving.endpoints``).
"""
from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from core.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from core.images import probe_image
from core.schemas import ImageLimits, TextLimits
from core.text import validate_text
from serving.config import Limits
from serving.errors import MalformedRequest

IMAGE_FIELDS = ("image", "images", "file", "files")
# a JSON \uD800-\uDFFF escape: only then can a parsed string hold a lone surrogate (not encodable as UTF-8)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


async def read_body(request: Request, limits: Limits) -> bytes:
    """Read the body, refusing it early from Content-Length and again while streaming."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_bytes:
        raise PayloadTooLarge(f"request body is {int(declared):,} bytes; the limit is {limits.max_bytes:,}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limits.max_bytes:
            raise PayloadTooLarge(f"request body exceeds the limit of {limits.max_bytes:,} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # Starlette replays a cached body to form(); the stream itself is now consumed
    return body


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def form_parts(request: Request, limits: Limits) -> tuple[dict[str, list[bytes]], dict[str, str]]:
    """A multipart form as ``(files by field, text fields)``; the size limit applies to the whole body."""
    if media_type(request) != "multipart/form-data":
        raise UnsupportedMediaType("send multipart/form-data (an image file plus form fields)")
    await read_body(request, limits)  # enforces the size limit before parsing (Starlette caches it)
    max_files, max_fields = limits.max_batch_items + 1, limits.max_batch_items + 8
    try:
        form = await request.form(max_files=max_files, max_fields=max_fields)
    except Exception as exc:
        # Starlette's words for max_files / max_fields (a MultiPartException, or an HTTPException 400 wrapping
        # it when the request runs in an app): a limit like any other number of items, so 413
        if str(getattr(exc, "detail", exc)).startswith("Too many"):
            raise PayloadTooLarge(f"multipart body has too many parts: {exc} (at most {limits.max_batch_items} "
                                  "items per request)", limit=limits.max_batch_items) from exc
        raise MalformedRequest(f"multipart body does not parse: {exc}") from exc
    files: dict[str, list[bytes]] = {}
    fields: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            files.setdefault(key, []).append(await value.read())
        else:
            fields[key] = str(value)
    return files, fields


async def uploaded_files(request: Request, limits: Limits) -> list[bytes]:
    """Files from ``multipart/form-data`` (fields image/images/file/files) or one raw binary body."""
    kind = media_type(request)
    if kind == "multipart/form-data":
        parts, _ = await form_parts(request, limits)
        files = [data for name in IMAGE_FIELDS for data in parts.get(name, [])]
        if not files:
            raise MalformedRequest("multipart body has no file field named 'image' (or 'images', 'file')")
        return files
    if kind.startswith("image/") or kind in ("application/octet-stream", "application/pdf", ""):
        return [await read_body(request, limits)]
    raise UnsupportedMediaType(
        f"content type {kind!r} is not accepted here; send multipart/form-data with an 'image' file "
        "or the raw file bytes with an image/* content type"
    )


async def image_items(request: Request, limits: Limits, *, many: bool) -> list[bytes]:
    """Images from ``multipart/form-data`` (fields image/images/file) or a raw image body."""
    image_limits = ImageLimits(max_bytes=limits.max_bytes, max_pixels=limits.max_pixels)
    data = await uploaded_files(request, limits)
    if not many and len(data) != 1:
        raise MalformedRequest(f"this endpoint takes one image, got {len(data)}; use the /batch endpoint")
    if len(data) > limits.max_batch_items:
        raise PayloadTooLarge(f"{len(data)} images; the limit is {limits.max_batch_items} per request")
    for index, item in enumerate(data):
        try:
            probe_image(item, image_limits)  # header-only: format and pixel count, no decoding
        except InvalidInput as exc:
            prefix = f"image {index}: " if len(data) > 1 else ""
            raise type(exc)(prefix + exc.message, **exc.detail) from exc
    return data


async def json_body(request: Request, limits: Limits) -> Any:
    kind = media_type(request)
    if kind not in ("application/json", ""):
        raise UnsupportedMediaType(f"content type {kind!r} is not accepted here; send application/json")
    raw = await read_body(request, limits)
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedRequest(f"body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise MalformedRequest("body is JSON nested too deeply") from exc
    except ValueError as exc:  # an integer past Python's int/str digit limit (4,300 digits)
        raise MalformedRequest(f"body has a number with too many digits: {exc}") from exc
    if _SURROGATE_ESCAPE.search(raw) and not _encodable(body):
        raise MalformedRequest("body has a string with a lone UTF-16 surrogate (\\ud800-\\udfff): not valid Unicode")
    return body


def _encodable(value: Any) -> bool:
    """Every string in a parsed JSON value (keys included) encodes as UTF-8; iterative, so depth costs no stack."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


async def text_items(request: Request, limits: Limits, *, many: bool) -> list[str]:
    """``{"text": "..."}`` or ``{"texts": ["...", ...]}``; every text validated (empty, too long, NUL)."""
    body = await json_body(request, limits)
    if not isinstance(body, dict) or not ({"text", "texts"} & set(body)):
        raise MalformedRequest('body must be a JSON object with "text" (a string) or "texts" (a list of strings)')
    if "texts" in body:
        texts = body["texts"]
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise MalformedRequest('"texts" must be a list of strings')
    else:
        if not isinstance(body["text"], str):
            raise MalformedRequest('"text" must be a string')
        texts = [body["text"]]
    if not texts:
        raise MalformedRequest('"texts" is empty')
    if len(texts) > limits.max_batch_items:
        raise PayloadTooLarge(f"{len(texts)} texts; the limit is {limits.max_batch_items} per request")
    text_limits = TextLimits(max_chars=limits.max_text_chars)
    out = []
    for index, text in enumerate(texts):
        try:
            out.append(validate_text(text, text_limits))
        except InvalidInput as exc:
            prefix = f"texts[{index}]: " if len(texts) > 1 else ""
            raise type(exc)(prefix + exc.message, **exc.detail) from exc
    return out


async def record_items(request: Request, limits: Limits, *, many: bool) -> list[dict[str, Any]]:
    """``{"record": {...}}``, ``{"records": [...]}`` or a CSV upload (text/csv body or multipart 'file')."""
    kind = media_type(request)
    if kind in ("text/csv", "multipart/form-data"):
        if kind == "multipart/form-data":
            parts, _ = await form_parts(request, limits)
            if len(parts.get("file", [])) != 1:
                raise MalformedRequest("multipart body needs one CSV file field named 'file'")
            raw = parts["file"][0]
        else:
            raw = await read_body(request, limits)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"CSV is not valid UTF-8 at byte {exc.start}") from exc
        records: list[Any] = _csv_records(text)
        if not records:
            raise InvalidInput("CSV has a header but no rows (or is empty)")
    else:
        body = await json_body(request, limits)
        if isinstance(body, dict) and "records" in body:
            records = body["records"]
        elif isinstance(body, dict) and "record" in body:
            records = [body["record"]]
        else:
            raise MalformedRequest('body must be {"record": {...}} or {"records": [{...}, ...]}, or a CSV upload')
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise MalformedRequest('"records" must be a list of JSON objects')
    if not records:
        raise MalformedRequest("no records")
    if len(records) > limits.max_batch_items:
        raise PayloadTooLarge(f"{len(records)} records; the limit is {limits.max_batch_items} per request")
    return records


MAX_CSV_CELL = 131_072  # the csv module's default cell limit, checked here whatever the process set


def _csv_records(text: str) -> list[dict[str, Any]]:
    """CSV rows as records; a row with more cells than the header, or a malformed CSV, is ``InvalidInput``."""
    reader = csv.DictReader(io.StringIO(text))
    records = []
    try:
        for row in reader:
            if None in row:  # DictReader files the cells past the header under the key None
                raise InvalidInput(f"CSV line {reader.line_num} has {len(reader.fieldnames or []) + len(row[None])} "
                                   f"cells; the header has {len(reader.fieldnames or [])}", line=reader.line_num)
            long_cell = next((k for k, v in row.items() if v is not None and len(v) > MAX_CSV_CELL), None)
            if long_cell is not None:  # not left to csv.field_size_limit: that is process-wide state
                raise InvalidInput(f"CSV line {reader.line_num}: a cell of column {str(long_cell)[:64]!r} is over "
                                   f"{MAX_CSV_CELL:,} characters", line=reader.line_num)
            records.append({k: _cell(v) for k, v in row.items()})
    except csv.Error as exc:
        raise InvalidInput(f"CSV does not parse at line {reader.line_num}: {exc}", line=reader.line_num) from exc
    return records


def _cell(value: str | None) -> Any:
    """A CSV cell as JSON would carry it: empty → null, numbers → numbers, the rest stays text."""
    if value is None or value.strip() == "":
        return None
    for parse in (int, float):
        try:
            return parse(value)
        except ValueError:
            continue
    return value


READERS = {"image": image_items, "text": text_items, "record": record_items}

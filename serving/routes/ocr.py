"""OCR routes: ``POST /ocr`` reads one image, multi-page TIFF or PDF (``?pages=1-3``) into pages."""
from __future__ import annotations

from typing import Any

from starlette.requests import Request

from core.errors import InvalidInput
from core.images import probe_image
from core.schemas import ImageLimits
from serving.calls import Call, raise_error
from serving.errors import MalformedRequest
from serving.payloads import uploaded_files


async def read(request: Request, call: Call) -> dict[str, Any]:
    files = await uploaded_files(request, call.config.limits)
    if len(files) != 1:
        raise MalformedRequest(f"/ocr takes one file, got {len(files)}; use /ocr/batch for many images")
    data, pages = files[0], request.query_params.get("pages")
    if not data:
        raise InvalidInput("the uploaded file is empty (0 bytes)")
    limits = ImageLimits(max_bytes=call.config.limits.max_bytes, max_pixels=call.config.limits.max_pixels)
    if data[:5] != b"%PDF-":
        image_format, _, _ = probe_image(data, limits)
        if image_format != "TIFF" and pages is None:
            # a plain image goes through the batched path (adaptive batching with other callers)
            result = (await call.predict([data]))[0]
            if result.error is not None:
                raise_error(result.error)
            return {"result": {"n_pages": 1, "pages": [result.result]}}
    return {"result": await call.operate("read_document", data=data, pages=pages)}


ROUTES = [("/ocr", "POST", read)]

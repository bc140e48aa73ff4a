"""Hostile request bodies become a clear 4xx in ``serving.payloads`` (never an exception that turns into 500)."""
from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from starlette.requests import Request

from core.errors import InvalidInput, PayloadTooLarge
from serving.config import Limits
from serving.errors import MalformedRequest, status_for
from serving.payloads import form_parts, image_items, json_body, record_items, text_items

LIMITS = Limits(max_batch_items=4)


def _request(body: bytes, content_type: str, in_app: bool = True) -> Request:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers, "query_string": b""}
    if in_app:  # Starlette wraps multipart errors in an HTTPException(400) when an app runs the request
        scope["app"] = object()
    return Request(scope, receive)


def _multipart(files: list[tuple[str, bytes]], data: dict[str, str] | None = None, in_app: bool = True) -> Request:
    built = httpx.Request("POST", "http://x/", files=[(n, (f"{i}.bin", b, "application/octet-stream"))
                                                     for i, (n, b) in enumerate(files)], data=data)
    return _request(built.read(), built.headers["content-type"], in_app)


def _run(reader: Any, request: Request, **kwargs: Any) -> Any:
    return anyio.run(lambda: reader(request, LIMITS, **kwargs))


def test_lone_surrogate_in_a_json_string_is_422() -> None:
    request = _request(b'{"text": "\\ud800 good"}', "application/json")
    with pytest.raises(MalformedRequest, match="surrogate") as info:
        _run(text_items, request, many=False)
    assert status_for(info.value) == 422


def test_lone_surrogate_deep_in_a_record_is_422() -> None:
    request = _request(b'{"records": [{"customer_id": "x", "note": ["a", "\\udfff"]}]}', "application/json")
    with pytest.raises(MalformedRequest, match="surrogate"):
        _run(record_items, request, many=True)


def test_surrogate_pair_is_a_valid_character() -> None:
    request = _request(b'{"text": "\\ud83d\\ude00 good"}', "application/json")
    assert _run(text_items, request, many=False) == ["\U0001F600 good"]


def test_json_nested_100000_deep_is_422() -> None:
    request = _request(b"[" * 100_000 + b"]" * 100_000, "application/json")
    with pytest.raises(MalformedRequest, match="nested"):
        anyio.run(lambda: json_body(request, LIMITS))


def test_integer_of_5000_digits_is_422() -> None:
    request = _request(b'{"record": {"amount": ' + b"9" * 5000 + b"}}", "application/json")
    with pytest.raises(MalformedRequest, match="digits"):
        _run(record_items, request, many=False)


def test_csv_row_with_extra_cells_is_400_naming_the_line() -> None:
    request = _request(b"a,b\n1,2\n3,4,5,6\n", "text/csv")
    with pytest.raises(InvalidInput, match="line 3") as info:
        _run(record_items, request, many=True)
    assert status_for(info.value) == 400


def test_csv_row_with_fewer_cells_has_missing_values() -> None:
    request = _request(b"a,b\n1\n", "text/csv")
    assert _run(record_items, request, many=True) == [{"a": 1, "b": None}]


def test_csv_cell_over_the_csv_field_limit_is_400() -> None:
    request = _request(b"a,b\n1," + b"x" * 200_000 + b"\n", "text/csv")
    with pytest.raises(InvalidInput, match="CSV") as info:
        _run(record_items, request, many=True)
    assert status_for(info.value) == 400


@pytest.mark.parametrize("in_app", [True, False])
def test_too_many_files_is_413_like_too_many_items(in_app: bool) -> None:
    request = _multipart([("images", b"x")] * (LIMITS.max_batch_items + 2), in_app=in_app)
    with pytest.raises(PayloadTooLarge) as info:
        _run(image_items, request, many=True)
    assert status_for(info.value) == 413


@pytest.mark.parametrize("in_app", [True, False])
def test_too_many_form_fields_is_413(in_app: bool) -> None:
    request = _multipart([("image", b"x")], {f"f{i}": "v" for i in range(LIMITS.max_batch_items + 20)}, in_app)
    with pytest.raises(PayloadTooLarge):
        anyio.run(lambda: form_parts(request, LIMITS))

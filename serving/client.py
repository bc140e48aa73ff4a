"""A typed Python client for a gateway: ``predict`` and every operation a task declares.

It reads the same task specs the server does, so requests are validated by the operation's pydantic
model before they are sent and answers come back as the response models (clients without this
package can generate one from ``GET /openapi.json``)::

    from serving.client import AisClient
    with AisClient("http://127.0.0.1:3000", key="...") as client:
        client.predict("sentiment", ["a gripping film"])          # [SentimentResult]
        person = client.call("face", "enroll", name="Ann", images=[Path("ann.jpg")])   # EnrollResult
        client.call("face", "identify", image=Path("group.jpg"), top_k=3)              # IdentifyResult
        client.call("ocr", "read", image=Path("scan.pdf"), pages="1-2")               # DocumentResult
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import httpx
from pydantic import BaseModel

from core.errors import AisError
from core.operations import file_fields
from core.registry import get_spec


class ApiError(AisError):
    """The gateway answered an error: its HTTP ``status``, the error's class name and the request id."""

    def __init__(self, status: int, error: str, message: str, request_id: str) -> None:
        super().__init__(f"HTTP {status} {error}: {message} (request {request_id})", status=status, error=error,
                         request_id=request_id)
        self.status, self.error, self.request_id = status, error, request_id


def _file(value: Any) -> bytes:
    if isinstance(value, (str, Path)):
        return Path(value).read_bytes()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"a file field takes a path or bytes, got {type(value).__name__}")


class AisClient:
    """Calls one gateway with one API key; use as a context manager (or call ``close``)."""

    def __init__(self, url: str, key: str, timeout: float = 120.0) -> None:
        self._http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout,
                                  headers={"Authorization": f"Bearer {key}"})

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _answer(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except json.JSONDecodeError:
            body = {"error": "HTTPError", "detail": {"message": response.text[:500]}}
        if response.status_code >= 400:
            detail = body.get("detail") or {}
            raise ApiError(response.status_code, str(body.get("error")), str(detail.get("message", detail)),
                           str(body.get("request_id", "-")))
        return body

    def predict(self, task: str, inputs: Sequence[Any]) -> list[Any]:
        """``POST /<task>/batch``: one result model per input, or an ``ApiError`` for an input that failed."""
        spec = get_spec(task)
        if spec.input_kind == "image":
            files = [("images", (f"{i}", _file(item), "application/octet-stream")) for i, item in enumerate(inputs)]
            response = self._http.post(f"/{task}/batch", files=files)
        else:
            key = "texts" if spec.input_kind == "text" else "records"
            response = self._http.post(f"/{task}/batch", json={key: list(inputs)})
        model = spec.result_model()
        out: list[Any] = []
        for item in self._answer(response)["results"]:
            if isinstance(item, dict) and set(item) == {"error"}:
                error = item["error"]
                out.append(ApiError(error["status"], error["type"], error["message"], response.headers.get(
                    "x-request-id", "-")))
            else:
                out.append(model.model_validate(item) if model else item)
        return out

    def call(self, task: str, operation: str, **fields: Any) -> BaseModel:
        """Any declared operation: fields as the request model names them; files as paths or bytes."""
        op = get_spec(task).operation(operation)
        if op.kind == "predict":
            raise ValueError(f"{task}.{operation} is a predict route; use predict({task!r}, [...])")
        model = op.request_model()
        files = file_fields(model)
        for name, many in files.items():
            if fields.get(name) is not None:
                fields[name] = [_file(v) for v in fields[name]] if many else _file(fields[name])
        request = model.model_validate(fields)  # a typo or a bad value fails here, before anything is sent
        values = request.model_dump(exclude_none=True)
        path = op.path
        for name in op.path_params:
            path = path.replace("{" + name + "}", str(values.pop(name)))
        if op.method in ("GET", "DELETE"):
            response = self._http.request(op.method, path, params=values)
        elif files:
            uploads: list[tuple[str, tuple[str, bytes, str]]] = []
            for name, many in files.items():
                data = values.pop(name, None)
                for item in (data if many else [data]) if data is not None else []:
                    uploads.append((name, (name, item, "application/octet-stream")))
            form = {k: json.dumps(v) if isinstance(v, (dict, list)) else str(v).lower() if isinstance(v, bool)
                    else str(v) for k, v in values.items()}
            response = self._http.request(op.method, path, files=uploads, data=form)
        else:
            response = self._http.request(op.method, path, json=request.model_dump(mode="json", exclude_none=True,
                                                                                    exclude=set(op.path_params)))
        return op.response_model().model_validate(self._answer(response)["result"])

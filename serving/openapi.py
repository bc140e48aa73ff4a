"""The gateway's OpenAPI 3.1 document, generated from the task specs and their pydantic models, and ``/docs``.

Nothing here is written per task: predict routes are described from the task's input kind and its
result model, operations from their request and response models (``core.operations``), so a new
operation appears in the document the moment its package declares it.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.routing import Route

from core.operations import Operation, file_fields
from core.registry import TaskSpec, get_spec

REF = "#/components/schemas/{model}"
ERROR_STATUSES = {
    "400": "Invalid input (corrupt image, empty text, bad value)",
    "401": "Missing or invalid API key",
    "404": "Unknown resource, route or model version",
    "413": "Too large: bytes, pixels, pages, items or characters over the deployment's limits",
    "415": "Wrong content type",
    "422": "Malformed request: the body or a parameter does not match this schema",
    "503": "Model loading or at capacity; retry after Retry-After seconds",
    "504": "The model did not answer within the deployment's timeout",
}


class ErrorDetail(BaseModel):
    model_config = {"extra": "allow"}
    message: str


class ErrorBody(BaseModel):
    """Every error answer: the error's class, what went wrong, and the request id to quote."""

    error: str
    detail: ErrorDetail
    request_id: str


class ItemError(BaseModel):
    """One failed item of a batch (the others are still answered)."""

    type: str
    message: str
    status: int
    detail: dict[str, Any] = {}


class BatchItemError(BaseModel):
    error: ItemError


class _AnyResult(BaseModel):
    """A task that declares no result model answers a JSON object."""

    model_config = {"extra": "allow"}


def _schemas(specs: list[TaskSpec]) -> tuple[dict[str, Any], dict[tuple[type[BaseModel], str], Any]]:
    models: list[tuple[type[BaseModel], Any]] = [(ErrorBody, "serialization"), (BatchItemError, "serialization")]
    for spec in specs:
        models.append((spec.result_model() or _AnyResult, "serialization"))
        for op in spec.operations:
            if op.kind == "operation":
                models.append((op.request_model(), "validation"))
                models.append((op.response_model(), "serialization"))
    from serving.monitoring.schemas import MonitoringSummary

    models.append((MonitoringSummary, "serialization"))
    unique = list(dict.fromkeys(models))
    refs, top = models_json_schema(unique, ref_template=REF)
    return top.get("$defs", {}), refs


def _ref(refs: dict[tuple[type[BaseModel], str], Any], model: type[BaseModel], mode: str) -> dict[str, Any]:
    return refs[(model, mode)]


def _envelope(result: dict[str, Any], key: str = "result") -> dict[str, Any]:
    return {"type": "object", "required": ["request_id", "task", "version", "role", key],
            "properties": {"request_id": {"type": "string"}, "task": {"type": "string"},
                           "version": {"type": "string", "description": "the model version that answered"},
                           "role": {"type": "string", "enum": ["live", "canary"]}, key: result}}


def _responses(ok: dict[str, Any], status: str = "200") -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": {"$ref": REF.format(model="ErrorBody")}}}}
    out: dict[str, Any] = {status: {"description": "OK", "content": {"application/json": {"schema": ok}}}}
    for code, text in ERROR_STATUSES.items():
        out[code] = {"description": text, **error}
    return out


_COMMON_PARAMS = [
    {"name": "X-Request-Id", "in": "header", "required": False,
     "description": "your id for this request (1-128 of A-Z a-z 0-9 . _ : -); replaced when invalid",
     "schema": {"type": "string", "maxLength": 128, "pattern": "^[A-Za-z0-9._:-]{1,128}$"}},
]


def _predict_body(spec: TaskSpec, many: bool) -> dict[str, Any]:
    if spec.input_kind == "image":
        field = "images" if many else "image"
        binary = {"type": "string", "format": "binary", "contentMediaType": "application/octet-stream"}
        schema = {"type": "array", "items": binary, "minItems": 1} if many else binary
        return {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": [field], "properties": {field: schema}}}}}
    if spec.input_kind == "text":
        text = {"type": "string", "minLength": 1}
        body = ({"type": "object", "required": ["texts"], "properties": {"texts": {"type": "array", "items": text,
                                                                               "minItems": 1}}}
                if many else {"type": "object", "required": ["text"], "properties": {"text": text}})
        return {"required": True, "content": {"application/json": {"schema": body}}}
    record = {"type": "object", "description": "one customer record: column name -> value"}
    body = ({"type": "object", "required": ["records"], "properties": {"records": {"type": "array", "items": record,
                                                                             "minItems": 1}}}
            if many else {"type": "object", "required": ["record"], "properties": {"record": record}})
    content: dict[str, Any] = {"application/json": {"schema": body}}
    if many:
        content["text/csv"] = {"schema": {"type": "string", "description": "a CSV with a header row"}}
    return {"required": True, "content": content}


def _predict_path(spec: TaskSpec, refs: Any, many: bool, summary: str | None = None) -> dict[str, Any]:
    result = _ref(refs, spec.result_model() or _AnyResult, "serialization")
    ok = (_envelope({"type": "array", "items": {"anyOf": [result, {"$ref": REF.format(model="BatchItemError")}]}},
                    key="results") if many else _envelope(result))
    return {"post": {"tags": [spec.name], "operationId": f"{spec.name}_predict{'_batch' if many else ''}",
                     "summary": summary or (f"{spec.summary} (many inputs)" if many else spec.summary),
                     "parameters": list(_COMMON_PARAMS), "requestBody": _predict_body(spec, many),
                     "responses": _responses(ok)}}


def _field_schema(model: type[BaseModel], name: str) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF)
    return schema.get("properties", {}).get(name, {"type": "string"})


def _not_null(prop: dict[str, Any]) -> dict[str, Any]:
    """A form field or query parameter cannot be JSON null: ``X | None`` is described as ``X`` (optional)."""
    branches = prop.get("anyOf")
    if branches:
        kept = [b for b in branches if b.get("type") != "null"]
        if len(kept) == 1:
            rest = {k: v for k, v in prop.items() if k not in ("anyOf", "default")}
            return {**kept[0], **rest}
    return prop


def _operation_path(spec: TaskSpec, op: Operation, refs: Any) -> dict[str, Any]:
    model = op.request_model()
    schema = model.model_json_schema(ref_template=REF)
    properties: dict[str, Any] = dict(schema.get("properties", {}))
    if op.method in ("GET", "DELETE") or file_fields(model):
        properties = {name: _not_null(prop) for name, prop in properties.items()}
    required = [r for r in schema.get("required", []) if r not in op.path_params]
    parameters: list[dict[str, Any]] = list(_COMMON_PARAMS)
    for name in op.path_params:
        parameters.append({"name": name, "in": "path", "required": True, "schema": properties.pop(name)})
    entry: dict[str, Any] = {"tags": [spec.name], "operationId": f"{spec.name}_{op.name}", "summary": op.summary,
                             "parameters": parameters,
                             "responses": _responses(_envelope(_ref(refs, op.response_model(), "serialization")))}
    if op.method in ("GET", "DELETE"):
        for name, prop in properties.items():
            parameters.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    else:
        files = file_fields(model)
        body: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
        if required:
            body["required"] = required
        if files:
            for name, many in files.items():
                binary = {"type": "string", "format": "binary", "contentMediaType": "application/octet-stream"}
                properties[name] = {"type": "array", "items": binary, "minItems": 1} if many else binary
            entry["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": body}}}
        else:
            entry["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
                **{k: v for k, v in schema.items() if k not in ("properties", "required", "title")},
                **body}}}}
    return {op.method.lower(): entry}


def _platform_paths(refs: Any) -> dict[str, Any]:
    from serving.monitoring.schemas import MonitoringSummary

    text = {"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}}
    open_route = {"security": []}
    tasks = {"type": "object", "required": ["client", "tasks"], "properties": {
        "client": {"type": "string"},
        "tasks": {"type": "object", "additionalProperties": {"type": "object", "properties": {
            "input": {"type": "string", "enum": ["image", "text", "record"]},
            "traffic": {"type": "object"}}}}}}
    error = {"content": {"application/json": {"schema": {"$ref": REF.format(model="ErrorBody")}}}}
    since = {"name": "since", "in": "query", "required": False,
             "description": "how far back: a number and a unit (m, h, d), e.g. 7d; at most 3650d",
             "schema": {"type": "string", "pattern": "^[0-9]{1,6}[mhd]$", "default": "7d"}}
    return {
        "/v1/tasks": {"get": {"tags": ["deployment"], "operationId": "list_tasks", "summary": "What this deployment serves",
                              "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": tasks}}},
                                            "401": {"description": ERROR_STATUSES["401"], **error}}}},
        "/v1/monitoring": {"get": {
            "tags": ["deployment"], "operationId": "monitoring_summary", "parameters": [since],
            "summary": "Data quality and drift per window of served traffic",
            "responses": {"200": {"description": "OK", "content": {"application/json": {
                "schema": _ref(refs, MonitoringSummary, "serialization")}}},
                **{code: {"description": ERROR_STATUSES[code], **error} for code in ("400", "401", "404", "422")}}}},
        "/readyz": {"get": {"tags": ["health"], "operationId": "readyz", "summary": "Ready to serve (no key)",
                            **open_route, "responses": {"200": text, "503": {"description": "not ready yet"}}}},
        "/livez": {"get": {"tags": ["health"], "operationId": "livez", "summary": "Alive (no key)", **open_route,
                           "responses": {"200": text}}},
        "/metrics": {"get": {"tags": ["health"], "operationId": "metrics", "summary": "Prometheus metrics (no key)",
                             **open_route, "responses": {"200": text}}},
    }


def openapi_document(tasks: list[str], title: str = "ai-services gateway", version: str = "1") -> dict[str, Any]:
    """The OpenAPI 3.1 document of a gateway serving ``tasks``."""
    specs = [get_spec(t) for t in tasks]
    schemas, refs = _schemas(specs)
    paths: dict[str, Any] = _platform_paths(refs)
    for spec in specs:
        ops = {(op.method, op.path): op for op in spec.operations}
        for path, many in ((f"/{spec.name}", False), (f"/{spec.name}/batch", True)):
            if ("POST", path) not in ops:
                paths.setdefault(path, {}).update(_predict_path(spec, refs, many))
        for op in spec.operations:
            item = (_predict_path(spec, refs, many=False, summary=op.summary) if op.kind == "predict"
                    else _operation_path(spec, op, refs))
            if op.kind == "predict":
                item["post"]["operationId"] = f"{spec.name}_{op.name}"
            paths.setdefault(op.path, {}).update(item)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "Every task this deployment serves. Send the API key as `Authorization: Bearer KEY` "
                                "or `X-API-Key: KEY`. Errors are JSON `{error, detail, request_id}`."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"apiKey": []}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}},
    }


_SWAGGER = Path(__import__("bentoml").__file__).parent / "_internal" / "server" / "static_content"
_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/swagger-ui-standalone-preset.js"></script>
<script>window.ui = SwaggerUIBundle({{url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout"}});</script>
</body></html>"""
_ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js")


def docs_routes(tasks: list[str]) -> list[Route]:
    """``/openapi.json``, ``/docs`` (Swagger UI from the assets BentoML ships: nothing is fetched from a CDN)."""
    cached: dict[str, Any] = {}

    async def document(request: Request) -> JSONResponse:
        if "doc" not in cached:
            cached["doc"] = openapi_document(tasks)
        return JSONResponse(cached["doc"])

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(_DOCS_PAGE.format(title=html.escape("ai-services API")))

    async def asset(request: Request) -> Any:
        name = request.path_params["name"]
        if name not in _ASSETS:
            return JSONResponse({"error": "NotFound", "detail": {"message": "no such asset"}, "request_id": "-"},
                                status_code=404)
        return FileResponse(_SWAGGER / name)

    return [Route("/openapi.json", document, methods=["GET"]), Route("/docs", page, methods=["GET"]),
            Route("/docs/static/{name}", asset, methods=["GET"])]

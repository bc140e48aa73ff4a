"""The public routes of every task, built from its ``TaskSpec``: predict, and one route per typed operation.

``POST /<task>`` (one input) and ``POST /<task>/batch`` (many) go through the task's batched
``predict`` (adaptive batching across callers). Every declared operation gets its own route; an
operation on ``/<task>`` replaces the generic one-input route (OCR reads whole documents there). The
request of an operation is read from the path, the query and the body according to its pydantic model
(``request_from_http``) and validated in the gateway, so a malformed call is a 422 naming the field
before anything reaches a model.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.routing import Route

from core.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from core.images import probe_image
from core.operations import Operation, file_fields
from core.registry import TaskSpec, get_spec
from core.schemas import ImageLimits
from serving.calls import Call, Work, raise_error, respond
from serving.config import Limits
from serving.errors import MalformedRequest
from serving.payloads import READERS, form_parts, json_body, media_type, read_body
from serving.runtime import validation_message


def predict_work(many: bool) -> Work:
    """Parse inputs by the task's input kind and run the batched predict."""

    async def work(request: Request, call: Call) -> dict[str, Any]:
        payloads = await READERS[get_spec(call.task).input_kind](request, call.config.limits, many=many)
        results = await call.predict(payloads)
        failed = [r.error for r in results if r.error is not None]
        if failed and (not many or len(failed) == len(results)):
            raise_error(failed[0])
        if many:
            return {"results": [r.result if r.error is None else {"error": r.error.model_dump()} for r in results]}
        return {"result": results[0].result}

    return work


def operation_work(operation: Operation) -> Work:
    async def work(request: Request, call: Call) -> dict[str, Any]:
        body = await request_from_http(request, operation, call.config.limits)
        return {"result": await call.operate(operation.name, body)}

    return work


async def request_from_http(request: Request, operation: Operation, limits: Limits) -> BaseModel:
    """The operation's request model from path parameters, query parameters and the body.

    ``GET``/``DELETE``: path + query. ``POST``/``PUT``: path + body (multipart when the model has file
    fields, else JSON; a raw file body when the model takes exactly one file) + query parameters for
    fields the body does not give (``/ocr?pages=1-3``, ``/planogram/check?annotate=true``).
    """
    model = operation.request_model()
    files = file_fields(model)
    data: dict[str, Any] = {}
    if operation.method in ("POST", "PUT"):
        data = await _body_fields(request, model, files, limits)
    for key, value in request.query_params.multi_items():
        if key in data:
            continue
        if key not in _accepted_names(model):
            raise MalformedRequest(f"unknown query parameter {key[:64]!r}; this route takes "
                                   f"{sorted(_accepted_names(model) - set(files)) or 'none'}")
        data[key] = value
    data.update(request.path_params)
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise MalformedRequest(f"invalid request: {validation_message(exc)}") from exc
    _check_images(parsed, files, limits)
    return parsed


def _accepted_names(model: type[BaseModel]) -> set[str]:
    names = set(model.model_fields)
    for info in model.model_fields.values():
        choices = getattr(info.validation_alias, "choices", None)
        names.update(c for c in choices or () if isinstance(c, str))
    return names


async def _body_fields(request: Request, model: type[BaseModel], files: dict[str, bool],
                       limits: Limits) -> dict[str, Any]:
    kind = media_type(request)
    if kind == "multipart/form-data":
        parts, fields = await form_parts(request, limits)
        data: dict[str, Any] = dict(fields)
        accepted = _accepted_names(model)
        for name, items in parts.items():
            if name not in accepted:
                raise MalformedRequest(f"unexpected file field {name[:64]!r}; this route takes files "
                                       f"{sorted(files) or 'none'}")
            data[name] = items if _is_list_field(model, name, files) else (items[0] if len(items) == 1 else items)
        return data
    required_files = [n for n in files if model.model_fields[n].is_required()]
    if len(required_files) == 1 and not model.model_fields.keys() - set(files) - _optional_fields(model) and (
            kind.startswith("image/") or kind in ("application/octet-stream", "application/pdf")):
        # a raw file body for a route that takes one file (``curl --data-binary @scan.pdf``)
        return {required_files[0]: await read_body(request, limits)}
    if files:
        raise_unsupported(kind, "multipart/form-data with the file field(s) " + ", ".join(sorted(files)))
    body = await json_body(request, limits)
    if not isinstance(body, dict):
        raise MalformedRequest("the body must be a JSON object")
    return body


def raise_unsupported(kind: str, expected: str) -> None:
    raise UnsupportedMediaType(f"content type {kind[:80]!r} is not accepted here; send {expected}")


def _optional_fields(model: type[BaseModel]) -> set[str]:
    return {name for name, info in model.model_fields.items() if not info.is_required()}


def _is_list_field(model: type[BaseModel], name: str, files: dict[str, bool]) -> bool:
    for field_name, info in model.model_fields.items():
        choices = getattr(info.validation_alias, "choices", None) or ()
        if name == field_name or name in choices:
            return files.get(field_name, False)
    return False


def _check_images(parsed: BaseModel, files: dict[str, bool], limits: Limits) -> None:
    """Header-only checks of uploaded images against the deployment's limits (PDFs are bounded when read)."""
    image_limits = ImageLimits(max_bytes=limits.max_bytes, max_pixels=limits.max_pixels)
    uploads = [(name, item) for name in files for item in _as_list(getattr(parsed, name))]
    if len(uploads) > limits.max_batch_items:
        raise PayloadTooLarge(f"{len(uploads)} files; the limit is {limits.max_batch_items} per request")
    for name, data in uploads:
        if not data:
            raise InvalidInput(f"{name}: the uploaded file is empty (0 bytes)")
        if data[:5] == b"%PDF-":
            continue
        try:
            probe_image(data, image_limits)
        except InvalidInput as exc:
            raise type(exc)(f"{name}: {exc.message}", **exc.detail) from exc


def _as_list(value: Any) -> list[bytes]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _endpoint(task: str, work: Work) -> Callable[[Request], Awaitable[Any]]:
    async def endpoint(request: Request) -> Any:
        return await respond(request, task, work)

    endpoint.__name__ = f"{task}_endpoint"
    return endpoint


def task_routes(spec: TaskSpec) -> list[Route]:
    """Every public route of one task: its operations, then the generic predict routes they leave free."""
    routes: list[Route] = []
    taken: set[tuple[str, str]] = set()
    for operation in spec.operations:
        work = predict_work(many=False) if operation.kind == "predict" else operation_work(operation)
        routes.append(Route(operation.path, _endpoint(spec.name, work), methods=[operation.method]))
        taken.add((operation.method, operation.path))
    for path, many in ((f"/{spec.name}", False), (f"/{spec.name}/batch", True)):
        if ("POST", path) not in taken:
            routes.append(Route(path, _endpoint(spec.name, predict_work(many)), methods=["POST"]))
    return routes

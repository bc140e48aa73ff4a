"""Planogram routes: ``/planogram/detect``, ``/planogram/check`` and the tenant's stored planograms."""
from __future__ import annotations

from typing import Any

from starlette.requests import Request

from serving.calls import Call
from serving.errors import MalformedRequest
from serving.gateway_routes import predict_route
from serving.payloads import form_parts, json_body


async def check(request: Request, call: Call) -> dict[str, Any]:
    """Multipart: ``image`` + either ``planogram`` (inline YAML/JSON) or ``fixture_id`` (stored)."""
    files, fields = await form_parts(request, call.config.limits)
    images = files.get("image") or files.get("file") or []
    if len(images) != 1:
        raise MalformedRequest("send exactly one shelf photo in the multipart field 'image'")
    if ("planogram" in fields) == ("fixture_id" in fields):
        raise MalformedRequest("send either a 'planogram' field (YAML/JSON) or a 'fixture_id' field, not both")
    annotate = request.query_params.get("annotate", "false").lower() in ("1", "true", "yes")
    result = await call.operate("check", image=images[0], planogram=fields.get("planogram"),
                                fixture_id=fields.get("fixture_id"), annotate=annotate)
    return {"result": result}


async def put_planogram(request: Request, call: Call) -> dict[str, Any]:
    spec = await json_body(request, call.config.limits)
    if not isinstance(spec, dict):
        raise MalformedRequest("the body must be a planogram JSON object")
    return {"result": await call.operate("put_planogram", spec=spec)}


async def list_planograms(request: Request, call: Call) -> dict[str, Any]:
    return {"result": await call.operate("list_planograms")}


ROUTES = [
    ("/planogram/detect", "POST", predict_route(many=False)),
    ("/planogram/check", "POST", check),
    ("/planogram/planograms", "POST", put_planogram),
    ("/planogram/planograms", "GET", list_planograms),
]

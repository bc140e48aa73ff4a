"""Face routes, every one scoped to the caller's tenant (another tenant's person is a 404).

``/face/detect`` faces and landmarks · ``/face/verify`` image vs image or vs person ·
``/face/identify`` top-k among enrolled persons · ``/face/persons`` enroll (POST) and list (GET) ·
``/face/persons/{person_id}`` get, delete · ``/face/persons/{person_id}/images`` add photos.
"""
from __future__ import annotations

from typing import Any

from starlette.requests import Request

from serving.calls import Call
from serving.errors import MalformedRequest
from serving.gateway_routes import predict_route
from serving.payloads import form_parts


def _images(files: dict[str, list[bytes]], *names: str) -> list[bytes]:
    return [data for name in names for data in files.get(name, [])]


def _int(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise MalformedRequest(f"'{name}' must be an integer, got {value!r}") from exc


async def verify(request: Request, call: Call) -> dict[str, Any]:
    """Multipart ``image`` + either ``other_image`` or a ``person_id`` field."""
    files, fields = await form_parts(request, call.config.limits)
    probe, other = _images(files, "image"), _images(files, "other_image")
    person_id = fields.get("person_id")
    if len(probe) != 1 or (bool(other) == bool(person_id)) or len(other) > 1:
        raise MalformedRequest("send one 'image' and either one 'other_image' or a 'person_id' field")
    return {"result": await call.operate("verify", image=probe[0], other_image=other[0] if other else None,
                                         person_id=person_id)}


async def identify(request: Request, call: Call) -> dict[str, Any]:
    files, fields = await form_parts(request, call.config.limits)
    probe = _images(files, "image")
    if len(probe) != 1:
        raise MalformedRequest("send one 'image'")
    return {"result": await call.operate("identify", image=probe[0], top_k=_int(fields.get("top_k"), "top_k", 5))}


async def enroll(request: Request, call: Call) -> dict[str, Any]:
    """Multipart ``name`` + one or more ``image``/``images``; optional ``person_id``."""
    files, fields = await form_parts(request, call.config.limits)
    images = _images(files, "image", "images")
    if not images or not fields.get("name"):
        raise MalformedRequest("send a 'name' field and at least one 'image'")
    return {"result": await call.operate("enroll", images=images, name=fields["name"],
                                         person_id=fields.get("person_id"))}


async def add_images(request: Request, call: Call) -> dict[str, Any]:
    files, _ = await form_parts(request, call.config.limits)
    images = _images(files, "image", "images")
    if not images:
        raise MalformedRequest("send at least one 'image'")
    return {"result": await call.operate("add_images", person_id=request.path_params["person_id"], images=images)}


async def list_persons(request: Request, call: Call) -> dict[str, Any]:
    limit = _int(request.query_params.get("limit"), "limit", 100)
    offset = _int(request.query_params.get("offset"), "offset", 0)
    return {"result": await call.operate("list_persons", limit=limit, offset=offset)}


async def get_person(request: Request, call: Call) -> dict[str, Any]:
    return {"result": await call.operate("get_person", person_id=request.path_params["person_id"])}


async def delete_person(request: Request, call: Call) -> dict[str, Any]:
    return {"result": await call.operate("delete_person", person_id=request.path_params["person_id"])}


ROUTES = [
    ("/face/detect", "POST", predict_route(many=False)),
    ("/face/verify", "POST", verify),
    ("/face/identify", "POST", identify),
    ("/face/persons", "POST", enroll),
    ("/face/persons", "GET", list_persons),
    ("/face/persons/{person_id}", "GET", get_person),
    ("/face/persons/{person_id}", "DELETE", delete_person),
    ("/face/persons/{person_id}/images", "POST", add_images),
]

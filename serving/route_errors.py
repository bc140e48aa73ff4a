"""JSON error bodies for the answers BentoML's own router gives (unknown path, wrong method).

The gateway's routes are mounted inside BentoML's app, which answers a path none of them match
(and a wrong method on its health routes) with ``text/plain``. This middleware rewrites exactly those
answers into the ``{error, detail, request_id}`` body every other error has, keeping the status and
the ``Allow`` header.
"""
from __future__ import annotations

import json
from typing import Any

from serving.request_ids import request_id_from

Scope = dict[str, Any]


class JsonRouteErrors:
    """ASGI middleware: a plain-text 404/405 becomes the project's JSON error body."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: dict[str, Any] = {}

        async def wrapped_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                if message["status"] in (404, 405) and _content_type(message).startswith(b"text/plain"):
                    held["start"] = message
                    return
                await send(message)
            elif message["type"] == "http.response.body" and "start" in held:
                if message.get("more_body"):
                    return  # the plain-text body is dropped: the JSON body replaces it
                await self._send_json(scope, held["start"], send)
            else:
                await send(message)

        await self.app(scope, receive, wrapped_send)

    async def _send_json(self, scope: Scope, start: dict[str, Any], send: Any) -> None:
        status = start["status"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        request_id = request_id_from(headers)
        path = scope.get("path", "")[:200]
        name, what = ("MethodNotAllowed", "method not allowed") if status == 405 else ("NotFound", "no such route")
        body = json.dumps({"error": name, "detail": {"message": f"{scope.get('method', '')} {path!r}: {what}"},
                           "request_id": request_id}).encode()
        kept = [(k, v) for k, v in start.get("headers", []) if k.lower() == b"allow"]
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"x-request-id", request_id.encode()), *kept]})
        await send({"type": "http.response.body", "body": body})


def _content_type(start: dict[str, Any]) -> bytes:
    return next((v for k, v in start.get("headers", []) if k.lower() == b"content-type"), b"")

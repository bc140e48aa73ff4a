"""The one mapping from ``core`` errors to HTTP: status codes and the JSON error body."""
from __future__ import annotations

from core.errors import (
    AisError,
    ConfigError,
    InvalidInput,
    ModelLoading,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
)

# Order matters: subclasses before their parents.
_STATUS: list[tuple[type[AisError], int]] = [
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (InvalidInput, 400),
    (NotFound, 404),
    (Unauthorized, 401),
    (ModelLoading, 503),
    (ConfigError, 500),
]


class ServiceBusy(AisError):
    """A model service shed the request (queue over its latency budget): retry shortly (HTTP 503)."""


class MalformedRequest(InvalidInput):
    """The request body does not parse or does not match the endpoint's schema (HTTP 422)."""


def status_for(exc: BaseException) -> int:
    if isinstance(exc, MalformedRequest):
        return 422
    if isinstance(exc, ServiceBusy):
        return 503
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def error_body(exc: BaseException, request_id: str) -> dict[str, object]:
    """``{error, detail, request_id}``; internal errors say nothing about internals."""
    if isinstance(exc, AisError) and status_for(exc) < 500 or isinstance(exc, (ModelLoading, ServiceBusy)):
        detail: object = {"message": exc.message, **exc.detail} if isinstance(exc, AisError) else str(exc)
        return {"error": type(exc).__name__, "detail": detail, "request_id": request_id}
    return {"error": "InternalError", "detail": {"message": "unexpected server error; quote the request_id"},
            "request_id": request_id}

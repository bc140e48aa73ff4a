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


class ServiceError(AisError):
    """An error raised inside a task service, carried to the client with its own class name and status.

    The gateway cannot import every error class a task may raise; the service sends the name, the
    message and the status it mapped, and this class keeps all three.
    """

    def __init__(self, type_name: str, status: int, message: str, **detail: object) -> None:
        super().__init__(message, **detail)
        self.type_name = type_name
        self.status = status


def status_for(exc: BaseException) -> int:
    if isinstance(exc, ServiceError):
        return exc.status
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
    status = status_for(exc)
    shown = status < 500 or status == 503 or isinstance(exc, (ModelLoading, ServiceBusy, ConfigError)) or (
        isinstance(exc, ServiceError) and exc.type_name == "ConfigError")
    if isinstance(exc, AisError) and shown:
        name = exc.type_name if isinstance(exc, ServiceError) else type(exc).__name__
        return {"error": name, "detail": {"message": exc.message, **exc.detail}, "request_id": request_id}
    return {"error": "InternalError", "detail": {"message": "unexpected server error; quote the request_id"},
            "request_id": request_id}

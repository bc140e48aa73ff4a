"""One mapping from errors to HTTP statuses; a model service shedding load is a 503, never a 500."""
from __future__ import annotations

import anyio
import pytest
from bentoml.exceptions import BentoMLException, ServiceUnavailable

from core.errors import (
    InvalidInput,
    ModelLoading,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
)
from serving.calls import Call
from serving.config import DeploymentConfig, TaskConfig
from serving.errors import MalformedRequest, ServiceBusy, error_body, status_for
from serving.traffic import Route


@pytest.mark.parametrize(("exc", "status"), [
    (InvalidInput("x"), 400), (PayloadTooLarge("x"), 413), (UnsupportedMediaType("x"), 415),
    (MalformedRequest("x"), 422), (NotFound("x"), 404), (Unauthorized("x"), 401), (ModelLoading("x"), 503),
    (ServiceBusy("x"), 503), (RuntimeError("secret internals"), 500),
])
def test_status_codes(exc: Exception, status: int) -> None:
    assert status_for(exc) == status
    body = error_body(exc, "rid")
    assert body["request_id"] == "rid"
    if status == 500:
        assert "secret" not in str(body)


def _call(**limits: float) -> Call:
    config = DeploymentConfig(client="c", tasks={"sentiment": TaskConfig()}, limits=limits)
    return Call(gateway=None, task="sentiment", config=config, tenant="t", chosen=Route("default", "live", None),
                request_id="r")


def test_shed_request_becomes_service_busy() -> None:
    """Regression: BentoML's 503 'process is overloaded' from a task service surfaced as HTTP 500."""

    async def overloaded() -> None:
        raise ServiceUnavailable("process is overloaded")

    with pytest.raises(ServiceBusy):
        anyio.run(_call()._run, overloaded)

    async def broken() -> None:
        raise BentoMLException("boom")

    with pytest.raises(BentoMLException):
        anyio.run(_call()._run, broken)


def test_dropped_connection_is_retried_for_predict_then_503() -> None:
    """Regression: a keep-alive connection closed by the service under load surfaced as HTTP 500."""
    from aiohttp import ServerDisconnectedError

    attempts = []

    async def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 2:
            raise ServerDisconnectedError()
        return "ok"

    assert anyio.run(lambda: _call()._run(flaky, retries=2)) == "ok" and len(attempts) == 2

    async def dead() -> None:
        raise ServerDisconnectedError()

    with pytest.raises(ServiceBusy, match="dropped the connection"):
        anyio.run(lambda: _call()._run(dead, retries=1))


def test_timeout_cancels_a_service_call_that_hangs() -> None:
    """Regression: the call ran in a worker thread that a timeout cannot cancel, so a hung call hung the request."""

    async def hangs() -> None:
        await anyio.sleep(60)

    async def timed() -> float:
        started = anyio.current_time()
        with pytest.raises(TimeoutError):
            await _call(timeout_s=0.2)._run(hangs)
        return anyio.current_time() - started

    assert anyio.run(timed) < 5

"""The request pipeline every gateway route shares: key → tenant, version routing, model call, errors, metrics.

A route is an async function ``work(request, call) -> dict`` that parses its inputs and uses the
``Call`` to reach the task's service; ``respond`` wraps it with everything else.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio
import bentoml
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse

from core.errors import AisError
from core.registry import get_spec
from serving.config import DeploymentConfig
from serving.errors import ServiceBusy, ServiceError, error_body, status_for
from serving.request_ids import request_id_from
from serving.runtime import ErrorInfo, OperationCall, WorkItem, WorkResult
from serving.traffic import Route, route

log = logging.getLogger("ais.gateway")


def as_result(value: Any) -> WorkResult:
    return value if isinstance(value, WorkResult) else WorkResult.model_validate(
        value if isinstance(value, dict) else value.model_dump())


def raise_error(error: ErrorInfo) -> None:
    """Re-raise a task service's error in the gateway with its own class name, message and status."""
    raise ServiceError(error.type, error.status, error.message, **error.detail)


def json_response(body: dict[str, Any], status: int, request_id: str, **headers: str) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"X-Request-Id": request_id, **headers})


@dataclass
class Call:
    """One authenticated request on its way to a task service."""

    gateway: Any
    task: str
    config: DeploymentConfig
    tenant: str
    chosen: Route
    request_id: str
    payloads: list[Any] | None = None
    results: list[WorkResult] | None = None

    @property
    def version(self) -> str:
        return self.chosen.version

    async def _run(self, call: Callable[[], Awaitable[Any]], *, retries: int = 0) -> Any:
        """Call a task service on the event loop, within the deployment's timeout.

        The call is awaited, not run in a worker thread, so the timeout cancels it. ``retries``
        re-sends after a dropped connection; only idempotent calls (predict) are retried: an
        operation such as an enrollment must not run twice.
        """
        from aiohttp import ClientConnectionError
        from bentoml.exceptions import BentoMLException

        try:
            with anyio.fail_after(self.config.limits.timeout_s):
                for attempt in range(retries + 1):
                    try:
                        return await call()
                    except ClientConnectionError:
                        if attempt == retries:
                            raise
                        log.warning("request %s: connection to the %s service dropped; retrying",
                                    self.request_id, self.task)
        except ClientConnectionError as exc:
            raise ServiceBusy(f"the {self.task} model service dropped the connection; retry shortly") from exc
        except BentoMLException as exc:
            code = getattr(exc, "error_code", None)
            if code is not None and int(code) in (429, 503):
                raise ServiceBusy(f"the {self.task} model is at capacity; retry shortly") from exc
            raise

    async def predict(self, payloads: list[Any]) -> list[WorkResult]:
        """Batched predict on the chosen version; a shadow copy is queued off the response path."""
        items = [WorkItem(version=self.version, payload=p, request_id=self.request_id, tenant=self.tenant)
                 for p in payloads]
        service = getattr(self.gateway, self.task)
        results = [as_result(r) for r in await self._run(partial(service.to_async.predict, items), retries=2)]
        for result in results:
            self.gateway.metrics.batch.labels(task=self.task).observe(result.batch_size)
        shadow = self.chosen.shadow
        if shadow and shadow != self.version:
            shadow_items = [item.model_copy(update={"version": shadow}) for item in items]
            self.gateway.metrics.shadow.labels(task=self.task, version=shadow).inc()
            self.gateway.shadow.submit(self.task, partial(_shadow_run, service, shadow_items),
                                       [r.result for r in results], self.version, shadow, self.request_id,
                                       timeout_s=self.config.limits.timeout_s)
        self.payloads, self.results = payloads, results  # for monitoring, after the response is decided
        return results

    async def operate(self, op: str, request: BaseModel) -> Any:
        """One of the task's typed operations (documents, galleries, fit jobs); raises the service's error."""
        call = OperationCall(op=op, version=self.version, tenant=self.tenant, request_id=self.request_id,
                             args=request.model_dump(mode="python"))
        service = getattr(self.gateway, self.task)
        result = as_result(await self._run(partial(service.to_async.operate, call)))
        if result.error is not None:
            raise_error(result.error)
        return result.result


async def _shadow_run(service: Any, items: list[WorkItem]) -> list[Any]:
    results = [as_result(r) for r in await service.to_async.predict(items)]
    return [r.result if r.error is None else {"error": r.error.model_dump()} for r in results]


Work = Callable[[Request, Call], Awaitable[dict[str, Any]]]


async def respond(request: Request, task: str, work: Work) -> JSONResponse:
    gateway = bentoml.get_current_service()
    request_id = request_id_from(request.headers)
    started = time.perf_counter()
    version, status, call = "-", 500, None
    try:
        config, keys = gateway.watcher.current()
        tenant = keys.authenticate(request.headers)
        caller = request.headers.get("x-caller-id") or tenant
        chosen = route(task, config.tasks[task].traffic, f"{tenant}/{caller}")
        version = chosen.version
        call = Call(gateway, task, config, tenant, chosen, request_id)
        body = await work(request, call)
        status = 200
        meta = {"request_id": request_id, "task": task, "version": version, "role": chosen.role}
        return json_response({**meta, **body}, status, request_id,
                             **{"X-Model-Version": version, "X-Model-Role": chosen.role})
    except AisError as exc:
        status = status_for(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        if status == 503:
            headers["Retry-After"] = "5"
        if status >= 500:
            log.error("request %s failed: %s", request_id, exc)
        return json_response(error_body(exc, request_id), status, request_id, **headers)
    except TimeoutError:
        status = 504
        log.error("request %s timed out", request_id)
        return json_response({"error": "Timeout", "detail": {"message": "the model did not answer in time"},
                              "request_id": request_id}, status, request_id)
    except Exception as exc:
        log.exception("request %s failed", request_id)
        return json_response(error_body(exc, request_id), status, request_id)
    finally:
        gateway.metrics.observe(task, version, status, time.perf_counter() - started)
        _monitor(gateway, task, version, status, call)


def _monitor(gateway: Any, task: str, version: str, status: int, call: Call | None) -> None:
    """Summaries of inputs and outputs for drift and quality (never raises, never keeps raw inputs)."""
    monitor = getattr(gateway, "monitor", None)
    if monitor is None:
        return
    results = None
    if call is not None and call.results is not None:
        results = [r.result if r.error is None else {"error": r.error.model_dump()} for r in call.results]
    monitor.observe(task, version, get_spec(task).input_kind, call.payloads if call else None, results, status)

"""The public entry: one port, the task services a client bought, API keys, limits, version routing.

Served by ``ais serve`` (``bentoml serve serving.gateway:Gateway``). Which tasks are composed is
read from the deployment file named by ``AIS_CONFIG``; each task runs in its own BentoML service
(own process, adaptive batching) and the gateway calls it through ``bentoml.depends``.

Routes (all need a key except BentoML's /readyz, /livez, /metrics):
``POST /<task>`` one input, ``POST /<task>/batch`` many, ``GET /v1/tasks`` what this deployment serves.
"""
from __future__ import annotations

import logging
import time
import uuid
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import bentoml
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.errors import AisError, InvalidInput, ModelLoading, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType
from core.offline import state_dir
from core.registry import get_spec
from serving.config import DeploymentConfig
from serving.errors import error_body, status_for
from serving.metrics import RequestMetrics
from serving.payloads import READERS
from serving.runtime import CONFIG_ENV, ErrorInfo, WorkItem, WorkResult, deployment
from serving.services import service_for
from serving.shadow import ShadowRecorder
from serving.traffic import route
from serving.watcher import ConfigWatcher

log = logging.getLogger("ais.gateway")

_ERROR_TYPES: dict[str, type[AisError]] = {cls.__name__: cls for cls in (
    InvalidInput, PayloadTooLarge, UnsupportedMediaType, NotFound, Unauthorized, ModelLoading)}


def _as_result(value: Any) -> WorkResult:
    return value if isinstance(value, WorkResult) else WorkResult.model_validate(
        value if isinstance(value, dict) else value.model_dump())


def _raise(error: ErrorInfo) -> None:
    cls = _ERROR_TYPES.get(error.type, AisError)
    raise cls(error.message, **error.detail)


def _json(body: dict[str, Any], status: int, request_id: str, **headers: str) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"X-Request-Id": request_id, **headers})


async def _call(gateway: Any, task: str, items: list[WorkItem], timeout: float) -> list[WorkResult]:
    dependency = getattr(gateway, task)
    with anyio.fail_after(timeout):
        raw = await anyio.to_thread.run_sync(partial(dependency.predict, items))
    return [_as_result(r) for r in raw]


async def handle(request: Request, task: str, many: bool) -> JSONResponse:
    gateway = bentoml.get_current_service()
    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    started = time.perf_counter()
    version, status = "-", 500
    try:
        config, keys = gateway.watcher.current()
        tenant = keys.authenticate(request.headers)
        payloads = await READERS[get_spec(task).input_kind](request, config.limits, many=many)
        caller = request.headers.get("x-caller-id") or tenant
        chosen = route(task, config.tasks[task].traffic, f"{tenant}/{caller}")
        version = chosen.version
        items = [WorkItem(version=version, payload=p, request_id=request_id, tenant=tenant) for p in payloads]
        results = await _call(gateway, task, items, config.limits.timeout_s)
        failed = [r.error for r in results if r.error is not None]
        if failed and (not many or len(failed) == len(results)):
            _raise(failed[0])
        for result in results:
            gateway.metrics.batch.labels(task=task).observe(result.batch_size)
        if chosen.shadow and chosen.shadow != version:
            shadow_items = [item.model_copy(update={"version": chosen.shadow}) for item in items]
            gateway.metrics.shadow.labels(task=task, version=chosen.shadow).inc()
            gateway.shadow.submit(task, partial(_shadow_run, gateway, task, shadow_items),
                                  [r.result for r in results], version, chosen.shadow, request_id)
        body: dict[str, Any] = {"request_id": request_id, "task": task, "version": version, "role": chosen.role}
        if many:
            body["results"] = [r.result if r.error is None else {"error": r.error.model_dump()} for r in results]
        else:
            body["result"] = results[0].result
        status = 200
        return _json(body, status, request_id, **{"X-Model-Version": version, "X-Model-Role": chosen.role})
    except AisError as exc:
        status = status_for(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        if status == 503:
            headers["Retry-After"] = "5"
        if status >= 500:
            log.error("request %s failed: %s", request_id, exc)
        return _json(error_body(exc, request_id), status, request_id, **headers)
    except TimeoutError as exc:
        status = 504
        log.error("request %s timed out", request_id)
        return _json({"error": "Timeout", "detail": {"message": str(exc) or "model timed out"},
                      "request_id": request_id}, status, request_id)
    except Exception as exc:  # noqa: BLE001 - anything unexpected is a logged 500 with the request id
        log.exception("request %s failed", request_id)
        return _json(error_body(exc, request_id), status, request_id)
    finally:
        gateway.metrics.observe(task, version, status, time.perf_counter() - started)


def _shadow_run(gateway: Any, task: str, items: list[WorkItem]) -> list[Any]:
    results = [_as_result(r) for r in getattr(gateway, task).predict(items)]
    return [r.result if r.error is None else {"error": r.error.model_dump()} for r in results]


async def list_tasks(request: Request) -> JSONResponse:
    gateway = bentoml.get_current_service()
    request_id = uuid.uuid4().hex
    try:
        config, keys = gateway.watcher.current()
        keys.authenticate(request.headers)
    except AisError as exc:
        return _json(error_body(exc, request_id), status_for(exc), request_id)
    tasks = {name: {"input": get_spec(name).input_kind, "traffic": config.tasks[name].traffic.model_dump()}
             for name in gateway.tasks}
    return _json({"client": config.client, "tasks": tasks}, 200, request_id)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    request_id = uuid.uuid4().hex
    return _json({"error": "NotFound" if status == 404 else "HTTPError",
                  "detail": {"message": f"{request.method} {request.url.path}: "
                             f"{getattr(exc, 'detail', 'error')}"}, "request_id": request_id}, status, request_id)


def build_app(tasks: list[str]) -> Starlette:
    routes = [Route("/v1/tasks", list_tasks, methods=["GET"])]
    for task in tasks:
        routes.append(Route(f"/{task}", partial(handle, task=task, many=False), methods=["POST"]))
        routes.append(Route(f"/{task}/batch", partial(handle, task=task, many=True), methods=["POST"]))
    return Starlette(routes=routes, exception_handlers={404: _http_error, 405: _http_error})


def _init(self: Any) -> None:
    import os

    config: DeploymentConfig = deployment()
    self.tasks = config.enabled_tasks()
    self.watcher = ConfigWatcher(os.environ[CONFIG_ENV])
    self.metrics = RequestMetrics()
    folder = Path(config.state_dir) if config.state_dir else state_dir()
    self.shadow = ShadowRecorder(folder / "shadow" / config.client)
    log.info("gateway for %s serving %s", config.client, ", ".join(self.tasks))


_TASKS = deployment().enabled_tasks()
app = build_app(_TASKS)
_namespace: dict[str, Any] = {task: bentoml.depends(service_for(task)) for task in _TASKS}
_namespace["__init__"] = _init
_namespace["__doc__"] = "ai-services gateway"

Gateway = bentoml.service(name="ais-gateway", workers=1, threads=32,
                          traffic={"timeout": deployment().limits.timeout_s + 5})(
    bentoml.asgi_app(app, path="/")(type("Gateway", (), _namespace)))

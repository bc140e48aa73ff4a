"""The public entry: one port, the task services a client bought, API keys, limits, version routing.

Served by ``ais serve`` (``bentoml serve serving.gateway:Gateway``). Which tasks are composed is
read from the deployment file named by ``AIS_CONFIG``; each task runs in its own BentoML service
(own process, adaptive batching) and the gateway calls it through ``bentoml.depends``.

Routes (all need a key except BentoML's /readyz, /livez, /metrics, and /openapi.json, /docs):
``POST /<task>`` one input, ``POST /<task>/batch`` many, one route per typed operation a task
declares (documents, galleries, fit jobs, planogram checks; ``serving.endpoints``), ``GET /v1/tasks``
what this deployment serves and ``GET /v1/monitoring`` data quality and drift. ``GET /openapi.json``
describes every one of them (``serving.openapi``).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import anyio
import bentoml
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Match, Route

from core.errors import AisError, NotFound
from core.offline import state_dir
from core.registry import get_spec
from serving.calls import json_response
from serving.config import DeploymentConfig
from serving.endpoints import task_routes
from serving.errors import error_body, status_for
from serving.metrics import RequestMetrics
from serving.monitoring import Monitor, MonitorSettings
from serving.request_ids import request_id_from
from serving.route_errors import JsonRouteErrors
from serving.runtime import CONFIG_ENV, deployment, state_database
from serving.services import service_for
from serving.shadow import ShadowRecorder, shadow_log
from serving.watcher import ConfigWatcher

log = logging.getLogger("ais.gateway")


async def list_tasks(request: Request) -> JSONResponse:
    gateway = bentoml.get_current_service()
    request_id = request_id_from(request.headers)
    try:
        config, keys = gateway.watcher.current()
        keys.authenticate(request.headers)
    except AisError as exc:
        return json_response(error_body(exc, request_id), status_for(exc), request_id)
    tasks = {name: {"input": get_spec(name).input_kind, "traffic": config.tasks[name].traffic.model_dump()}
             for name in gateway.tasks}
    return json_response({"client": config.client, "tasks": tasks}, 200, request_id)


async def monitoring_summary(request: Request) -> JSONResponse:
    """``GET /v1/monitoring?since=7d``: data quality and drift per window for this deployment."""
    gateway = bentoml.get_current_service()
    request_id = request_id_from(request.headers)
    try:
        _, keys = gateway.watcher.current()
        keys.authenticate(request.headers)
        if gateway.monitor is None:
            raise NotFound("monitoring is switched off for this server (AIS_NO_MONITORING=1)")
        since = request.query_params.get("since", "7d")
        summary = await anyio.to_thread.run_sync(gateway.monitor.summary, since)
    except AisError as exc:
        return json_response(error_body(exc, request_id), status_for(exc), request_id)
    return json_response(summary.model_dump(mode="json"), 200, request_id)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    allow = (getattr(exc, "headers", None) or {}).get("Allow")
    return _route_error(request, status, [m.strip() for m in allow.split(",")] if allow else None)


def _route_error(request: Request, status: int, allow: list[str] | None = None) -> JSONResponse:
    """404/405 as the same JSON error body as every other error (the path is cut: it is the caller's text)."""
    request_id = request_id_from(request.headers)
    name, what = ("MethodNotAllowed", "method not allowed") if status == 405 else ("NotFound", "no such route")
    path = request.url.path[:200]
    headers = {"Allow": ", ".join(allow)} if allow else {}
    return json_response({"error": name, "detail": {"message": f"{request.method} {path}: {what}"},
                          "request_id": request_id}, status, request_id, **headers)


BENTOML_GET_ROUTES = ("/readyz", "/livez", "/metrics")  # BentoML answers these before the gateway's routes


def build_app(tasks: list[str]) -> Starlette:
    from serving.openapi import docs_routes

    routes = [Route("/v1/tasks", list_tasks, methods=["GET"]),
              Route("/v1/monitoring", monitoring_summary, methods=["GET"]), *docs_routes(tasks)]
    for task in tasks:
        routes.extend(task_routes(get_spec(task)))
    known = list(routes)

    async def unmatched(request: Request) -> JSONResponse:
        # BentoML hands the gateway only paths one of its routes matches in full; this last route takes
        # the rest, so an unknown path (or a known one with the wrong method) gets the JSON error body.
        allow = sorted({method for method in ("GET", "POST", "PUT", "DELETE") for r in known
                        if r.matches({**request.scope, "method": method})[0] == Match.FULL})
        if request.url.path in BENTOML_GET_ROUTES:
            allow = ["GET"]
        return _route_error(request, 405 if allow else 404, allow)

    routes.append(Route("/{path:path}", unmatched, methods=["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD",
                                                             "OPTIONS", "TRACE"]))
    return Starlette(routes=routes, exception_handlers={404: _http_error, 405: _http_error})


def _init(self: Any) -> None:
    config: DeploymentConfig = deployment()
    self.tasks = config.enabled_tasks()
    self.watcher = ConfigWatcher(os.environ[CONFIG_ENV])
    self.metrics = RequestMetrics()
    folder = Path(config.state_dir) if config.state_dir else state_dir()
    database = state_database()
    self.shadow = ShadowRecorder(shadow_log(folder, config.client, database))
    self.monitor = None if os.environ.get("AIS_NO_MONITORING") == "1" else Monitor.for_deployment(
        config, MonitorSettings(metrics=True), database=database)
    log.info("gateway for %s serving %s", config.client, ", ".join(self.tasks))


_TASKS = deployment().enabled_tasks()
app = build_app(_TASKS)
_namespace: dict[str, Any] = {task: bentoml.depends(service_for(task)) for task in _TASKS}
_namespace["__init__"] = _init
_namespace["__doc__"] = "ai-services gateway"

Gateway = bentoml.service(name="ais-gateway", workers=1, threads=32,
                          traffic={"timeout": deployment().limits.timeout_s + 5},
                          # no OpenTelemetry spans: no exporter is configurable here and the sample rate
                          # is 0, so the middleware was per-request CPU only (X-Request-Id correlates logs)
                          tracing={"excluded_urls": ".*"})(
    bentoml.asgi_app(app, path="/")(type("Gateway", (), _namespace)))
Gateway.add_asgi_middleware(JsonRouteErrors)

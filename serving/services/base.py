"""What every task service shares: a pool of model versions, one batchable ``predict`` API and one
``operate`` API that runs any of the task's typed operations (``TaskSpec.operations``)."""
from __future__ import annotations

import os
from typing import Any, ClassVar

import bentoml

from serving.runtime import (
    OperationCall,
    VersionPool,
    WorkItem,
    WorkResult,
    deployment,
    run_operation,
    task_config,
)


class TaskService:
    """Base of the per-task services: loads the live version at start-up, serves any configured version."""

    task: ClassVar[str]

    def __init__(self) -> None:
        self.pool = VersionPool(self.task)
        self.pool.warm()


def operate(self: TaskService, call: OperationCall) -> WorkResult:
    """Run one of the task's declared operations (the one dispatcher every task shares)."""
    return run_operation(self.pool, call)


def json_api(api: Any) -> Any:
    """Declare an API's answer as JSON up front. Left unset, BentoML derives the media type of a list
    answer from a freshly built JSON schema on every response: a fifth of the service's request
    handling (py-spy, sentiment at concurrency 1), paid per request even when batched."""
    api.output_spec.media_type = "application/json"
    return api


TaskService.operate = json_api(bentoml.api(operate))  # type: ignore[attr-defined]


def predict(self: TaskService, items: list[WorkItem]) -> list[WorkResult]:
    """Run a batch of work items (possibly from many callers, for several model versions)."""
    return self.pool.predict(items)


def batch_api(task: str) -> Any:
    """The ``predict`` API with this task's batching settings from the deployment config."""
    batching = task_config(task).batching
    if not batching.enabled or os.environ.get("AIS_NO_BATCHING") == "1":
        return json_api(bentoml.api(predict))
    return json_api(bentoml.api(batchable=True, max_batch_size=batching.max_batch_size,
                                max_latency_ms=batching.max_latency_ms)(predict))


def service_options(task: str) -> dict[str, Any]:
    return {
        "name": f"ais-{task}",
        "workers": 1,
        "threads": 1,  # models are not thread-safe; concurrency comes from batching
        "traffic": {"timeout": deployment().limits.timeout_s},
        # The gateway's client to this service renews its connection pool every 100 requests or
        # 300 s by closing the old pool, which aborts the requests still in flight on it ("Server
        # disconnected", "Session is closed": HTTP 500s under 16 concurrent callers). The service
        # runs next to the gateway on one host, so the pool is kept for the server's lifetime.
        "runner_connection": {"max_requests": 2**31 - 1, "max_age": 10.0**9},
        # Only the gateway talks to a task service, and it logs, meters and traces every public request
        # itself; a second access-log line and an OpenTelemetry span per internal call cost the service
        # CPU per request that batching cannot share.
        "logging": {"access": {"enabled": False}},
        "tracing": {"excluded_urls": "/predict,/operate"},
    }

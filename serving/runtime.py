"""What runs inside a task's BentoML service: the deployment it belongs to and its pool of model versions.

The gateway sends ``WorkItem``s (payload + the model version chosen by the traffic policy); the
service answers one ``WorkResult`` per item. A bad item fails alone: when a batch mixes requests of
several callers, one caller's corrupt image must not fail the others.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from core.errors import AisError, ModelLoading
from core.registry import get_spec
from serving.config import DEFAULT_VERSION, DeploymentConfig, TaskConfig, load_config
from serving.errors import status_for

if TYPE_CHECKING:
    from core.state import Database

log = logging.getLogger(__name__)
CONFIG_ENV = "AIS_CONFIG"
BUNDLED_CONFIG = "deployment.yaml"


class WorkItem(BaseModel):
    """One request's input on its way from the gateway to a task service."""

    version: str = DEFAULT_VERSION
    payload: Any
    request_id: str = ""
    tenant: str = ""


class OperationCall(BaseModel):
    """A call to one of the task's typed operations: its name and its request, already validated by the gateway."""

    op: str
    version: str = DEFAULT_VERSION
    tenant: str = ""
    args: dict[str, Any] = {}
    request_id: str = ""


class ErrorInfo(BaseModel):
    type: str
    message: str
    status: int
    detail: dict[str, Any] = {}


class WorkResult(BaseModel):
    version: str
    result: Any = None
    error: ErrorInfo | None = None
    latency_ms: float = 0.0
    batch_size: int = 1


@lru_cache(maxsize=1)
def deployment() -> DeploymentConfig:
    """The deployment this process serves, from the file named by ``AIS_CONFIG`` (read once per process)."""
    path = os.environ.get(CONFIG_ENV)
    if not path:
        # A bento built by `ais build` carries its deployment file next to the packages.
        bundled = Path(__file__).resolve().parents[1] / BUNDLED_CONFIG
        if not bundled.is_file():
            raise AisError(f"{CONFIG_ENV} is not set; start services with `ais serve`")
        os.environ[CONFIG_ENV] = str(bundled)  # the gateway's config watcher reads the same file
        path = str(bundled)
    return load_config(path)


def state_root() -> Path:
    """Where this deployment keeps its state (galleries, planograms, jobs, monitoring, shadow logs)."""
    from core.offline import state_dir

    config = deployment()
    return Path(config.state_dir) if config.state_dir else state_dir()


@lru_cache(maxsize=1)
def state_database() -> Database | None:
    """The deployment's shared state database (its ``state:`` section): one pool per process, None = embedded."""
    from serving.state import open_state

    return open_state(deployment())


def task_config(task: str) -> TaskConfig:
    return deployment().tasks.get(task) or TaskConfig(enabled=False)


def error_info(exc: BaseException) -> ErrorInfo:
    """An error as it crosses the service boundary: its class name, message and HTTP status travel with it."""
    if isinstance(exc, AisError):
        type_name = getattr(exc, "type_name", type(exc).__name__)
        return ErrorInfo(type=type_name, message=exc.message, status=status_for(exc),
                         detail={k: v for k, v in exc.detail.items() if isinstance(v, (str, int, float, bool))})
    return ErrorInfo(type="InternalError", message="unexpected error in the model service", status=500)


class VersionPool:
    """Loaded model versions of one task, loaded on first use and kept warm."""

    def __init__(self, task: str, config: TaskConfig | None = None) -> None:
        self.task = task
        self.config = config or task_config(task)
        self.spec = get_spec(task)
        self._tasks: dict[str, Any] = {}
        self._caches: dict[str, dict[str, Any]] = {}  # per version: open galleries, running jobs...
        self._loading: set[str] = set()
        self._lock = threading.Lock()

    def get(self, version: str) -> Any:
        with self._lock:
            if version in self._tasks:
                return self._tasks[version]
            if version in self._loading:
                raise ModelLoading(f"model {self.task}:{version} is loading; retry shortly", retry_after=5)
            self._loading.add(version)
        try:
            weights = None if version == DEFAULT_VERSION else version
            started = time.perf_counter()
            model = self.spec.create(weights=weights, device=self.config.device, **self.config.options).load()
            log.info("loaded %s version %s in %.1fs", self.task, version, time.perf_counter() - started)
            with self._lock:
                self._tasks[version] = model
            return model
        finally:
            with self._lock:
                self._loading.discard(version)

    def warm(self) -> None:
        """Load the live version now (service start-up) so the first request is fast."""
        self.get(self.config.traffic.live)

    def predict(self, items: list[WorkItem]) -> list[WorkResult]:
        results: list[WorkResult | None] = [None] * len(items)
        by_version: dict[str, list[int]] = defaultdict(list)
        for index, item in enumerate(items):
            by_version[item.version].append(index)
        for version, indices in by_version.items():
            started = time.perf_counter()
            outputs = self._run(version, [items[i].payload for i in indices])
            elapsed = (time.perf_counter() - started) * 1000
            for index, output in zip(indices, outputs, strict=True):
                if isinstance(output, BaseException):
                    results[index] = WorkResult(version=version, error=error_info(output), latency_ms=elapsed,
                                                batch_size=len(indices))
                else:
                    results[index] = WorkResult(version=version, result=output.model_dump(mode="json"),
                                                latency_ms=elapsed, batch_size=len(indices))
        return [r for r in results if r is not None]

    def _run(self, version: str, payloads: list[Any]) -> list[Any]:
        try:
            model = self.get(version)
        except Exception as exc:
            if not isinstance(exc, AisError):
                log.exception("loading %s:%s failed", self.task, version)
            return [exc] * len(payloads)
        try:
            return list(model.predict(payloads))
        except Exception as exc:
            if not isinstance(exc, AisError):
                log.exception("%s:%s failed on a batch of %d", self.task, version, len(payloads))
            if len(payloads) == 1:
                return [exc]
            # isolate the bad item(s): rerun one by one so every other caller still gets an answer
            return [self._single(model, payload) for payload in payloads]

    def _single(self, model: Any, payload: Any) -> Any:
        try:
            return model.predict([payload])[0]
        except Exception as exc:
            if not isinstance(exc, AisError):
                log.exception("%s failed on one item", self.task)
            return exc


    def cache(self, version: str) -> dict[str, Any]:
        """What operations of one loaded version keep between calls (owned here, not in module globals)."""
        with self._lock:
            return self._caches.setdefault(version, {})


def run_operation(pool: VersionPool, call: OperationCall) -> WorkResult:
    """Validate the call's request against the operation's model and run it; every failure is an ErrorInfo."""
    from pydantic import ValidationError

    from core.operations import OperationContext
    from serving.errors import MalformedRequest

    started = time.perf_counter()
    try:
        operation = pool.spec.operation(call.op)
        if operation.kind != "operation":
            raise MalformedRequest(f"{call.op!r} is served by predict, not as an operation")
        try:
            request = operation.request_model().model_validate(call.args)
        except ValidationError as exc:
            raise MalformedRequest(f"invalid {call.op} request: {validation_message(exc)}") from exc
        model = pool.get(call.version)
        config = deployment()
        context = OperationContext(tenant=call.tenant, state_root=state_root(), client=config.client,
                                   max_pixels=config.limits.max_pixels, max_bytes=config.limits.max_bytes,
                                   max_text_chars=config.limits.max_text_chars,
                                   cache=pool.cache(call.version), database=state_database())
        output = operation.run(model, request, context)
        return WorkResult(version=call.version, result=output.model_dump(mode="json"),
                          latency_ms=(time.perf_counter() - started) * 1000)
    except Exception as exc:
        if not isinstance(exc, AisError):
            log.exception("%s operation %s failed", pool.task, call.op)
        return WorkResult(version=call.version, error=error_info(exc))


def validation_message(exc: Any) -> str:
    """Pydantic's errors as ``field: problem; ...`` without echoing the input (it may be huge or binary)."""
    parts = []
    for err in exc.errors(include_url=False, include_input=False)[:20]:
        where = ".".join(str(p) for p in err["loc"]) or "(body)"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)

"""A client's deployment file: which tasks, which model versions, traffic policy, keys and limits.

One YAML file → one running service set (`ais serve --config`) and one bento (`ais build`).
Validated by pydantic; errors name the offending key, e.g. ``tasks.ocr.traffic.canary_percent``.

```yaml
client: acme-bank
tasks:
  sentiment:
    traffic: {live: "sentiment:v2", canary: "sentiment:v3", canary_percent: 20, shadow: null}
    options: {neutral_band: 0.1}
keys:
  - {tenant: acme, sha256: "<hex of sha256(key)>"}
limits: {max_bytes: 10000000, max_batch_items: 64}
```

Optional sections for ``ais deploy k8s`` (``ais serve`` ignores them): per task ``resources``,
``gpu``, ``replicas``, ``autoscale`` (``serving/placement.py``); ``gateway`` (its resources and
copies); ``state`` (embedded or PostgreSQL). See docs/kubernetes.md.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.errors import ConfigError
from serving.placement import Autoscale, GatewayConfig, Gpu, Resources

DEFAULT_VERSION = "default"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Limits(_Strict):
    """Request limits enforced by the gateway before anything reaches a model."""

    max_bytes: int = Field(20 * 1024 * 1024, gt=0, description="largest request body")
    max_pixels: int = Field(50_000_000, gt=0)
    max_batch_items: int = Field(64, gt=0)
    max_text_chars: int = Field(20_000, gt=0)
    timeout_s: float = Field(120.0, gt=0)


class Batching(_Strict):
    """Adaptive batching of the task's BentoML service.

    ``max_latency_ms`` is BentoML's latency budget: requests it predicts would wait longer are shed
    with 503. It must exceed the time to work through a full queue (16 callers of OCR or plate on a
    2-core CPU queue about 16 s of work; with 10 s almost all of them were shed), so the default is a
    minute, half the request timeout; lower it per task where a client prefers fast 503s to waiting.
    """

    enabled: bool = True
    max_batch_size: int = Field(32, gt=0)
    max_latency_ms: int = Field(60_000, gt=0)


class Traffic(_Strict):
    """Which model version answers: ``live``, a sticky ``canary`` slice, and a silent ``shadow`` copy."""

    live: str = DEFAULT_VERSION
    canary: str | None = None
    canary_percent: float = Field(0.0, ge=0.0, le=100.0)
    shadow: str | None = None
    history: list[str] = Field(default_factory=list, description="previous live versions, newest last")

    @model_validator(mode="after")
    def _canary_needs_version(self) -> Traffic:
        if self.canary_percent > 0 and not self.canary:
            raise ValueError("canary_percent > 0 needs a canary version")
        return self

    def versions(self) -> list[str]:
        """Every version this policy may call (live first)."""
        out = [self.live]
        for extra in (self.canary, self.shadow):
            if extra and extra not in out:
                out.append(extra)
        return out


class TaskConfig(_Strict):
    enabled: bool = True
    traffic: Traffic = Field(default_factory=Traffic)
    options: dict[str, Any] = Field(default_factory=dict, description="passed to the task constructor")
    batching: Batching = Field(default_factory=Batching)
    device: str = "auto"
    # Where and how many (``ais deploy k8s``; ``ais serve`` runs one copy on this machine).
    resources: Resources = Field(default_factory=Resources)
    gpu: Gpu = Field(default_factory=Gpu)
    replicas: int = Field(1, ge=1, description="copies when autoscale is off")
    autoscale: Autoscale = Field(default_factory=Autoscale)

    @model_validator(mode="after")
    def _device_matches_gpu(self) -> TaskConfig:
        if self.gpu.count > 0 and self.device == "cpu":
            raise ValueError("gpu.count > 0 with device 'cpu': the GPU would sit idle; use device 'auto' or 'cuda'")
        return self


class ApiKey(_Strict):
    """An API key, stored as the SHA-256 of the key; the tenant scopes every data operation."""

    tenant: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    name: str | None = None


class StateConfig(_Strict):
    """Where mutable state lives: galleries, planograms, topic-fit jobs, monitoring, shadow logs.

    ``embedded`` (default): SQLite files and folders under the state dir, nothing to install; a
    stateful service then runs as one copy (two would each see their own files). ``postgresql``:
    the database whose URL is in the environment variable ``url_env`` (on Kubernetes, from a Secret).
    """

    backend: Literal["embedded", "postgresql"] = "embedded"
    url_env: str = Field("AIS_DATABASE_URL", pattern=r"^[A-Z_][A-Z0-9_]*$",
                         description="environment variable holding postgresql://... (never the URL itself)")
    volume_size: str = Field("10Gi", pattern=r"^\d+(Ki|Mi|Gi|Ti)$",
                             description="Kubernetes volume per stateful service (embedded backend)")
    storage_class: str | None = Field(None, description="StorageClass of those volumes (default: the cluster's)")


class DeploymentConfig(_Strict):
    client: str = Field(min_length=1)
    tasks: dict[str, TaskConfig]
    keys: list[ApiKey] = Field(default_factory=list)
    limits: Limits = Field(default_factory=Limits)
    state_dir: str | None = Field(None, description="galleries, shadow logs, monitoring (default: AIS_HOME)")
    state: StateConfig = Field(default_factory=StateConfig)
    gateway: GatewayConfig = Field(default_factory=GatewayConfig)

    @field_validator("tasks")
    @classmethod
    def _known_tasks(cls, tasks: dict[str, TaskConfig]) -> dict[str, TaskConfig]:
        from core.registry import task_names

        known = set(task_names())
        unknown = sorted(set(tasks) - known)
        if unknown:
            raise ValueError(f"unknown task(s) {unknown}; registered: {sorted(known)}")
        if not any(t.enabled for t in tasks.values()):
            raise ValueError("no task is enabled")
        from core.registry import get_spec

        for name, task in tasks.items():
            try:  # a typo in an option fails here, naming it, not when a model first loads
                get_spec(name).validate_options(task.options)
            except ConfigError as exc:
                raise ValueError(f"tasks.{name}.options: {exc.message}") from exc
        return tasks

    def enabled_tasks(self) -> list[str]:
        return sorted(name for name, cfg in self.tasks.items() if cfg.enabled)


def hash_key(key: str) -> str:
    """The stored form of an API key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return "ais_" + secrets.token_urlsafe(24)


def _format_error(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        lines.append(f"{where}: {err['msg']}")
    return "; ".join(lines)


def parse_config(data: object, source: str = "config") -> DeploymentConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    try:
        return DeploymentConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_format_error(exc)}") from exc


def load_config(path: str | Path) -> DeploymentConfig:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"deployment config {str(path)!r} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse_config(data, str(path))


def save_config(config: DeploymentConfig, path: str | Path) -> None:
    """Write atomically (temp file + rename) so a running server never reads half a file."""
    path = Path(path)
    data = config.model_dump(mode="json", exclude_none=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle, sort_keys=False)
    os.replace(tmp, path)


def default_config(tasks: list[str], dev_key: str) -> DeploymentConfig:
    """Every given task with its default model, one development tenant."""
    return DeploymentConfig(
        client="development",
        tasks={name: TaskConfig() for name in tasks},
        keys=[ApiKey(tenant="dev", sha256=hash_key(dev_key), name="development key")],
    )

"""The pieces of one client's deployment on Kubernetes: the gateway and one service per enabled task.

Each becomes a Deployment + Service (+ HPA, PDB). With the embedded state backend a service that
keeps state on its disk runs as exactly one copy on its own volume: two copies would each see a
different face gallery. The PostgreSQL backend (``state.backend: postgresql``) lifts that.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from core.errors import ConfigError
from serving.config import DeploymentConfig
from serving.placement import Autoscale, Gpu, Resources

log = logging.getLogger(__name__)

GATEWAY = "gateway"
# What each service keeps on its disk with the embedded backend (SQLite files and folders).
EMBEDDED_STATE = {
    GATEWAY: "shadow logs and monitoring profiles",
    "face": "face galleries",
    "planogram": "planograms",
    "topics": "topic-fit jobs and fitted models",
}
# Model loading can take minutes on CPU (OCR, face, plate); the gateway loads no model.
STARTUP_SECONDS = {GATEWAY: 120}
TASK_STARTUP_SECONDS = 600


@dataclass(frozen=True)
class Component:
    """One Deployment's worth: what BentoML serves there and how many copies of it."""

    name: str               # "gateway" or a task name
    bento_service: str      # the BentoML service name: "ais-gateway", "ais-face"
    resources: Resources
    gpu: Gpu | None         # None: no GPU
    replicas: int
    autoscale: Autoscale | None  # None: fixed replicas
    embedded_state: str | None   # what it keeps on its own volume; None: nothing (or PostgreSQL)
    startup_seconds: int

    @property
    def is_gateway(self) -> bool:
        return self.name == GATEWAY


def slug(client: str) -> str:
    """A DNS-label-safe form of the client name (``Acme Bank`` → ``acme-bank``), short enough for suffixes."""
    value = re.sub(r"[^a-z0-9]+", "-", client.lower()).strip("-")[:40].strip("-")
    if not value:
        raise ConfigError(f"client {client!r} has no letters or digits to name Kubernetes objects after")
    return value


def components(config: DeploymentConfig) -> list[Component]:
    """The gateway first, then every enabled task, with replicas pinned where state is embedded."""
    embedded = config.state.backend == "embedded"
    gateway = config.gateway
    out = [_pinned(Component(GATEWAY, "ais-gateway", gateway.resources, None, gateway.replicas,
                             gateway.autoscale if gateway.autoscale.enabled else None,
                             EMBEDDED_STATE[GATEWAY] if embedded else None, STARTUP_SECONDS[GATEWAY]))]
    for task in config.enabled_tasks():
        cfg = config.tasks[task]
        if cfg.device.startswith("cuda") and cfg.gpu.count == 0:
            raise ConfigError(f"tasks.{task}: device {cfg.device!r} needs gpu.count >= 1 on Kubernetes")
        state = EMBEDDED_STATE.get(task) if embedded else None
        out.append(_pinned(Component(task, f"ais-{task}", cfg.resources, cfg.gpu if cfg.gpu.count else None,
                                     cfg.replicas, cfg.autoscale if cfg.autoscale.enabled else None, state,
                                     TASK_STARTUP_SECONDS)))
    return out


def _pinned(component: Component) -> Component:
    """A service with embedded state runs as one copy, whatever the config asked for (and says so)."""
    if component.embedded_state is None:
        return component
    if component.replicas > 1 or (component.autoscale and component.autoscale.max_replicas > 1):
        log.warning("%s keeps %s on its own volume (state.backend: embedded): rendering 1 replica and no "
                    "autoscaler; use state.backend: postgresql to run several", component.name,
                    component.embedded_state)
    return Component(component.name, component.bento_service, component.resources, component.gpu, 1, None,
                     component.embedded_state, component.startup_seconds)

"""Where a service runs and how many copies: CPU/memory, GPUs, replicas, autoscaling.

Part of the deployment file (``tasks.<task>.resources`` ...; ``gateway.resources`` ...). ``ais serve``
ignores these fields; ``ais deploy k8s`` renders them into Kubernetes manifests. The shapes follow
Kubernetes' own (``requests``/``limits`` with quantities such as ``500m`` or ``2Gi``) so a platform
engineer reads them without a manual.
"""
from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_CPU = re.compile(r"^(\d+(\.\d+)?|\d+m)$")
_MEMORY = re.compile(r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$")
_MEMORY_UNITS = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
                 "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
GPU_RESOURCE = "nvidia.com/gpu"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def cpu_cores(quantity: str) -> float:
    """``"500m"`` → 0.5, ``"2"`` → 2.0."""
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def memory_bytes(quantity: str) -> float:
    """``"512Mi"`` → 536870912."""
    match = re.match(r"^(\d+(?:\.\d+)?)(\D*)$", quantity)
    assert match is not None
    return float(match.group(1)) * _MEMORY_UNITS[match.group(2)]


class Quantities(_Strict):
    """CPU in cores (``"2"``, ``"500m"``) and memory in bytes with a unit (``"4Gi"``, ``"512Mi"``)."""

    cpu: str
    memory: str

    @field_validator("cpu")
    @classmethod
    def _cpu(cls, value: str) -> str:
        if not _CPU.match(value) or cpu_cores(value) <= 0:
            raise ValueError(f"CPU {value!r} is not a positive Kubernetes quantity such as '2' or '500m'")
        return value

    @field_validator("memory")
    @classmethod
    def _memory(cls, value: str) -> str:
        if not _MEMORY.match(value) or memory_bytes(value) <= 0:
            raise ValueError(f"memory {value!r} is not a positive Kubernetes quantity such as '4Gi' or '512Mi'")
        return value


class Resources(_Strict):
    """What the scheduler reserves (``requests``) and the most a container may use (``limits``)."""

    requests: Quantities = Field(default_factory=lambda: Quantities(cpu="1", memory="2Gi"))
    limits: Quantities = Field(default_factory=lambda: Quantities(cpu="2", memory="4Gi"))

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Resources:
        if cpu_cores(self.requests.cpu) > cpu_cores(self.limits.cpu):
            raise ValueError(f"requests.cpu {self.requests.cpu} exceeds limits.cpu {self.limits.cpu}")
        if memory_bytes(self.requests.memory) > memory_bytes(self.limits.memory):
            raise ValueError(f"requests.memory {self.requests.memory} exceeds limits.memory {self.limits.memory}")
        return self


def gateway_resources() -> Resources:
    """The gateway parses requests and forwards them: no model, little memory."""
    return Resources(requests=Quantities(cpu="250m", memory="512Mi"), limits=Quantities(cpu="1", memory="1Gi"))


class Toleration(_Strict):
    key: str
    operator: str = Field("Exists", pattern=r"^(Exists|Equal)$")
    value: str | None = None
    effect: str | None = Field(None, pattern=r"^(NoSchedule|PreferNoSchedule|NoExecute)$")


class Gpu(_Strict):
    """GPUs per pod (``nvidia.com/gpu``, NVIDIA device plugin) and how to land on a GPU node."""

    count: int = Field(0, ge=0, le=16)
    node_selector: dict[str, str] = Field(
        default_factory=lambda: {"nvidia.com/gpu.present": "true"},
        description="labels of GPU nodes (the default is set by NVIDIA's GPU feature discovery)")
    tolerations: list[Toleration] = Field(
        default_factory=lambda: [Toleration(key=GPU_RESOURCE, operator="Exists", effect="NoSchedule")],
        description="taints GPU node pools commonly carry")


class Autoscale(_Strict):
    """A HorizontalPodAutoscaler on CPU utilisation (of the requested CPU)."""

    enabled: bool = True
    min_replicas: int = Field(1, ge=1)
    max_replicas: int = Field(3, ge=1)
    target_cpu_percent: int = Field(70, ge=1, le=100)

    @model_validator(mode="after")
    def _bounds(self) -> Autoscale:
        if self.max_replicas < self.min_replicas:
            raise ValueError(f"max_replicas {self.max_replicas} is below min_replicas {self.min_replicas}")
        return self


class GatewayConfig(_Strict):
    """The public entry's pods: no model and no GPU."""

    resources: Resources = Field(default_factory=gateway_resources)
    replicas: int = Field(1, ge=1, description="copies when autoscale is off")
    autoscale: Autoscale = Field(default_factory=Autoscale)

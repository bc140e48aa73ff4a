"""Device, precision and CPU-thread resolution, in one place: ``auto`` means CUDA when present, else CPU."""
from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from typing import Literal

from core.errors import ConfigError

DeviceSpec = Literal["auto", "cpu", "cuda"] | str
PrecisionSpec = Literal["auto", "fp32", "fp16", "bf16"]


@dataclass(frozen=True)
class Placement:
    """Where and how a model runs: ``device`` is a torch device string, ``precision`` a dtype name."""

    device: str
    precision: str

    @property
    def is_cuda(self) -> bool:
        return self.device.startswith("cuda")

    def torch_dtype(self):
        import torch

        return {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[self.precision]


def cuda_available() -> bool:
    """True when torch is installed and sees a CUDA device; never imports torch if it is absent."""
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def resolve_device(spec: DeviceSpec = "auto") -> str:
    """Turn ``auto``/``cpu``/``cuda``/``cuda:N`` into a concrete device string, or raise ConfigError."""
    spec = (spec or "auto").strip().lower()
    if spec == "auto":
        return "cuda" if cuda_available() else "cpu"
    if spec == "cpu":
        return "cpu"
    if spec == "cuda" or spec.startswith("cuda:"):
        if not cuda_available():
            raise ConfigError(f"device {spec!r} requested but no CUDA device is available; use 'cpu' or 'auto'")
        return spec
    raise ConfigError(f"unknown device {spec!r}; expected 'auto', 'cpu', 'cuda' or 'cuda:N'")


def resolve_precision(precision: PrecisionSpec, device: str) -> str:
    """fp16/bf16 only on CUDA; ``auto`` picks fp16 on CUDA and fp32 on CPU."""
    precision = (precision or "auto").lower()  # type: ignore[assignment]
    if precision not in {"auto", "fp32", "fp16", "bf16"}:
        raise ConfigError(f"unknown precision {precision!r}; expected auto, fp32, fp16 or bf16")
    on_cuda = device.startswith("cuda")
    if precision == "auto":
        return "fp16" if on_cuda else "fp32"
    if precision in {"fp16", "bf16"} and not on_cuda:
        raise ConfigError(f"precision {precision} needs a CUDA device; on {device} use fp32")
    return precision


def cpu_threads(cap: int | None = None) -> int:
    """The CPU threads a model may use: ``OMP_NUM_THREADS`` when it is a positive number (the Kubernetes
    manifests set it from the pod's CPU limit: a container sees every core of its node), else the CPUs this
    process may run on; at most ``cap``.

    >>> cpu_threads(cap=1)
    1
    """
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    threads = int(value) if value.isdigit() and int(value) > 0 else 0
    if not threads:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(threads, cap) if cap else threads)


def resolve_placement(device: DeviceSpec = "auto", precision: PrecisionSpec = "auto") -> Placement:
    """Resolve device then precision together (the only entry point tasks should call)."""
    resolved = resolve_device(device)
    return Placement(device=resolved, precision=resolve_precision(precision, resolved))

"""Timing and memory probes: ``perf_counter`` on the CPU, CUDA events with synchronisation on the GPU.

torch is imported only when the device is CUDA, so CPU-only benchmarks of non-torch tasks never
pull it in.
"""
from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Self

from core.errors import InvalidInput


class Clock(Protocol):
    """Times one call of ``fn`` in seconds, including all device work it queued."""

    def time(self, fn: Callable[[], Any]) -> float: ...


class CpuClock:
    """Wall time with ``time.perf_counter`` (the right clock for CPU work and for HTTP calls)."""

    def time(self, fn: Callable[[], Any]) -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start


class CudaClock:
    """CUDA events around the call; synchronising before and after so queued kernels are counted.

    Events measure GPU-side time between the two records; because ``fn`` includes host work
    (pre/post-processing) we synchronise first, so the start event fires when the call begins.
    """

    def __init__(self, device: str = "cuda") -> None:
        import torch

        self._torch = torch
        self._device = torch.device(device)

    def time(self, fn: Callable[[], Any]) -> float:
        torch = self._torch
        torch.cuda.synchronize(self._device)
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize(self._device)
        return start.elapsed_time(end) / 1000.0


def clock_for(device: str) -> Clock:
    """The clock that fits a resolved device string (``cpu``, ``cuda``, ``cuda:N``)."""
    return CudaClock(device) if device.startswith("cuda") else CpuClock()


@dataclass(frozen=True)
class TimingPlan:
    """How long to measure one scenario: warm-up calls, then timed runs bounded by count and time."""

    warmup: int = 3
    min_runs: int = 5
    max_runs: int = 100
    max_seconds: float = 10.0

    def __post_init__(self) -> None:
        if self.warmup < 0 or self.min_runs < 1 or self.max_runs < self.min_runs or self.max_seconds <= 0:
            raise InvalidInput(f"invalid timing plan {self}")


def measure(fn: Callable[[], Any], clock: Clock, plan: TimingPlan) -> list[float]:
    """Warm up, then time ``fn`` repeatedly: at least ``min_runs``, at most ``max_runs``, and stop
    adding runs after ``max_seconds`` of wall time (the minimum is always honoured)."""
    for _ in range(plan.warmup):
        fn()
    samples: list[float] = []
    deadline = time.perf_counter() + plan.max_seconds
    while len(samples) < plan.max_runs:
        samples.append(clock.time(fn))
        if len(samples) >= plan.min_runs and time.perf_counter() >= deadline:
            break
    return samples


def wall_time(fn: Callable[[], Any], device: str = "cpu") -> tuple[Any, float]:
    """Run ``fn`` once and return (result, seconds), synchronising CUDA so async work is counted."""
    start = time.perf_counter()
    result = fn()
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()
    return result, time.perf_counter() - start


class PeakRss:
    """Peak resident memory of this process over a ``with`` block, in MiB.

    On Linux the kernel's high-water mark (``VmHWM``) is reset by writing 5 to
    ``/proc/self/clear_refs``, which gives a true per-phase peak; elsewhere we fall back to the
    process-lifetime peak (``ru_maxrss``) and say so in ``scope``.
    """

    def __init__(self) -> None:
        self.peak_mib: float = 0.0
        self.scope = "phase"

    def __enter__(self) -> Self:
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            self.scope = "process lifetime"
        return self

    def __exit__(self, *exc: object) -> None:
        self.peak_mib = _vm_hwm_mib() if self.scope == "phase" else _ru_maxrss_mib()


def _vm_hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return _ru_maxrss_mib()


def _ru_maxrss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return rss / (1024.0 * 1024.0) if sys.platform == "darwin" else rss / 1024.0


class PeakCudaMemory:
    """Peak memory allocated by torch on a CUDA device over a ``with`` block, in MiB."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.peak_mib: float = 0.0

    def __enter__(self) -> Self:
        import torch

        torch.cuda.synchronize(self.device)
        torch.cuda.reset_peak_memory_stats(self.device)
        return self

    def __exit__(self, *exc: object) -> None:
        import torch

        torch.cuda.synchronize(self.device)
        self.peak_mib = torch.cuda.max_memory_allocated(self.device) / (1024.0 * 1024.0)

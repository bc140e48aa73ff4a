"""In-process performance scenarios (MLPerf style): model load, single-stream latency, offline throughput.

Every function returns ``Measurement`` records labelled with the resolved device and precision,
the batch size and the number of timed runs behind each number.
"""
from __future__ import annotations

import gc
import itertools
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.schemas import Measurement, Scenario
from benchmarks.stats import summarize, throughput
from benchmarks.timing import PeakCudaMemory, PeakRss, TimingPlan, clock_for, measure, wall_time
from core.registry import TaskSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PerfPlan:
    """What to measure: batch sizes for the offline scenario and the timing plan of each scenario."""

    batch_sizes: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
    single_stream: TimingPlan = field(default_factory=lambda: TimingPlan(warmup=3, min_runs=20, max_runs=200,
                                                                         max_seconds=20.0))
    offline: TimingPlan = field(default_factory=lambda: TimingPlan(warmup=2, min_runs=5, max_runs=50,
                                                                   max_seconds=15.0))
    single_stream_pool: int = 8  # distinct inputs cycled through, so no result cache can flatter us


QUICK_PLAN = PerfPlan(
    batch_sizes=(1, 4, 8),
    # Heavy tasks (a page of OCR takes seconds on a small CPU) get the minimum runs; light ones the maximum.
    single_stream=TimingPlan(warmup=1, min_runs=5, max_runs=50, max_seconds=5.0),
    offline=TimingPlan(warmup=1, min_runs=2, max_runs=10, max_seconds=5.0),
    single_stream_pool=4,
)


@dataclass(frozen=True)
class Labels:
    """The conditions shared by every number of one task run."""

    task: str
    device: str
    precision: str

    def m(self, scenario: Scenario, metric: str, value: float, unit: str, n: int, *,
          batch_size: int | None = None, concurrency: int | None = None, config: str = "") -> Measurement:
        return Measurement(task=self.task, scenario=scenario, metric=metric, value=float(value), unit=unit,
                           device=self.device, precision=self.precision, batch_size=batch_size,
                           concurrency=concurrency, config=config, n=n)


def latency_measurements(labels: Labels, scenario: Scenario, seconds: Sequence[float], *,
                         batch_size: int | None = None, concurrency: int | None = None,
                         config: str = "") -> list[Measurement]:
    """p50/p90/p99/mean latency in milliseconds from per-call durations in seconds."""
    s = summarize(seconds)
    kw: dict[str, Any] = {"batch_size": batch_size, "concurrency": concurrency, "config": config}
    return [labels.m(scenario, f"latency_{name}", value * 1000.0, "ms", s.n, **kw)
            for name, value in (("p50", s.p50), ("p90", s.p90), ("p99", s.p99), ("mean", s.mean))]


def load_task(spec: TaskSpec, device: str, precision: str) -> tuple[Any, list[Measurement]]:
    """Construct and load the task, timing the load and the memory it took."""
    task = spec.create(device=device, precision=precision)
    on_cuda = device.startswith("cuda")
    cuda_probe = PeakCudaMemory(device) if on_cuda else None
    with PeakRss() as rss:
        if cuda_probe is not None:
            with cuda_probe:
                _, seconds = wall_time(task.load, device)
        else:
            _, seconds = wall_time(task.load, device)
    placement = task.placement
    labels = Labels(spec.name, placement.device, placement.precision)
    out = [labels.m("load", "load_time", seconds, "s", 1),
           labels.m("load", "peak_rss", rss.peak_mib, "MiB", 1, config=f"rss scope={rss.scope}")]
    if cuda_probe is not None:
        out.append(labels.m("load", "peak_cuda_memory", cuda_probe.peak_mib, "MiB", 1))
    return task, out


def single_stream(task: Any, spec: TaskSpec, labels: Labels, plan: PerfPlan) -> list[Measurement]:
    """One item per call, back to back; latency percentiles over the timed calls."""
    pool = spec.sample_inputs(plan.single_stream_pool)
    items = itertools.cycle(pool)
    seconds = measure(lambda: task.predict([next(items)]), clock_for(labels.device), plan.single_stream)
    out = latency_measurements(labels, "single_stream", seconds, batch_size=1)
    out.append(labels.m("single_stream", "throughput", throughput(len(seconds), sum(seconds)), "items/s",
                        len(seconds), batch_size=1))
    return out


def offline(task: Any, spec: TaskSpec, labels: Labels, plan: PerfPlan,
            errors: list[str] | None = None) -> list[Measurement]:
    """A batch of N items per call for each N: batch latency, items/s and peak memory per batch size."""
    return [m for batch in offline_by_batch(task, spec, labels, plan, errors) for m in batch]


def offline_by_batch(task: Any, spec: TaskSpec, labels: Labels, plan: PerfPlan,
                     errors: list[str] | None = None, time_left: Callable[[], float] | None = None,
                     notes: list[str] | None = None) -> Iterator[list[Measurement]]:
    """``offline``, yielding each batch size's measurements as soon as they exist (for checkpoints).

    With ``time_left`` (seconds this task may still use), a batch size whose expected cost (warm-up
    plus minimum runs at the per-item time measured so far) does not fit is not started: it is named
    in ``notes`` instead, so a slow task ends with the batch sizes it could measure rather than being
    stopped in the middle of one.
    """
    clock = clock_for(labels.device)
    per_item: float | None = None
    for batch_size in plan.batch_sizes:
        out: list[Measurement] = []
        if time_left is not None and per_item is not None:
            expected = per_item * batch_size * (plan.offline.warmup + plan.offline.min_runs)
            if expected > time_left():
                note = (f"offline batch {batch_size} not run: expected {expected:.0f} s "
                        f"> {max(time_left(), 0):.0f} s left of the task's time share")
                log.info("%s: %s", spec.name, note)
                if notes is not None:
                    notes.append(note)
                yield []
                continue
        try:
            batch = spec.sample_inputs(batch_size)
            cuda_probe = PeakCudaMemory(labels.device) if labels.device.startswith("cuda") else None
            with PeakRss() as rss:
                if cuda_probe is not None:
                    with cuda_probe:
                        seconds = measure(lambda b=batch: task.predict(b), clock, plan.offline)
                else:
                    seconds = measure(lambda b=batch: task.predict(b), clock, plan.offline)
        except Exception as exc:  # noqa: BLE001 - one batch size failing (e.g. out of memory) is a result
            message = f"offline batch {batch_size}: {type(exc).__name__}: {exc}"
            log.warning("%s: %s", spec.name, message)
            if errors is not None:
                errors.append(message)
            _free_cuda(labels.device)
            yield []
            continue
        per_item = sum(seconds) / (len(seconds) * batch_size)
        out += latency_measurements(labels, "offline", seconds, batch_size=batch_size)
        out.append(labels.m("offline", "throughput", throughput(batch_size * len(seconds), sum(seconds)),
                            "items/s", len(seconds), batch_size=batch_size))
        out.append(labels.m("offline", "peak_rss", rss.peak_mib, "MiB", len(seconds), batch_size=batch_size,
                            config=f"rss scope={rss.scope}"))
        if cuda_probe is not None:
            out.append(labels.m("offline", "peak_cuda_memory", cuda_probe.peak_mib, "MiB", len(seconds),
                                batch_size=batch_size))
        yield out


def _free_cuda(device: str) -> None:
    gc.collect()
    if device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()

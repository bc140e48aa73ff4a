"""The results schema of a benchmark run (``results.json``): every number carries its conditions.

A run is a flat list of ``Measurement`` records (task, scenario, metric, device, precision, batch
size, concurrency, configuration, sample count, value, unit), plus the accuracy metrics each task
returned, the machine it ran on, and what was skipped and why.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

Scenario = Literal[
    "load",             # model load time and memory (one sample per load)
    "single_stream",    # one item per call, calls back to back: latency percentiles (MLPerf SingleStream)
    "offline",          # a batch of N items per call: batch latency and items/s (MLPerf Offline)
    "served",           # HTTP load generator at a concurrency level against a running server
    "served_reference", # the same inputs through the raw in-process call, for the overhead ratio
    "derived",          # ratios computed from other measurements (overhead, batching gain)
]


class Measurement(BaseModel):
    """One number and everything needed to interpret it."""

    model_config = ConfigDict(frozen=True)

    task: str
    scenario: Scenario
    metric: str = Field(description="e.g. latency_p50, throughput, peak_rss, load_time, error_rate")
    value: float
    unit: str = Field(description="ms, items/s, requests/s, MiB, s, ratio, count")
    device: str
    precision: str
    batch_size: int | None = None
    concurrency: int | None = None
    config: str = Field("", description="server configuration or other condition, e.g. batching=on")
    n: int = Field(ge=0, description="how many timed runs / requests / loads the number summarises")

    def key(self) -> tuple[Any, ...]:
        """Identity of the number across runs (everything but the value and sample count)."""
        return (self.task, self.scenario, self.metric, self.unit, self.device, self.precision,
                self.batch_size, self.concurrency, self.config)


class AccuracyResult(BaseModel):
    """Metrics a task's ``evaluate`` returned on one evaluation set, recorded as returned."""

    task: str
    dataset: str
    device: str
    precision: str
    n_samples: int
    values: dict[str, float]
    details: dict[str, Any] = Field(default_factory=dict)
    seconds: float = Field(description="wall time of the evaluation, loading the dataset included")


class TaskOutcome(BaseModel):
    """What happened to one task in this run."""

    task: str
    device: str = Field(description="as requested; the resolved device is on every measurement")
    precision: str
    status: Literal["ok", "skipped", "failed", "partial"]
    reason: str = ""
    weights_source: str = ""
    seconds: float = 0.0
    errors: list[str] = Field(default_factory=list, description="non-fatal errors, one per failed step")
    notes: list[str] = Field(default_factory=list, description="steps left out on purpose, e.g. to fit the time share")


class GpuInfo(BaseModel):
    name: str
    memory_mib: float | None = None
    driver: str | None = None
    cuda: str | None = None


class MachineInfo(BaseModel):
    """The machine and software the numbers were measured on."""

    hostname: str
    os: str
    cpu_model: str
    cpu_cores_logical: int
    cpu_cores_physical: int | None = None
    ram_gib: float | None = None
    load_average: list[float] = Field(default_factory=list, description="1/5/15-min load when the run started")
    gpus: list[GpuInfo] = Field(default_factory=list)
    python: str
    packages: dict[str, str] = Field(default_factory=dict)
    git_sha: str | None = None
    git_dirty: bool | None = None


class RunOptions(BaseModel):
    """How the run was invoked (so it can be repeated)."""

    tasks: list[str]
    device: str
    precisions: list[str]
    quick: bool
    batch_sizes: list[int]
    single_stream_runs: int
    offline_runs: int
    warmup: int
    max_seconds_per_scenario: float
    isolate: bool
    accuracy: bool
    performance: bool
    threads: int | None = None
    served: bool = False
    argv: list[str] = Field(default_factory=list)


class RunResult(BaseModel):
    """The whole ``results.json``."""

    schema_version: int = SCHEMA_VERSION
    run_id: str
    started_at: str
    finished_at: str = ""
    percentile_method: str
    options: RunOptions
    machine: MachineInfo
    tasks: list[TaskOutcome] = Field(default_factory=list)
    accuracy: list[AccuracyResult] = Field(default_factory=list)
    measurements: list[Measurement] = Field(default_factory=list)


class TaskRun(BaseModel):
    """What one task's benchmark produced (also the message a worker process sends back)."""

    outcome: TaskOutcome
    accuracy: list[AccuracyResult] = Field(default_factory=list)
    measurements: list[Measurement] = Field(default_factory=list)

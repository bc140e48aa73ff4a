"""Run one task over many inputs with Ray Data: read, skip what is done, predict on an actor pool, write, merge.

Ray runs embedded (started inside the command on 127.0.0.1, no dashboard, a small object store)
unless an address is given (``--address`` or ``RAY_ADDRESS``): then the same job runs on that cluster,
whose nodes must have this project installed (weights travel inside the installed packages; a worker
never downloads anything).
"""
from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from batch.inputs import read_inputs
from batch.output import finished_ids, merge, write_part
from batch.predictor import TaskPredictor
from core.errors import ConfigError, WeightsUnavailable
from core.registry import get_spec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchJob:
    """What to run, on what, where; the constructor stores, ``run_job`` works."""

    task: str
    input: str
    output: Path
    workers: int = 1
    batch_size: int = 16
    num_gpus: float = 0.0
    cpus_per_worker: float = 1.0
    address: str | None = None
    device: str = "auto"
    weights: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    id_column: str = "id"
    column: str | None = None
    object_store_mb: int = 256
    progress: bool = True

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {self.workers}")
        if self.batch_size < 1:
            raise ConfigError(f"--batch-size must be at least 1, got {self.batch_size}")
        if self.num_gpus < 0 or self.cpus_per_worker < 0:
            raise ConfigError("--num-gpus and --cpus-per-worker cannot be negative")


@dataclass(frozen=True)
class JobSummary:
    """What a run did: ``predicted`` counts only the inputs this run sent to the model."""

    task: str
    output: str
    inputs: int
    skipped: int
    predicted: int
    errors: int
    rows: int
    seconds: float
    address: str

    @property
    def items_per_s(self) -> float:
        return self.predicted / self.seconds if self.seconds > 0 else 0.0


def _connect(job: BatchJob) -> tuple[str, bool]:
    """Join the cluster, or start Ray embedded; return where, and whether this command owns the connection."""
    import ray

    if ray.is_initialized():  # called from a program that already runs Ray: use it, leave it running
        return "existing", False
    address = job.address or os.environ.get("RAY_ADDRESS") or None
    quiet = {"logging_level": logging.WARNING, "log_to_driver": log.isEnabledFor(logging.INFO)}
    if address:
        ray.init(address=address, **quiet)
        return address, True
    # as many CPU slots as the pool asks for, so --workers 4 on a 2-core laptop runs (oversubscribed) not hangs
    cpus = max(os.cpu_count() or 1, math.ceil(job.workers * job.cpus_per_worker))
    ray.init(address="local", num_cpus=cpus, include_dashboard=False, _node_ip_address="127.0.0.1",
             object_store_memory=job.object_store_mb * 1024 * 1024, **quiet)
    return "embedded", True


def _blocks(table: pa.Table, size: int) -> list[pa.Table]:
    """One block per batch: each block is one unit of work (and of resume) that any actor can take."""
    return [table.slice(start, size) for start in range(0, table.num_rows, size)]


def run_job(job: BatchJob) -> JobSummary:
    """Predict every input of ``job`` not already in its output; return what was done."""
    spec = get_spec(job.task)
    spec.validate_options(job.options)
    if not (job.address or os.environ.get("RAY_ADDRESS")):
        # embedded: the workers are this machine, so a missing package or weight file fails here, in one
        # readable line, not as an actor error after Ray started (on a cluster the nodes decide)
        status = spec.weights_status()
        if not status.available:
            raise WeightsUnavailable(f"task {job.task!r} cannot run here: {status.message}")
    output = Path(job.output)
    inputs = read_inputs(job.input, spec.input_kind, id_column=job.id_column, column=job.column)
    order = inputs.column("id").to_pylist()
    done = finished_ids(output)
    todo = inputs.filter(pc.invert(pc.is_in(inputs.column("id"), value_set=pa.array(sorted(done), pa.string()))))
    log.info("%s: %d inputs, %d already done, %d to predict", job.task, len(order), len(done & set(order)),
             todo.num_rows)
    started = time.perf_counter()
    predicted, address = 0, "-"
    if todo.num_rows:
        address, owned = _connect(job)
        try:
            predicted = _predict(job, todo, output)
        finally:
            if owned:
                import ray

                ray.shutdown()
    rows = merge(output, order)
    seconds = time.perf_counter() - started
    result = pq.read_table(output, columns=["id", "error"])
    in_job = pc.is_in(result.column("id"), value_set=pa.array(order, pa.string()))
    errors = pc.sum(pc.and_(in_job, pc.is_valid(result.column("error")))).as_py() or 0
    return JobSummary(task=job.task, output=str(output), inputs=len(order), skipped=len(order) - todo.num_rows,
                      predicted=predicted, errors=errors, rows=rows, seconds=seconds, address=address)


def _predict(job: BatchJob, todo: pa.Table, output: Path) -> int:
    import ray.data
    from tqdm import tqdm

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # one bar, ours, counting inputs
    if not log.isEnabledFor(logging.INFO):
        logging.getLogger("ray.data").setLevel(logging.WARNING)
    dataset = ray.data.from_arrow(_blocks(todo, job.batch_size)).map_batches(
        TaskPredictor,
        fn_constructor_kwargs={"task": job.task, "device": job.device, "weights": job.weights,
                               "options": job.options},
        batch_size=job.batch_size,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=job.workers),
        num_cpus=job.cpus_per_worker,
        num_gpus=job.num_gpus or None,
    )
    predicted = 0
    with tqdm(total=todo.num_rows, desc=f"ais batch {job.task}", unit="item", disable=not job.progress) as bar:
        for block in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
            if block.num_rows == 0:
                continue
            write_part(output, block)
            predicted += block.num_rows
            bar.update(block.num_rows)
    return predicted

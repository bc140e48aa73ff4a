"""Run the benchmark over tasks: weights check, load, accuracy, in-process scenarios; optionally one process per task.

Isolation (the default from the CLI) runs each (task, precision) in its own Python process with a
timeout, so a crash or a hang in one task is recorded and the others still run, and peak memory
is that task's own.
"""
from __future__ import annotations

import gc
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.discovery import Candidate, candidates, is_torch_task
from benchmarks.inprocess import QUICK_PLAN, Labels, PerfPlan, load_task, offline_by_batch, single_stream
from benchmarks.machine import describe_machine
from benchmarks.schemas import AccuracyResult, RunOptions, RunResult, TaskOutcome, TaskRun
from benchmarks.stats import PERCENTILE_METHOD
from benchmarks.timing import TimingPlan
from core.errors import AisError, ConfigError
from core.registry import TaskSpec

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class BenchConfig:
    """Everything that decides what a run measures."""

    device: str = "cpu"
    precisions: tuple[str, ...] = ("fp32",)
    quick: bool = False
    plan: PerfPlan = field(default_factory=PerfPlan)
    accuracy: bool = True
    performance: bool = True
    isolate: bool = True
    task_timeout_s: float = 900.0
    budget_s: float | None = None
    torch_only: bool = False
    threads: int | None = None  # CPU threads for torch/BLAS in workers (OMP_NUM_THREADS); None = library default
    data: dict[str, str] = field(default_factory=dict)  # task -> outside labelled set (--data task=PATH)

    @classmethod
    def build(cls, *, quick: bool, batch_sizes: tuple[int, ...] | None = None, **kwargs: Any) -> BenchConfig:
        plan = QUICK_PLAN if quick else PerfPlan()
        if batch_sizes:
            plan = PerfPlan(batch_sizes=batch_sizes, single_stream=plan.single_stream, offline=plan.offline,
                            single_stream_pool=plan.single_stream_pool)
        return cls(quick=quick, plan=plan, **kwargs)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BenchConfig:
        plan = data.pop("plan")
        perf = PerfPlan(batch_sizes=tuple(plan["batch_sizes"]), single_stream=TimingPlan(**plan["single_stream"]),
                        offline=TimingPlan(**plan["offline"]), single_stream_pool=plan["single_stream_pool"])
        data["precisions"] = tuple(data["precisions"])
        return cls(plan=perf, **data)


def _json_safe(details: dict[str, Any]) -> dict[str, Any]:
    """Keep the details that serialise to JSON; describe the rest instead of failing the run."""
    safe: dict[str, Any] = {}
    for key, value in details.items():
        try:
            json.dumps(value)
            safe[key] = value
        except (TypeError, ValueError):
            safe[key] = f"<{type(value).__name__} not JSON-serialisable>"
    return safe


def evaluate_all(task: Any, spec: TaskSpec, labels: Labels, errors: list[str],
                 only: str | None = None, quick: bool = False, outside: str | None = None) -> list[AccuracyResult]:
    """Run ``task.evaluate`` on each of the task's evaluation sets (or ``only`` one); metrics as returned.

    ``quick`` uses the task's reduced sets (``TaskSpec.quick_datasets``) where it declares them.
    ``outside`` evaluates instead on an outside labelled set (a path, read by ``TaskSpec.read_data``).
    """
    results: list[AccuracyResult] = []
    names = [f"data:{outside}"] if outside else [only] if only else list(spec.datasets)
    for name in names:
        start = time.perf_counter()
        try:
            dataset = spec.outside_dataset(outside) if outside else spec.dataset(name, quick=quick)
            metrics = task.evaluate(dataset)
        except Exception as exc:  # noqa: BLE001 - one dataset failing must not lose the others
            message = f"evaluate on {name!r}: {type(exc).__name__}: {exc}"
            log.warning("%s: %s", spec.name, message)
            errors.append(message)
            continue
        results.append(AccuracyResult(task=spec.name, dataset=metrics.dataset or name, device=labels.device,
                                      precision=labels.precision, n_samples=metrics.n_samples,
                                      values=dict(metrics.values), details=_json_safe(dict(metrics.details)),
                                      seconds=time.perf_counter() - start,
                                      intervals={k: (float(a), float(b)) for k, (a, b) in
                                                 getattr(metrics, "intervals", {}).items()},
                                      origin=getattr(metrics, "origin", "generated"),
                                      baselines=dict(getattr(metrics, "baselines", {})),
                                      source=outside or "task set"))
    return results


Checkpoint = Callable[[TaskRun], None]


def run_task(spec: TaskSpec, precision: str, config: BenchConfig, checkpoint: Checkpoint | None = None,
             time_share_s: float | None = None) -> TaskRun:
    """Benchmark one task at one precision in this process.

    Order: load, single-stream, offline (bounded in time), then accuracy (as long as the task's
    datasets take). ``--quick`` measures accuracy right after loading, on the reduced evaluation
    sets, so every task reports its accuracy however slow its timed scenarios are.
    ``time_share_s`` (the seconds this task may take) makes the offline sweep leave out batch sizes
    that cannot fit, saying so in ``notes``. ``checkpoint`` receives the partial result after every
    step, so a worker that is stopped at its timeout still leaves what it measured.
    """
    start = time.perf_counter()
    outcome = {"task": spec.name, "device": config.device, "precision": precision}
    try:
        status = spec.weights_status()
    except Exception as exc:  # noqa: BLE001 - a broken status check is a reason to skip, not to crash
        return TaskRun(outcome=TaskOutcome(**outcome, status="skipped", reason=f"weights check failed: {exc}"))
    if not status.available:
        return TaskRun(outcome=TaskOutcome(**outcome, status="skipped", reason=status.message or "weights unavailable",
                                           weights_source=status.source))
    try:
        task, measurements = load_task(spec, config.device, precision)
    except ConfigError as exc:  # e.g. fp16 requested on a CPU: not this task's fault
        return TaskRun(outcome=TaskOutcome(**outcome, status="skipped", reason=str(exc), weights_source=status.source))
    except Exception as exc:  # noqa: BLE001
        return TaskRun(outcome=TaskOutcome(**outcome, status="failed", weights_source=status.source,
                                           reason=f"load failed: {type(exc).__name__}: {exc}",
                                           seconds=time.perf_counter() - start))
    labels = Labels(spec.name, task.placement.device, task.placement.precision)
    if config.threads and "torch" in sys.modules:  # the task imported torch while loading
        sys.modules["torch"].set_num_threads(config.threads)
    errors: list[str] = []
    notes: list[str] = []
    accuracy: list[AccuracyResult] = []

    def time_left() -> float:
        return float("inf") if time_share_s is None else time_share_s - (time.perf_counter() - start)

    def result(phase: str = "") -> TaskRun:
        got_numbers = bool(accuracy) or len(measurements) > 3
        state = "ok" if not errors else ("partial" if got_numbers else "failed")
        reason = "; ".join(errors)[:2000]
        if phase:  # a checkpoint: what we have so far, in case the process is stopped during `phase`
            state, reason = "partial", f"stopped during {phase}" + (f"; {reason}" if reason else "")
        return TaskRun(outcome=TaskOutcome(**outcome, status=state, reason=reason, weights_source=status.source,
                                           seconds=time.perf_counter() - start, errors=list(errors),
                                           notes=list(notes)),
                       accuracy=list(accuracy), measurements=list(measurements))

    def save(phase: str) -> None:
        if checkpoint is not None:
            checkpoint(result(phase))

    def measure_accuracy(task: Any) -> None:
        for name in spec.datasets:
            save(f"evaluation on {name!r}")
            log.info("%s: accuracy on %s%s", spec.name, name, " (quick set)" if config.quick else "")
            accuracy.extend(evaluate_all(task, spec, labels, errors, only=name, quick=config.quick))
        if spec.name in config.data:
            save(f"evaluation on {config.data[spec.name]!r}")
            log.info("%s: accuracy on the outside set %s", spec.name, config.data[spec.name])
            accuracy.extend(evaluate_all(task, spec, labels, errors, outside=config.data[spec.name]))

    try:
        if config.accuracy and config.quick:
            measure_accuracy(task)
        if config.performance:
            save("single-stream")
            log.info("%s: single-stream on %s/%s", spec.name, labels.device, labels.precision)
            try:
                measurements += single_stream(task, spec, labels, config.plan)
            except Exception as exc:  # noqa: BLE001
                errors.append(f"single-stream: {type(exc).__name__}: {exc}")
            save(f"offline batch {config.plan.batch_sizes[0]}")
            log.info("%s: offline, batch sizes %s", spec.name, config.plan.batch_sizes)
            # Keep a tenth of the share for writing results (and, unquick, for accuracy to start).
            budget = None if time_share_s is None else (lambda: time_left() - 0.1 * time_share_s)
            for index, batch in enumerate(offline_by_batch(task, spec, labels, config.plan, errors, budget, notes)):
                measurements += batch
                if index + 1 < len(config.plan.batch_sizes):
                    save(f"offline batch {config.plan.batch_sizes[index + 1]}")
        if config.accuracy and not config.quick:
            measure_accuracy(task)
    finally:
        del task
        gc.collect()
        if labels.device.startswith("cuda"):
            import torch

            torch.cuda.empty_cache()
    final = result()
    if checkpoint is not None:
        checkpoint(final)
    return final


def run_task_isolated(ref: str, precision: str, config: BenchConfig, timeout_s: float) -> TaskRun:
    """Run ``run_task`` in a child process (``python -m benchmarks.worker``) and read its result."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ais-bench-") as tmp:
        out = Path(tmp) / "task.json"
        job = {"ref": ref, "precision": precision, "config": config.to_json(), "out": str(out),
               "time_share_s": timeout_s}
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.getcwd(), os.environ.get("PYTHONPATH")]))}
        if config.threads:
            # Read by torch, OpenMP and BLAS at import time, hence set before the child starts.
            env.update({k: str(config.threads) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")})
        # Own session so that on timeout we stop the worker and anything it started, by its process group.
        proc = subprocess.Popen([sys.executable, "-m", "benchmarks.worker"], stdin=subprocess.PIPE, env=env,
                                start_new_session=True, text=True)
        try:
            proc.communicate(json.dumps(job), timeout=timeout_s)
            problem = "" if proc.returncode == 0 else f"worker exited with code {proc.returncode}"
        except subprocess.TimeoutExpired:
            problem = f"timed out after {timeout_s:.0f} s"
        finally:
            if proc.poll() is None:
                _stop_group(proc)
        partial = TaskRun.model_validate_json(out.read_text(encoding="utf-8")) if out.exists() else None
        if not problem and partial is not None:
            return partial
        if partial is None:
            return TaskRun(outcome=TaskOutcome(task=_ref_name(ref), device=config.device, precision=precision,
                                               status="failed", reason=problem or "worker wrote no result",
                                               seconds=time.perf_counter() - start))
        # Keep what the worker measured before it was stopped; say where it stopped.
        outcome = partial.outcome.model_copy(update={"reason": f"{problem}; {partial.outcome.reason}",
                                                     "seconds": time.perf_counter() - start})
        return partial.model_copy(update={"outcome": outcome})


def _stop_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, PermissionError):
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _ref_name(ref: str) -> str:
    return ref.rsplit(":", 1)[0].rsplit(".", 1)[-1] if ":" in ref else ref


def resolve_ref(ref: str) -> TaskSpec:
    """A registered task name, or ``module:ATTR`` of a TaskSpec that is not registered."""
    found = candidates(None if ":" in ref else [ref], [ref] if ":" in ref else None)
    chosen = found[-1] if ":" in ref else found[0]
    if chosen.spec is None:
        raise ConfigError(chosen.reason)
    return chosen.spec


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def run_suite(names: list[str] | None, config: BenchConfig, *, spec_paths: list[str] | None = None,
              argv: list[str] | None = None) -> RunResult:
    """Benchmark every requested (or registered) task at every precision; never raises for one task."""
    started = datetime.now(UTC)
    deadline = time.monotonic() + config.budget_s if config.budget_s else None
    found: list[Candidate] = candidates(names, spec_paths)
    run = RunResult(
        run_id=new_run_id(), started_at=started.isoformat(timespec="seconds"), percentile_method=PERCENTILE_METHOD,
        options=RunOptions(tasks=[c.name for c in found], device=config.device, precisions=list(config.precisions),
                            quick=config.quick, batch_sizes=list(config.plan.batch_sizes),
                            single_stream_runs=config.plan.single_stream.max_runs,
                            offline_runs=config.plan.offline.max_runs, warmup=config.plan.single_stream.warmup,
                            max_seconds_per_scenario=config.plan.offline.max_seconds, isolate=config.isolate,
                            accuracy=config.accuracy, performance=config.performance, threads=config.threads,
                            data=dict(config.data), argv=argv or sys.argv),
        machine=describe_machine(include_torch=config.device.startswith("cuda")),
    )
    runnable: list[tuple[Candidate, str]] = []
    for candidate in found:
        for precision in config.precisions:
            skip = _skip_reason(candidate, config)
            if skip:
                log.warning("skipping %s (%s): %s", candidate.name, precision, skip)
                run.tasks.append(TaskOutcome(task=candidate.name, device=config.device, precision=precision,
                                             status="skipped", reason=skip))
            else:
                runnable.append((candidate, precision))
    for index, (candidate, precision) in enumerate(runnable):
        timeout = config.task_timeout_s
        if deadline is not None:
            left = deadline - time.monotonic()
            if left < 10:
                run.tasks.append(TaskOutcome(task=candidate.name, device=config.device, precision=precision,
                                             status="skipped", reason="time budget exhausted"))
                continue
            # A fair share of what is left, so one slow task cannot starve the ones after it.
            timeout = min(timeout, left / (len(runnable) - index))
        log.info("benchmarking %s on %s/%s (at most %.0f s)", candidate.name, config.device, precision, timeout)
        if config.isolate:
            result = run_task_isolated(candidate.ref, precision, config, timeout)
        else:
            assert candidate.spec is not None
            result = run_task(candidate.spec, precision, config,
                              time_share_s=timeout if deadline is not None else None)
        run.tasks.append(result.outcome)
        run.accuracy += result.accuracy
        run.measurements += result.measurements
        log.info("%s: %s %s", candidate.name, result.outcome.status, result.outcome.reason[:200])
    run.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
    return run


def _skip_reason(candidate: Candidate, config: BenchConfig) -> str:
    if candidate.spec is None:
        return candidate.reason
    if config.torch_only and not is_torch_task(candidate.spec):
        return "not a torch task (--torch-only)"
    missing = candidate.spec.missing_requirements()
    if missing:
        return f"missing packages: {', '.join(missing)} (pip install -e '.[{candidate.spec.extra}]')"
    # Checked here too (it is light by contract), so that the time budget is shared among runnable tasks only.
    try:
        status = candidate.spec.weights_status()
    except Exception as exc:  # noqa: BLE001 - a broken status check is a reason to skip, not to crash
        return f"weights check failed: {type(exc).__name__}: {exc}"
    if not status.available:
        return status.message or "weights unavailable"
    return ""


def run_folder(out_root: Path, run_id: str) -> Path:
    """Create ``out_root/<run_id>/`` (with a suffix when it exists: runs never overwrite each other)."""
    folder = out_root / run_id
    suffix = 1
    while folder.exists():
        folder = out_root / f"{run_id}-{suffix}"
        suffix += 1
    folder.mkdir(parents=True)
    return folder


def write_run(run: RunResult, out_root: Path, folder: Path | None = None) -> Path:
    """Write ``results.json``, ``report.md`` and the PNG plots under ``out_root/<run_id>/`` (or ``folder``)."""
    from benchmarks.plots import write_plots
    from benchmarks.report import write_report

    folder = folder or run_folder(out_root, run.run_id)
    (folder / "results.json").write_text(run.model_dump_json(indent=2), encoding="utf-8")
    plots = write_plots(run, folder)
    write_report(run, folder, plots)
    return folder


def load_run(path: Path) -> RunResult:
    """Read a run from its folder or its ``results.json``."""
    file = path / "results.json" if path.is_dir() else path
    if not file.exists():
        raise ConfigError(f"no results.json at {file}")
    try:
        return RunResult.model_validate_json(file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigError(f"{file} is not a benchmark results file: {exc}") from exc


__all__ = ["AisError", "BenchConfig", "load_run", "run_suite", "run_task", "write_run"]

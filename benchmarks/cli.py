"""``ais bench``: accuracy and speed of every registered task, served performance, and run comparison."""
from __future__ import annotations

import logging
import os
import sys
from datetime import UTC
from pathlib import Path
from typing import Annotated

import typer

log = logging.getLogger(__name__)

QUICK_BUDGET_S = 1080.0  # --quick must finish every registered task on a small CPU machine within 20 minutes

app = typer.Typer(
    help="Benchmark every registered task (accuracy, latency, throughput, memory; CPU or CUDA), "
         "load-test a server, compare runs. Writes runs/<timestamp>/results.json, report.md and PNG plots.",
    no_args_is_help=False,
    add_completion=False,
)


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def parse_data(values: list[str] | None) -> dict[str, str]:
    """``--data sentiment=a.tsv,plate=photos/`` -> {task: path}; a bad entry names itself."""
    from core.registry import task_names

    out: dict[str, str] = {}
    for item in _split(values):
        task, sep, path = item.partition("=")
        if not sep or not task or not path:
            raise typer.BadParameter(f"--data takes task=PATH, got {item!r}")
        if task not in task_names():
            raise typer.BadParameter(f"--data: unknown task {task!r}; registered: {', '.join(task_names())}")
        if not Path(path).exists():
            raise typer.BadParameter(f"--data: {path!r} does not exist")
        out[task] = path
    return out


def _ints(text: str | None, option: str) -> tuple[int, ...] | None:
    if not text:
        return None
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise typer.BadParameter(f"{option} takes comma-separated integers, e.g. 1,4,16") from exc
    if not values or min(values) < 1:
        raise typer.BadParameter(f"{option} values must be positive integers")
    return values


def _summary(run) -> None:
    """The last thing printed: one row per task run."""
    from rich.console import Console
    from rich.table import Table

    from benchmarks.report import fmt

    by = {}
    for m in run.measurements:
        by.setdefault((m.task, m.scenario, m.metric), []).append(m)
    table = Table(title=f"benchmark summary — run {run.run_id}")
    for column in ("task", "device/prec", "status", "load s", "1-stream p50 ms", "best offline items/s",
                   "accuracy", "note"):
        table.add_column(column, overflow="fold")
    for t in run.tasks:
        def pick(scenario: str, metric: str, t=t):  # t=t binds this row's task
            return [m for m in by.get((t.task, scenario, metric), []) if t.precision in ("auto", m.precision)]

        load = pick("load", "load_time")
        p50 = pick("single_stream", "latency_p50")
        offline = pick("offline", "throughput")
        best = max(offline, key=lambda m: m.value) if offline else None
        acc = [f"{a.dataset}:{k}={fmt(v)}" for a in run.accuracy if a.task == t.task
               and t.precision in ("auto", a.precision) for k, v in list(a.values.items())[:1]]
        device = f"{load[0].device}/{load[0].precision}" if load else f"{t.device}/{t.precision}"
        table.add_row(t.task, device, t.status, fmt(load[0].value) if load else "–",
                      fmt(p50[0].value) if p50 else "–",
                      f"{fmt(best.value)} (b={best.batch_size})" if best else "–", " ".join(acc) or "–",
                      (t.reason or "")[:120])
    for m in run.measurements:
        if m.scenario == "derived":
            table.add_row(m.task, f"{m.device}/{m.precision}", "derived", "", "", "", f"{m.metric}={fmt(m.value)}",
                          m.config)
    Console(width=200).print(table)


@app.callback(invoke_without_command=True)
def bench(
    ctx: typer.Context,
    tasks: Annotated[list[str] | None, typer.Option("--tasks", "-t", help="tasks (comma-separated or repeated); default: all registered")] = None,
    device: Annotated[str, typer.Option(help="cpu, cuda, cuda:N or auto")] = "auto",
    precision: Annotated[list[str] | None, typer.Option("--precision", "-p", help="fp32, fp16, bf16 or auto; repeat for several")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="few timed runs and batch sizes 1,4,8 (minutes, not hours)")] = False,
    out: Annotated[Path, typer.Option(help="folder that receives runs/<timestamp>/")] = Path("runs"),
    batch_sizes: Annotated[str | None, typer.Option(help="offline batch sizes, e.g. 1,2,4,8,16,32")] = None,
    accuracy: Annotated[bool, typer.Option("--accuracy/--no-accuracy", help="evaluate on each task's datasets")] = True,
    performance: Annotated[bool, typer.Option("--performance/--no-performance", help="in-process latency/throughput")] = True,
    served: Annotated[bool, typer.Option("--served", help="also start `ais serve` and load-test it (sentiment, ocr)")] = False,
    isolate: Annotated[bool, typer.Option("--isolate/--in-process", help="one Python process per task (a crash or hang stays contained)")] = True,
    task_timeout: Annotated[float, typer.Option(help="seconds before a task's process is stopped")] = 900.0,
    budget: Annotated[float | None, typer.Option(help="seconds for the whole run: each task gets a fair share of what is left, "
                                                        f"tasks not started in time are skipped (--quick: {QUICK_BUDGET_S:.0f})")] = None,
    torch_only: Annotated[bool, typer.Option("--torch-only", help="only tasks whose extra installs torch")] = False,
    threads: Annotated[int | None, typer.Option(help="CPU threads per task process (OMP/MKL/torch)")] = None,
    spec: Annotated[list[str] | None, typer.Option("--spec", help="also benchmark an unregistered TaskSpec given as module:ATTR")] = None,
    data: Annotated[list[str] | None, typer.Option(
        "--data", help="outside labelled sets, task=PATH (comma-separated or repeated), read in the field's "
                       "standard format, e.g. sentiment=sst2/dev.tsv,plate=plates/us_client")] = None,
) -> None:
    """Run accuracy and in-process performance for every task, write results.json, report.md and plots."""
    if ctx.invoked_subcommand is not None:
        return
    from benchmarks.runner import BenchConfig, run_folder, run_suite, write_run
    from core.device import resolve_device

    sizes = _ints(batch_sizes, "--batch-sizes")
    resolved = resolve_device(device)  # ConfigError (readable) when cuda is asked for and absent
    names = _split(tasks) or None
    if names is None and spec:
        names = []  # `--spec` alone benchmarks just that spec
    config = BenchConfig.build(quick=quick, batch_sizes=sizes, device=resolved,
                               precisions=tuple(_split(precision) or ["auto"]), accuracy=accuracy,
                               performance=performance, isolate=isolate, task_timeout_s=task_timeout,
                               budget_s=budget if budget is not None or not quick else QUICK_BUDGET_S, torch_only=torch_only, threads=threads,
                               data=parse_data(data))
    if names is not None and config.data:
        names = sorted(set(names) | set(config.data))
    run = run_suite(names, config, spec_paths=list(spec or []), argv=["ais", *sys.argv[1:]])
    folder = run_folder(out, run.run_id)
    if served:
        _served_into(run, device, quick, folder)
    folder = write_run(run, out, folder)
    typer.echo(f"wrote {folder / 'results.json'}, {folder / 'report.md'} and plots")
    _summary(run)


def _served_into(run, device: str, quick: bool, folder: Path) -> None:
    """Add the served section for the tasks that ran fine and have a request builder."""
    from dataclasses import replace

    from benchmarks.discovery import candidates
    from benchmarks.served import QUICK_SERVED, REQUEST_BUILDERS, ServedPlan, served_benchmark

    ok = [t.task for t in run.tasks if t.status in ("ok", "partial") and t.task in REQUEST_BUILDERS]
    specs = [c.spec for c in candidates(sorted(set(ok))) if c.spec is not None]
    if not specs:
        log.warning("served section: no task with a request builder (%s) ran fine; skipped", sorted(REQUEST_BUILDERS))
        return
    plan = replace(QUICK_SERVED if quick else ServedPlan(), device=device)
    errors: list[str] = []
    run.measurements += served_benchmark(specs, plan, log_dir=folder, errors=errors)
    run.options.served = True
    for message in errors:
        log.warning("served: %s", message)
    for i, outcome in enumerate(run.tasks):
        mine = [e for e in errors if e.startswith((f"{outcome.task} ", "server", f"in-process reference {outcome.task}"))]
        if mine and outcome.task in {s.name for s in specs}:
            run.tasks[i] = outcome.model_copy(update={"errors": [*outcome.errors, *mine],
                                                      "reason": "; ".join(filter(None, [outcome.reason, *mine]))})


@app.command()
def served(
    tasks: Annotated[list[str], typer.Option("--tasks", "-t", help="tasks to serve and load (comma-separated)")] = ["sentiment", "ocr"],  # noqa: B006
    concurrency: Annotated[str, typer.Option(help="concurrency levels; the highest is used for the batching gain")] = "1,4,16",
    requests: Annotated[int, typer.Option(min=1, help="requests per task per concurrency level")] = 200,
    seconds: Annotated[float, typer.Option(min=1, help="time limit per load level")] = 60.0,
    device: Annotated[str, typer.Option(help="device of the in-process reference (match the server's)")] = "auto",
    base_url: Annotated[str | None, typer.Option(help="load an already running server (127.0.0.1) instead of starting two")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="concurrency 1,16 and 64 requests per level")] = False,
    monitoring: Annotated[bool, typer.Option("--monitoring", help="also serve with monitoring off: its p50 overhead")] = False,
    out: Annotated[Path, typer.Option(help="folder that receives runs/<timestamp>/")] = Path("runs"),
) -> None:
    """Load-test `ais serve` with adaptive batching on and off; report served/in-process latency and batching gain.

    With --monitoring, a third server without monitoring gives the monitoring overhead on served p50.
    """
    from dataclasses import replace
    from datetime import datetime

    # The in-process reference runs in this process: give its OpenMP threads the same passive waiting
    # as the served model processes (`ais serve` sets it), or on a busy CPU spinning threads make the
    # reference many times slower than the server and the ratio meaningless (0.09 was measured so).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from benchmarks.discovery import candidates
    from benchmarks.machine import describe_machine
    from benchmarks.runner import new_run_id, run_folder, write_run
    from benchmarks.schemas import RunOptions, RunResult, TaskOutcome
    from benchmarks.served import MONITORING_OFF, QUICK_SERVED, ServedPlan, served_benchmark
    from benchmarks.stats import PERCENTILE_METHOD
    from core.errors import ConfigError

    names = _split(tasks)
    found = candidates(names)
    broken = [f"{c.name}: {c.reason}" for c in found if c.spec is None]
    if broken:
        raise ConfigError("; ".join(broken))
    plan = QUICK_SERVED if quick else ServedPlan(concurrency=_ints(concurrency, "--concurrency") or (1, 4, 16),
                                                 max_requests=requests, max_seconds=seconds)
    plan = replace(plan, device=device)
    if monitoring:
        plan = replace(plan, servers=(*plan.servers, MONITORING_OFF))
    started = datetime.now(UTC).isoformat(timespec="seconds")
    run = RunResult(run_id=new_run_id(), started_at=started, percentile_method=PERCENTILE_METHOD,
                    options=RunOptions(tasks=names, device=device, precisions=["auto"], quick=quick, batch_sizes=[],
                                       single_stream_runs=plan.max_requests, offline_runs=0,
                                       warmup=plan.warmup_requests, max_seconds_per_scenario=plan.max_seconds,
                                       isolate=False, accuracy=False, performance=False, served=True,
                                       argv=["ais", *sys.argv[1:]]),
                    machine=describe_machine(include_torch=device.startswith("cuda")))
    errors: list[str] = []
    folder = run_folder(out, run.run_id)
    run.measurements = served_benchmark([c.spec for c in found if c.spec is not None], plan, log_dir=folder,
                                        errors=errors, external_url=base_url)
    for name in names:
        mine = [e for e in errors if e.startswith((f"{name} ", "server", f"in-process reference {name}"))]
        run.tasks.append(TaskOutcome(task=name, device=device, precision="auto", status="partial" if mine else "ok",
                                     reason="; ".join(mine)))
    run.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
    folder = write_run(run, out, folder)
    typer.echo(f"wrote {folder / 'results.json'}, {folder / 'report.md'} and plots")
    _summary(run)


@app.command()
def compare(
    run_a: Annotated[Path, typer.Argument(help="run folder (or its results.json): the baseline A")],
    run_b: Annotated[Path, typer.Argument(help="run folder (or its results.json): B")],
) -> None:
    """Print B/A for every number measured under the same conditions in both runs."""
    from benchmarks.compare import render
    from benchmarks.runner import load_run

    typer.echo(render(load_run(run_a), load_run(run_b)))

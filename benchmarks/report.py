"""The Markdown report of a run: every number in a table row that names its scenario, batch, device, precision and n."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from benchmarks.schemas import Measurement, RunResult


def fmt(value: float | None) -> str:
    """Readable number: no exponent for the magnitudes a benchmark produces."""
    if value is None:
        return "–"
    magnitude = abs(value)
    if float(value).is_integer() and magnitude < 1e15:
        return f"{int(value):,}"
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 0.01 or magnitude == 0:
        return f"{value:.3g}"
    return f"{value:.2e}"


def table(headers: list[str], rows: Iterable[list[str]]) -> str:
    rows = list(rows)
    if not rows:
        return "_none in this run_\n"
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


Key = Callable[[Measurement], tuple]


def pivot(measurements: list[Measurement], scenario: str, key: Key) -> dict[tuple, dict[str, Measurement]]:
    """Group one scenario's measurements into rows (by ``key``) of metric -> measurement."""
    rows: dict[tuple, dict[str, Measurement]] = {}
    for m in measurements:
        if m.scenario == scenario:
            rows.setdefault(key(m), {})[m.metric] = m
    return dict(sorted(rows.items(), key=lambda kv: tuple("" if v is None else v for v in kv[0])))


def _value(row: dict[str, Measurement], metric: str) -> str:
    return fmt(row[metric].value) if metric in row else "–"


def _n(row: dict[str, Measurement], *metrics: str) -> str:
    for metric in metrics:
        if metric in row:
            return str(row[metric].n)
    return "–"


def machine_section(run: RunResult) -> str:
    m = run.machine
    gpus = ", ".join(f"{g.name} ({fmt(g.memory_mib)} MiB, driver {g.driver or '?'}, CUDA {g.cuda or '?'})"
                     for g in m.gpus) or "none"
    packages = ", ".join(f"{k} {v}" for k, v in sorted(m.packages.items()))
    rows = [["host", m.hostname], ["OS", m.os], ["CPU", m.cpu_model],
            ["cores (logical/physical)", f"{m.cpu_cores_logical}/{m.cpu_cores_physical or '?'}"],
            ["RAM", f"{fmt(m.ram_gib)} GiB"], ["load average at start", " ".join(map(str, m.load_average)) or "?"],
            ["GPUs", gpus], ["Python", m.python], ["packages", packages],
            ["git", f"{m.git_sha or '?'}{' (uncommitted changes)' if m.git_dirty else ''}"]]
    return table(["machine", ""], rows)


def options_section(run: RunResult) -> str:
    o = run.options
    rows = [["command", " ".join(o.argv)], ["device", o.device], ["precisions", ", ".join(o.precisions)],
            ["quick", str(o.quick)], ["batch sizes (offline)", ", ".join(map(str, o.batch_sizes))],
            ["timed runs", (f"single-stream ≤{o.single_stream_runs}, offline ≤{o.offline_runs} per batch size, "
                            f"≤{fmt(o.max_seconds_per_scenario)} s each after ≥{o.warmup} warm-up calls")],
            ["one process per task", str(o.isolate)], ["CPU threads", str(o.threads or "library default")],
            ["percentiles", run.percentile_method]]
    return table(["option", ""], rows)


def _interval(a: Any, metric: str) -> str:
    low_high = a.intervals.get(metric)
    return f"{fmt(low_high[0])}–{fmt(low_high[1])}" if low_high else "–"


def _baselines(a: Any, metric: str) -> str:
    return "; ".join(f"{name} {fmt(values[metric])}" for name, values in a.baselines.items() if metric in values) or "–"


def accuracy_sections(run: RunResult) -> list[str]:
    """Accuracy in two sections that never mix: real data labelled by others, then sets we generated."""
    headers = ["task", "dataset", "metric", "value", "95% interval", "baselines (same set)", "n", "device",
               "precision", "eval seconds"]
    parts: list[str] = []
    for origin, title in (("labelled", "Accuracy on real data labelled by others"),
                          ("generated", "Accuracy on data we generated (development numbers)")):
        rows = [[a.task, a.dataset, metric, fmt(value), _interval(a, metric), _baselines(a, metric),
                 str(a.n_samples), a.device, a.precision, fmt(a.seconds)]
                for a in run.accuracy if a.origin == origin for metric, value in a.values.items()]
        parts += [f"\n## {title}\n", table(headers, rows) if rows else "(none in this run)\n"]
    return parts


def render(run: RunResult, plots: list[Path] | None = None) -> str:
    ms = run.measurements
    parts = [f"# Benchmark run {run.run_id}\n", (f"Started {run.started_at}, finished {run.finished_at}. "
             "Every number names its scenario, device, precision, batch size (or concurrency) and the number "
             "of samples (n) behind it. Latencies in milliseconds.\n"),
             "## Machine\n", machine_section(run), "\n## Options\n", options_section(run)]

    parts += ["\n## Tasks\n", table(
        ["task", "device", "precision", "status", "weights", "seconds", "reason / notes"],
        [[t.task, t.device, t.precision, t.status, t.weights_source or "–", fmt(t.seconds),
          "; ".join(filter(None, [t.reason, *t.notes]))] for t in run.tasks])]

    parts += accuracy_sections(run)

    load = pivot(ms, "load", lambda m: (m.task, m.device, m.precision))
    parts += ["\n## Load (scenario `load`: construct + `load()`, once)\n", table(
        ["task", "device", "precision", "load s", "peak RSS MiB", "peak CUDA MiB", "n"],
        [[*k, _value(r, "load_time"), _value(r, "peak_rss"), _value(r, "peak_cuda_memory"), _n(r, "load_time")]
         for k, r in load.items()])]

    single = pivot(ms, "single_stream", lambda m: (m.task, m.device, m.precision, m.batch_size))
    parts += ["\n## Single-stream (one item per call, back to back)\n", table(
        ["task", "device", "precision", "batch", "p50 ms", "p90 ms", "p99 ms", "mean ms", "items/s", "n"],
        [[k[0], k[1], k[2], str(k[3]), *(_value(r, f"latency_{p}") for p in ("p50", "p90", "p99", "mean")),
          _value(r, "throughput"), _n(r, "latency_p50")] for k, r in single.items()])]

    off = pivot(ms, "offline", lambda m: (m.task, m.device, m.precision, m.batch_size))
    parts += ["\n## Offline (a batch of N items per call)\n", table(
        ["task", "device", "precision", "batch", "p50 ms/batch", "p90 ms", "p99 ms", "items/s", "peak RSS MiB",
         "peak CUDA MiB", "n"],
        [[k[0], k[1], k[2], str(k[3]), *(_value(r, f"latency_{p}") for p in ("p50", "p90", "p99")),
          _value(r, "throughput"), _value(r, "peak_rss"), _value(r, "peak_cuda_memory"), _n(r, "latency_p50")]
         for k, r in off.items()])]

    served = pivot(ms, "served", lambda m: (m.task, m.config, m.device, m.precision, m.concurrency))
    if served:
        parts += ["\n## Served (HTTP load generator against a running server)\n", table(
            ["task", "server config", "device", "precision", "concurrency", "p50 ms", "p90 ms", "p99 ms",
             "requests/s", "errors", "n ok", "n sent"],
            [[k[0], k[1], k[2], k[3], str(k[4]), *(_value(r, f"latency_{p}") for p in ("p50", "p90", "p99")),
              _value(r, "throughput"), _value(r, "errors"), _n(r, "latency_p50") if "latency_p50" in r else "0",
              _n(r, "errors")]
             for k, r in served.items()])]
        ref = pivot(ms, "served_reference", lambda m: (m.task, m.device, m.precision, m.batch_size))
        parts += ["\n### In-process reference (same inputs, raw `predict([item])`, one at a time)\n", table(
            ["task", "device", "precision", "batch", "p50 ms", "p90 ms", "p99 ms", "n"],
            [[k[0], k[1], k[2], str(k[3]), *(_value(r, f"latency_{p}") for p in ("p50", "p90", "p99")),
              _n(r, "latency_p50")] for k, r in ref.items()])]
    derived = [m for m in ms if m.scenario == "derived"]
    if derived:
        parts += ["\n## Derived ratios\n", table(
            ["task", "metric", "value", "conditions", "device", "precision", "concurrency", "n"],
            [[m.task, m.metric, fmt(m.value), m.config, m.device, m.precision, str(m.concurrency or "–"), str(m.n)]
             for m in derived])]

    if plots:
        parts.append("\n## Plots\n")
        parts += [f"![{p.stem}]({p.name})\n" for p in plots]
    return "\n".join(parts)


def write_report(run: RunResult, folder: Path, plots: list[Path] | None = None) -> Path:
    path = folder / "report.md"
    path.write_text(render(run, plots), encoding="utf-8")
    return path

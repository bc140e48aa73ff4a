"""PNG plots of a run (matplotlib, Agg backend): latency and throughput vs batch size, throughput vs concurrency, accuracy."""
from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.report import fmt
from benchmarks.schemas import RunResult

log = logging.getLogger(__name__)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # headless: never open a window or need a display
    import matplotlib.pyplot as plt

    return plt


def _series(run: RunResult, scenario: str, metric: str, x: str, extra: str = "") -> dict[str, list[tuple[float, float, int]]]:
    """label -> sorted [(x, value, n)] for one scenario/metric, one line per task/device/precision(/config)."""
    lines: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    for m in run.measurements:
        if m.scenario != scenario or m.metric != metric or getattr(m, x) is None:
            continue
        label = f"{m.task} {m.device}/{m.precision}" + (f" {m.config}" if extra and m.config else "")
        lines[label].append((float(getattr(m, x)), m.value, m.n))
    return {k: sorted(v) for k, v in sorted(lines.items())}


def _line_plot(plt: Any, lines: dict[str, list[tuple[float, float, int]]], path: Path, *, title: str,
               xlabel: str, ylabel: str) -> Path:
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for label, points in lines.items():
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        ax.plot(xs, ys, marker="o", label=label)
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    plain = FuncFormatter(lambda value, _pos: f"{value:g}")
    for axis in (ax.xaxis, ax.yaxis):  # plain numbers (1, 2, 4 …) read better than 2^k in a report
        axis.set_major_formatter(plain)
        axis.set_minor_formatter(NullFormatter())
    low, high = ax.get_ylim()
    if high / max(low, 1e-12) < 100:  # under two decades few major ticks show: label the minor ones too
        ax.yaxis.set_minor_formatter(plain)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _accuracy_plot(plt: Any, run: RunResult, path: Path) -> Path:
    rows = [[a.task, a.dataset, metric, fmt(value), str(a.n_samples), f"{a.device}/{a.precision}"]
            for a in run.accuracy for metric, value in a.values.items()]
    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.28 * max(1, len(rows))))
    ax.axis("off")
    ax.set_title(f"accuracy, run {run.run_id}")
    if rows:
        tbl = ax.table(cellText=rows, colLabels=["task", "dataset", "metric", "value", "n", "device/precision"],
                       loc="center", cellLoc="left")
        tbl.auto_set_font_size(False)
        tbl.set_fontsize(8)
        tbl.scale(1, 1.2)
    else:
        ax.text(0.5, 0.5, "no accuracy results in this run", ha="center", va="center")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_plots(run: RunResult, folder: Path) -> list[Path]:
    """Write the plots that have data; returns their paths (empty, with a warning, without matplotlib)."""
    try:
        plt = _pyplot()
    except ImportError:
        log.warning("matplotlib is not installed: no plots (pip install -e '.[bench]')")
        return []
    written: list[Path] = []
    latency = _series(run, "offline", "latency_p50", "batch_size")
    if latency:
        written.append(_line_plot(plt, latency, folder / "latency_vs_batch.png", title="offline: p50 latency per batch",
                                  xlabel="batch size", ylabel="ms per batch (p50)"))
    tput = _series(run, "offline", "throughput", "batch_size")
    if tput:
        written.append(_line_plot(plt, tput, folder / "throughput_vs_batch.png", title="offline: throughput",
                                  xlabel="batch size", ylabel="items/s"))
    served = _series(run, "served", "throughput", "concurrency", extra="config")
    if served:
        written.append(_line_plot(plt, served, folder / "throughput_vs_concurrency.png",
                                  title="served: throughput vs concurrency", xlabel="concurrent clients",
                                  ylabel="successful requests/s"))
    written.append(_accuracy_plot(plt, run, folder / "accuracy.png"))
    return written

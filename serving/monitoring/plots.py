"""PNG plots of a monitoring summary (matplotlib, Agg backend): drift per feature and data quality over time."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from serving.monitoring.schemas import DriftThresholds, WindowSummary

QUALITY_RATES = ("rejected_rate", "item_error_rate", "missing_rate", "out_of_range_rate", "schema_violation_rate")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display on servers; must be set before pyplot is imported
    import matplotlib.pyplot as plt

    return plt


def _when(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def plot_drift(windows: list[WindowSummary], path: Path, thresholds: DriftThresholds | None = None) -> Path | None:
    """PSI of every feature of one task version over its windows, with the drift threshold as a dashed line."""
    series: dict[str, tuple[list[datetime], list[float]]] = {}
    for window in windows:
        if window.drift is None:
            continue
        for feature in window.drift.features:
            if feature.psi is not None:
                xs, ys = series.setdefault(feature.feature, ([], []))
                xs.append(_when(window.window_start))
                ys.append(feature.psi)
    if not series:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for name, (xs, ys) in sorted(series.items()):
        ax.plot(xs, ys, marker="o", label=name)
    ax.axhline((thresholds or DriftThresholds()).psi, color="red", linestyle="--", linewidth=1, label="threshold")
    ax.set_ylabel("PSI vs reference")
    ax.set_title(f"Drift per feature: {windows[0].task}:{windows[0].version}")
    ax.legend(fontsize=7, ncol=2, loc="upper left")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_quality(windows: list[WindowSummary], path: Path) -> Path | None:
    """Each data-quality rate over time, one line per task version."""
    if not windows:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(len(QUALITY_RATES), 1, figsize=(9, 2.0 * len(QUALITY_RATES)), sharex=True)
    keys = sorted({(w.task, w.version) for w in windows})
    for ax, rate in zip(axes, QUALITY_RATES):
        for task, version in keys:
            mine = [w for w in windows if (w.task, w.version) == (task, version)]
            ax.plot([_when(w.window_start) for w in mine], [getattr(w.quality, rate) for w in mine], marker="o",
                    label=f"{task}:{version}")
        ax.set_ylabel(rate.replace("_rate", "").replace("_", " "), fontsize=8)
        ax.set_ylim(bottom=0)
    axes[0].legend(fontsize=7, loc="upper left")
    axes[0].set_title("Data quality per window")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path

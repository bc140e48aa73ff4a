"""Open-set identification metrics: who of the enrolled people is this, or nobody we know?

For every probe face the gallery gives its nearest person and distance. A *known* probe (a face of
an enrolled person) is identified when the nearest person is the right one and the distance is at or
below the threshold; a *stranger* probe (nobody enrolled) is falsely accepted when its nearest
distance is at or below the threshold. Sweeping the threshold gives the DET curve (false-negative
identification rate against false-accept rate); the identification rate at a fixed false-accept
rate uses the threshold that accepts at most that share of strangers.

>>> s = OpenSetScores(np.array([0.3, 0.5]), np.array([True, True]), np.array([0.7, 0.9, 0.95]))
>>> s.identification_rate(0.6), s.false_accept_rate(0.6)
(1.0, 0.0)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.stats import wilson_interval

FARS = (1e-2, 1e-3)


@dataclass(frozen=True)
class OpenSetScores:
    """``known_distance``/``known_correct``: nearest distance and whether the nearest person is the right
    one, per known probe (a probe whose person could not be enrolled has distance ``inf``);
    ``stranger_distance``: nearest distance per stranger probe."""

    known_distance: np.ndarray
    known_correct: np.ndarray
    stranger_distance: np.ndarray

    def identification_rate(self, threshold: float) -> float:
        return float(np.mean(self.known_correct & (self.known_distance <= threshold))) if len(self.known_distance) else 0.0

    def identified(self, threshold: float) -> int:
        return int(np.sum(self.known_correct & (self.known_distance <= threshold)))

    def false_accepts(self, threshold: float) -> int:
        return int(np.sum(self.stranger_distance <= threshold))

    def false_accept_rate(self, threshold: float) -> float:
        return self.false_accepts(threshold) / len(self.stranger_distance) if len(self.stranger_distance) else 0.0

    def threshold_at_far(self, far: float) -> float | None:
        """The largest threshold accepting at most ``far`` of the strangers (just below the first stranger
        it must reject); ``None`` when there are fewer than ``1/far`` strangers: such a FAR is not measurable."""
        n = len(self.stranger_distance)
        if n < round(1 / far):
            return None
        ordered = np.sort(self.stranger_distance)
        allowed = math.floor(far * n)
        if allowed >= n:
            return float("inf")
        return float(np.nextafter(ordered[allowed], -np.inf))

    def det_curve(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(thresholds, false-accept rates, false-negative identification rates), thresholds ascending."""
        finite = np.concatenate([self.known_distance[np.isfinite(self.known_distance)], self.stranger_distance])
        thresholds = np.unique(np.concatenate([[0.0], finite]))
        far = np.array([self.false_accept_rate(t) for t in thresholds])
        fnir = np.array([1.0 - self.identification_rate(t) for t in thresholds])
        return thresholds, far, fnir


def open_set_values(scores: OpenSetScores, threshold: float, *, prefix: str = "") -> tuple[
        dict[str, float], dict[str, tuple[float, float]], dict[str, object]]:
    """Values, 95 % Wilson intervals and details for ``core.schemas.Metrics``: identification rate at
    the operating threshold and at FAR 1 % / 0.1 % (where measurable), false-accept rate of strangers."""
    n_known, n_strangers = len(scores.known_distance), len(scores.stranger_distance)
    values: dict[str, float] = {}
    intervals: dict[str, tuple[float, float]] = {}
    details: dict[str, object] = {"known_probes": n_known, "stranger_probes": n_strangers}
    hits = scores.identified(threshold)
    values[f"{prefix}identification_rate"] = hits / n_known if n_known else 0.0
    intervals[f"{prefix}identification_rate"] = wilson_interval(hits, n_known)
    fa = scores.false_accepts(threshold)
    values[f"{prefix}false_accept_rate"] = fa / n_strangers if n_strangers else 0.0
    intervals[f"{prefix}false_accept_rate"] = wilson_interval(fa, n_strangers)
    for far in FARS:
        key = f"{prefix}identification_rate_at_far_{far:g}"
        t = scores.threshold_at_far(far)
        if t is None:
            details[key] = f"not measurable: {n_strangers} stranger probes < {round(1 / far)}"
            continue
        hits = scores.identified(t)
        values[key] = hits / n_known if n_known else 0.0
        intervals[key] = wilson_interval(hits, n_known)
        details[f"{prefix}threshold_at_far_{far:g}"] = t
    return values, intervals, details


def plot_det(curves: dict[str, OpenSetScores], path: Path, *, threshold: float | None = None) -> Path:
    """DET curves (FNIR against FAR, log axes), one per system; the operating threshold marked."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for label, scores in curves.items():
        _, far, fnir = scores.det_curve()
        floor = 0.5 / max(len(scores.stranger_distance), 1)
        line, = ax.step(np.maximum(far, floor), np.maximum(fnir, 0.5 / max(len(scores.known_distance), 1)),
                        where="post", label=label)
        if threshold is not None:
            ax.plot(max(scores.false_accept_rate(threshold), floor), max(1 - scores.identification_rate(threshold),
                    0.5 / max(len(scores.known_distance), 1)), "o", color=line.get_color())
    ax.set(xscale="log", yscale="log", xlabel="false accept rate (strangers accepted)",
           ylabel="false negative identification rate", title="Open-set identification (DET)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

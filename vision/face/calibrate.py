"""Threshold calibration from labelled pairs: ROC, accuracy, TAR at fixed FAR, the chosen threshold, a plot."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.errors import InvalidInput
from vision.face.datasets import Pair
from vision.face.schemas import CalibrationReport

if TYPE_CHECKING:
    from vision.face.analyzer import FaceAnalyzer

log = logging.getLogger(__name__)

FARS = (1e-2, 1e-3)


def best_accuracy_threshold(distances: np.ndarray, same: np.ndarray) -> tuple[float, float]:
    """(threshold, accuracy) maximising accuracy of ``distance <= threshold``; midpoints between values."""
    values = np.unique(distances)
    candidates = np.concatenate([[values[0] - 1e-6], (values[:-1] + values[1:]) / 2, [values[-1] + 1e-6]])
    accuracies = [float(np.mean((distances <= t) == same)) for t in candidates]
    best = int(np.argmax(accuracies))
    return float(candidates[best]), accuracies[best]


def tar_at_far(distances: np.ndarray, same: np.ndarray, far: float) -> float | None:
    """True-accept rate at the largest threshold whose false-accept rate is at most ``far``.

    ``None`` when there are fewer than ``1/far`` negative pairs: such a FAR cannot be measured.
    """
    negatives = np.sort(distances[~same])
    positives = distances[same]
    if len(negatives) < round(1 / far) or len(positives) == 0:
        return None
    allowed = int(np.floor(far * len(negatives)))  # negatives we may accept
    threshold = negatives[allowed] if allowed < len(negatives) else np.inf
    return float(np.mean(positives < threshold))  # strictly below the first rejected negative


def threshold_for_far(distances: np.ndarray, same: np.ndarray, far: float) -> float | None:
    """The largest distance threshold whose false-accept rate on the negative pairs is at most ``far``
    (just below the first negative it must reject); ``None`` when there are fewer than ``1/far``
    negative pairs (such a FAR cannot be measured on them)."""
    negatives = np.sort(np.asarray(distances, dtype=np.float64)[~np.asarray(same, dtype=bool)])
    if len(negatives) < round(1 / far):
        return None
    allowed = int(np.floor(far * len(negatives)))
    return float("inf") if allowed >= len(negatives) else float(np.nextafter(negatives[allowed], -np.inf))


def calibration_report(distances: np.ndarray, same: np.ndarray, *, embedder: str, default_threshold: float,
                       skipped: Sequence[str] = (), plot_path: Path | None = None,
                       target_far: float | None = None) -> CalibrationReport:
    from sklearn.metrics import roc_auc_score

    same = np.asarray(same, dtype=bool)
    distances = np.asarray(distances, dtype=np.float64)
    if same.all() or not same.any():
        raise InvalidInput("calibration needs both same-person and different-person pairs")
    threshold, accuracy = best_accuracy_threshold(distances, same)
    report = CalibrationReport(
        embedder=embedder, n_pairs=len(same), n_positive=int(same.sum()), n_negative=int((~same).sum()),
        roc_auc=float(roc_auc_score(same, -distances)), threshold=threshold, accuracy=accuracy,
        accuracy_at_default=float(np.mean((distances <= default_threshold) == same)),
        default_threshold=default_threshold,
        tar_at_far={f"{far:g}": tar_at_far(distances, same, far) for far in FARS}, skipped=list(skipped))
    if target_far is not None:
        if not 0.0 < target_far < 1.0:
            raise InvalidInput(f"target FAR must lie in (0, 1), got {target_far}")
        chosen = threshold_for_far(distances, same, target_far)
        report.target_far = target_far
        report.threshold_at_target_far = chosen
        if chosen is not None:
            report.tar_at_target_far = float(np.mean(distances[same] <= chosen))
            report.far_at_target_threshold = float(np.mean(distances[~same] <= chosen))
    if plot_path is not None:
        plot_calibration(distances, same, report, plot_path)
        report.plot = str(plot_path)
    return report


def plot_calibration(distances: np.ndarray, same: np.ndarray, report: CalibrationReport, path: Path) -> None:
    """ROC (log FAR) beside the two distance histograms with both thresholds marked."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    far, tar, _ = roc_curve(same, -distances)
    fig, (ax_roc, ax_hist) = plt.subplots(1, 2, figsize=(11, 4.2))
    floor = 1.0 / max(report.n_negative, 1)
    ax_roc.plot(np.maximum(far, floor / 2), tar)
    ax_roc.set(xscale="log", xlabel="false accept rate", ylabel="true accept rate",
               title=f"ROC (AUC {report.roc_auc:.4f}, {report.n_pairs} pairs)")
    ax_roc.grid(True, alpha=0.3)
    bins = np.linspace(distances.min(), distances.max(), 40)
    ax_hist.hist(distances[same], bins=bins, alpha=0.6, label="same person")
    ax_hist.hist(distances[~same], bins=bins, alpha=0.6, label="different people")
    ax_hist.axvline(report.threshold, color="k", label=f"chosen {report.threshold:.3f}")
    ax_hist.axvline(report.default_threshold, color="r", linestyle="--", label=f"default {report.default_threshold:.3f}")
    ax_hist.set(xlabel=f"Euclidean distance ({report.embedder})", ylabel="pairs")
    ax_hist.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def pair_distances(analyzer: FaceAnalyzer, pairs: Sequence[Pair], *,
                   upscale_to: float | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Distances of the largest face of each image, each image embedded once; pairs with a faceless
    image are skipped and reported. ``upscale_to``: see ``FaceAnalyzer.embed`` (default: its option)."""
    from tqdm import tqdm

    from core.errors import NotFound

    embeddings: dict[Path, np.ndarray | None] = {}
    for path in tqdm(sorted({p for pair in pairs for p in (pair.a, pair.b)}), desc="embed pairs"):
        if not Path(path).is_file():
            raise NotFound(f"image {path} of the pairs file does not exist")
        analyzed = analyzer.analyze([path], embed=False)[0]
        embeddings[path] = (analyzer.embed(analyzed.image, analyzed.faces[:1], upscale_to=upscale_to)[0]
                            if analyzed.faces else None)
        log.info("embedded %s (%d faces)", path, len(analyzed.faces))
    skipped = sorted(str(p) for p, v in embeddings.items() if v is None)
    kept = [pair for pair in pairs if embeddings[pair.a] is not None and embeddings[pair.b] is not None]
    distances = np.array([np.linalg.norm(embeddings[p.a] - embeddings[p.b]) for p in kept])  # type: ignore[operator]
    return distances, np.array([p.same for p in kept], dtype=bool), skipped

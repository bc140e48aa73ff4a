"""Class-agnostic detection metrics (COCO-style), pure numpy: box matching, AP, mAP50, mAP50-95, P/R.

Shelf datasets (SKU-110K and the like) label every product as one class, so a prediction matches any
truth box. Matching is greedy by confidence, each truth box taken at most once (as COCO and Ultralytics do).

>>> truth = np.array([[0, 0, 10, 10], [20, 0, 30, 10]], float)
>>> image = ImageBoxes(truth, truth.copy(), np.array([0.9, 0.8]))
>>> scores = detection_scores([image], operating_conf=0.5)
>>> scores.map50, scores.map50_95, scores.recall
(1.0, 1.0, 1.0)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IOU_THRESHOLDS = tuple(round(0.5 + 0.05 * k, 2) for k in range(10))  # COCO: 0.50, 0.55, ..., 0.95


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every ``xyxy`` box in ``a`` with every box in ``b`` (shape ``len(a) x len(b)``)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def match_detections(pred: np.ndarray, conf: np.ndarray, truth: np.ndarray, iou: float = 0.5,
                     ious: np.ndarray | None = None) -> np.ndarray:
    """Greedy by confidence: index of the matched truth box for each prediction, or -1."""
    ious = iou_matrix(pred, truth) if ious is None else ious
    taken = np.zeros(len(truth), bool)
    out = np.full(len(pred), -1)
    for p in np.argsort(-conf, kind="stable"):
        if len(truth) == 0:
            break
        cand = np.where(taken, -1.0, ious[p])
        best = int(np.argmax(cand))
        if cand[best] >= iou:
            taken[best] = True
            out[p] = best
    return out


def average_precision(tp: np.ndarray, conf: np.ndarray, n_truth: int) -> float:
    """All-point interpolated AP (the VOC2010+/COCO-style area under the precision envelope)."""
    if n_truth == 0:
        return float("nan")
    order = np.argsort(-conf, kind="stable")
    tp = tp[order].astype(float)
    cum_tp = np.cumsum(tp)
    recall = cum_tp / n_truth
    precision = cum_tp / np.arange(1, len(tp) + 1)
    recall = np.concatenate([[0.0], recall, [recall[-1] if len(recall) else 0.0]])
    precision = np.concatenate([[1.0], precision, [0.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    return float(np.sum((recall[1:] - recall[:-1]) * precision[1:]))


@dataclass
class ImageBoxes:
    """One image: truth boxes and predicted boxes (pixel ``xyxy``) with their confidences."""

    truth: np.ndarray
    pred: np.ndarray
    conf: np.ndarray


@dataclass
class ImageMatches:
    """Per image, what the set-level metrics need: a TP flag per prediction and IoU threshold."""

    tp: np.ndarray  # (n_pred, len(IOU_THRESHOLDS)) bool
    conf: np.ndarray
    n_truth: int


def image_matches(image: ImageBoxes) -> ImageMatches:
    """Match one image's predictions at every COCO IoU threshold."""
    truth = np.asarray(image.truth, float).reshape(-1, 4)
    pred = np.asarray(image.pred, float).reshape(-1, 4)
    conf = np.asarray(image.conf, float).reshape(-1)
    ious = iou_matrix(pred, truth)
    tp = np.stack([match_detections(pred, conf, truth, t, ious) >= 0 for t in IOU_THRESHOLDS], axis=1) \
        if len(pred) else np.zeros((0, len(IOU_THRESHOLDS)), bool)
    return ImageMatches(tp, conf, len(truth))


def pooled_ap(matches: list[ImageMatches]) -> np.ndarray:
    """AP at each IoU threshold, predictions of all images pooled (one precision-recall curve per threshold)."""
    n_truth = sum(m.n_truth for m in matches)
    tp = np.concatenate([m.tp for m in matches]) if matches else np.zeros((0, len(IOU_THRESHOLDS)), bool)
    conf = np.concatenate([m.conf for m in matches]) if matches else np.zeros(0)
    return np.array([average_precision(tp[:, k], conf, n_truth) for k in range(len(IOU_THRESHOLDS))])


@dataclass
class DetectionScores:
    """Set-level scores: mAP50, mAP50-95 (COCO), and precision/recall at the operating threshold (IoU 0.5)."""

    map50: float
    map50_95: float
    precision: float
    recall: float
    n_images: int
    n_truth: int
    n_pred_at_conf: int
    tp_at_conf: int
    ap_per_iou: dict[str, float]


def detection_scores(images: list[ImageBoxes], operating_conf: float) -> DetectionScores:
    """Score predictions made at a low confidence (0.001, as COCO does) against the truth; P/R keep only
    predictions at or above ``operating_conf`` (what the deployed detector returns)."""
    return scores_of([image_matches(i) for i in images], operating_conf)


def scores_of(matches: list[ImageMatches], operating_conf: float) -> DetectionScores:
    aps = pooled_ap(matches)
    n_truth = sum(m.n_truth for m in matches)
    kept = [m.conf >= operating_conf for m in matches]
    n_pred = int(sum(k.sum() for k in kept))
    tp = int(sum(m.tp[k, 0].sum() for m, k in zip(matches, kept)))
    return DetectionScores(
        map50=float(aps[0]), map50_95=float(np.mean(aps)),
        precision=tp / n_pred if n_pred else 0.0, recall=tp / n_truth if n_truth else 0.0,
        n_images=len(matches), n_truth=n_truth, n_pred_at_conf=n_pred, tp_at_conf=tp,
        ap_per_iou={f"{t:.2f}": round(float(a), 4) for t, a in zip(IOU_THRESHOLDS, aps)})


def bootstrap_map(matches: list[ImageMatches], n_resamples: int = 200, seed: int = 0
                  ) -> tuple[tuple[float, float], tuple[float, float]]:
    """95 % percentile bootstrap intervals of mAP50 and mAP50-95, resampling images."""
    from core.stats import bootstrap_interval

    def ap(sample: list[ImageMatches], which: str) -> float:
        aps = pooled_ap(sample)
        return float(aps[0] if which == "50" else np.mean(aps))

    return (bootstrap_interval(lambda s: ap(s, "50"), matches, n_resamples=n_resamples, seed=seed),
            bootstrap_interval(lambda s: ap(s, "50-95"), matches, n_resamples=n_resamples, seed=seed))

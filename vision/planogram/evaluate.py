"""Held-out evaluation: detection AP50, SKU recognition top-1, unknown rejection, per-position compliance.

Every number is measured on ``heldout`` scenes (other backgrounds, shelf colours, lighting and
seeds than training) and the ground truth comes from the renderer.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from core.schemas import Box, Metrics
from vision.planogram.catalogue import crop_boxes
from vision.planogram.compliance import check_compliance
from vision.planogram.detection_metrics import average_precision, match_detections
from vision.planogram.rows import group_rows
from vision.planogram.schemas import UNKNOWN, ComplianceReport, Product, ShelfDetections
from vision.planogram.synth import Scene, scenes

if TYPE_CHECKING:
    from vision.planogram.checker import PlanogramChecker

log = logging.getLogger(__name__)


def heldout_scenes(n: int = 40, seed: int = 1, fault_rate: float = 0.5) -> list[Scene]:
    """The evaluation set: held-out style scenes with planted faults (about two per shelf)."""
    return scenes(n, "heldout", seed=seed, fault_rate=fault_rate)


def heldout_quick() -> list[Scene]:
    """The first 6 held-out scenes: the reduced set of ``ais bench --quick``."""
    return heldout_scenes(6)


def train_style_scenes(n: int = 16, seed: int = 77, fault_rate: float = 0.5) -> list[Scene]:
    """Train-style scenes from seeds training never used: measures the held-out domain gap."""
    return scenes(n, "train", seed=seed, fault_rate=fault_rate)


def truth_detections(scene: Scene, brands: dict[str, str] | None = None) -> ShelfDetections:
    """Ground-truth products as detections (tests the compliance logic without the detector)."""
    boxes = [p.box for p in scene.products]
    rows = group_rows(boxes)
    products = [Product(box=Box(x1=b[0], y1=b[1], x2=b[2], y2=b[3]), sku=p.sku, sku_confidence=1.0,
                        brand=None if p.sku == UNKNOWN else (brands or {}).get(p.sku, p.brand), shelf=s, position=q)
                for p, b, s, q in zip(scene.products, boxes, rows.shelf, rows.position)]
    return ShelfDetections(width=scene.image.width, height=scene.image.height, n_shelves=rows.n_rows,
                           products=sorted(products, key=lambda p: (p.shelf, p.position)))


def position_accuracy(report: ComplianceReport, scene: Scene) -> tuple[int, int, Counter[tuple[str, str]]]:
    """Correct statuses over expected positions, and a (true, predicted) confusion counter."""
    pred = {(p.shelf, p.position): p.status for p in report.positions if p.position is not None}
    ok = 0
    confusion: Counter[tuple[str, str]] = Counter()
    expected = [t for t in scene.truth if t.position is not None]
    for t in expected:
        got = pred.get((t.shelf, t.position), "missing")
        confusion[(t.status, got)] += 1
        ok += got == t.status
    return ok, len(expected), confusion


def evaluate_scenes(checker: PlanogramChecker, data: list[Scene], iou: float = 0.5,
                    dataset: str = "heldout") -> Metrics:
    """Run the whole pipeline on scenes and score every stage against the renderer's ground truth."""
    catalogue = checker.catalogue
    confs, tps = [], []
    n_truth = 0
    sku_ok = sku_n = 0
    gt_sku_ok = gt_sku_n = 0
    foreign_ok = foreign_n = 0
    pos_ok = pos_n = gt_pos_ok = gt_pos_n = 0
    extra_true = extra_found = 0
    pct_err = []
    confusion: Counter[tuple[str, str]] = Counter()
    t_detect = t_recognise = t_comply = 0.0
    for scene in data:
        truth_boxes = np.array([p.box for p in scene.products], float).reshape(-1, 4)
        truth_skus = [p.sku for p in scene.products]
        n_truth += len(truth_boxes)
        t0 = time.perf_counter()
        checker.detector.detect([scene.image])  # timed at the operating threshold
        t1 = time.perf_counter()
        # AP is scored over the whole confidence range (conf 0.001), as COCO and Ultralytics do.
        boxes = checker.detector.detect([scene.image], conf=0.001)[0]
        pred = np.array([b[:4] for b in boxes], float).reshape(-1, 4)
        conf = np.array([b[4] for b in boxes], float)
        matched = match_detections(pred, conf, truth_boxes, iou)
        confs.append(conf)
        tps.append(matched >= 0)
        t_ap = time.perf_counter()
        detections = checker.detect_products([scene.image])[0]
        t2 = time.perf_counter()
        # Recognition top-1 on the detector's own boxes (conf >= threshold), matched to the truth.
        det_boxes = np.array([[p.box.x1, p.box.y1, p.box.x2, p.box.y2] for p in detections.products]).reshape(-1, 4)
        det_conf = np.array([p.box.confidence for p in detections.products])
        det_match = match_detections(det_boxes, det_conf, truth_boxes, iou)
        for product, t in zip(detections.products, det_match):
            if t < 0:
                continue
            if truth_skus[t] == UNKNOWN:
                foreign_n += 1
                foreign_ok += product.sku == UNKNOWN
            else:
                sku_n += 1
                sku_ok += product.sku == truth_skus[t]
        # The recogniser alone, on ground-truth boxes.
        for m, sku in zip(catalogue.match(crop_boxes(np.asarray(scene.image), [tuple(b) for b in truth_boxes])),
                          truth_skus):
            if sku != UNKNOWN:
                gt_sku_n += 1
                gt_sku_ok += m.sku == sku
        # Compliance exactly as ``check`` computes it (including the planogram-guided second look);
        # its detector pass is timed as detection, the rest as compliance.
        before = dict(checker.timings)
        _, report = checker.check_image(scene.image, scene.spec)
        t_comply += sum(checker.timings[k] - before[k] for k in ("gap_check_s", "compliance_s"))
        ok, n, conf_counts = position_accuracy(report, scene)
        pos_ok, pos_n = pos_ok + ok, pos_n + n
        confusion += conf_counts
        gt_ok, gt_n, _ = position_accuracy(check_compliance(truth_detections(scene), scene.spec), scene)
        gt_pos_ok, gt_pos_n = gt_pos_ok + gt_ok, gt_pos_n + gt_n
        true_pct = 100.0 * sum(t.status == "correct" for t in scene.truth if t.position is not None) / max(1, n)
        pct_err.append(abs(report.compliance_pct - true_pct))
        true_extra = Counter(t.shelf for t in scene.truth if t.position is None)
        got_extra = Counter(p.shelf for p in report.positions if p.position is None)
        extra_true += sum(true_extra.values())
        extra_found += sum(min(v, got_extra.get(k, 0)) for k, v in true_extra.items())
        t_detect += t1 - t0
        t_recognise += (t2 - t_ap) - (t1 - t0)  # detect_products re-runs the detector: subtract it
    ap50 = average_precision(np.concatenate(tps) if tps else np.zeros(0), np.concatenate(confs) if confs else
                             np.zeros(0), n_truth)
    n = max(1, len(data))
    values = {
        "detection_map50": round(ap50, 4),
        "sku_top1": round(sku_ok / max(1, sku_n), 4),
        "sku_top1_gt_boxes": round(gt_sku_ok / max(1, gt_sku_n), 4),
        "unknown_rejection": round(foreign_ok / max(1, foreign_n), 4),
        "compliance_position_accuracy": round(pos_ok / max(1, pos_n), 4),
        "compliance_position_accuracy_gt_boxes": round(gt_pos_ok / max(1, gt_pos_n), 4),
        "extra_facing_recall": round(extra_found / max(1, extra_true), 4),
        "compliance_pct_mae": round(float(np.mean(pct_err)) if pct_err else 0.0, 3),
        "detect_ms_per_image": round(1000 * t_detect / n, 1),
        "recognise_ms_per_image": round(1000 * max(0.0, t_recognise) / n, 1),
        "compliance_ms_per_image": round(1000 * t_comply / n, 2),
    }
    details: dict[str, object] = {
        "n_products": n_truth, "n_catalogue_products_matched": sku_n, "n_foreign_matched": foreign_n,
        "n_positions": pos_n, "n_extras": extra_true,
        "status_confusion": {f"{a}->{b}": v for (a, b), v in sorted(confusion.items())},
    }
    return Metrics(task="planogram", dataset=dataset, n_samples=len(data), values=values, details=details)

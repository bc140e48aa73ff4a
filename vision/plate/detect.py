"""Plate localisation: a YOLO detector (trained by ``vision.plate.train``) behind a small interface."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from core.device import Placement
from core.schemas import Box

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Detection:
    """One plate found in an image: pixel xyxy and the detector's confidence."""

    x1: float
    y1: float
    x2: float
    y2: float
    confidence: float


class PlateDetector(Protocol):
    """Anything that finds plates in a batch of RGB uint8 images."""

    def detect(self, images: Sequence[np.ndarray]) -> list[list[Detection]]: ...


class YoloPlateDetector:
    """Ultralytics YOLO weights (one class, ``plate``) run in batches at a fixed input size.

    ``extra_sizes`` runs the detector again at those input sizes and merges all boxes by NMS (test-time
    multi-scale): a plate the network misses at one scale is often found at another.
    """

    def __init__(self, weights: Path, placement: Placement | None = None, imgsz: int | None = None,
                 conf: float = 0.25, iou: float = 0.5, max_det: int = 20, extra_sizes: Sequence[int] = ()) -> None:
        self.weights = weights
        self.placement = placement or Placement("cpu", "fp32")
        self.imgsz = imgsz
        self.extra_sizes = tuple(extra_sizes)
        self.conf = conf
        self.iou = iou
        self.max_det = max_det
        self._model = None

    def load(self) -> YoloPlateDetector:
        from ultralytics import YOLO

        self._model = YOLO(str(self.weights), task="detect")
        # Ultralytics reads the input size it was trained at from the checkpoint; honour it.
        trained = getattr(self._model, "overrides", {}).get("imgsz")
        if self.imgsz is None:
            self.imgsz = trained if isinstance(trained, int) else 320
        return self

    def detect(self, images: Sequence[np.ndarray]) -> list[list[Detection]]:
        if self._model is None:
            self.load()
        if not images:
            return []
        # Ultralytics expects BGR numpy arrays (OpenCV order) for in-memory images.
        bgr = [np.ascontiguousarray(img[:, :, ::-1]) for img in images]
        per_size = [self._predict(bgr, size) for size in (self.imgsz, *self.extra_sizes)]
        return [merge_boxes([size[i] for size in per_size], self.iou, self.max_det) for i in range(len(images))]

    def _predict(self, bgr: list[np.ndarray], size: int | None) -> list[np.ndarray]:
        """N x 5 arrays (x1, y1, x2, y2, confidence) per image at one input size."""
        results = self._model.predict(bgr, imgsz=size, conf=self.conf, iou=self.iou,  # type: ignore[union-attr]
                                      max_det=self.max_det, device=self.placement.device,
                                      half=self.placement.precision == "fp16", verbose=False)
        out = []
        for result in results:
            boxes = result.boxes
            if boxes is None or len(boxes) == 0:
                out.append(np.zeros((0, 5), dtype=np.float32))
            else:
                out.append(np.concatenate([boxes.xyxy.cpu().numpy(), boxes.conf.cpu().numpy()[:, None]], axis=1))
        return out


def merge_boxes(groups: Sequence[np.ndarray], iou: float, max_det: int) -> list[Detection]:
    """Greedy NMS over the boxes of one or several detector passes (N x 5 each); the most confident box wins.

    Nested boxes (a plate and a part of it) both survive: which one holds the plate is for the reader to
    tell (``votes.keep_best_reads``), since the more confident box is not always the better one.
    """
    rows = np.concatenate([g for g in groups if len(g)], axis=0) if any(len(g) for g in groups) else np.zeros((0, 5))
    kept: list[tuple[Box, np.ndarray]] = []
    for row in rows[np.argsort(-rows[:, 4], kind="stable")]:
        if len(kept) >= max_det:
            break
        box = Box(x1=float(row[0]), y1=float(row[1]), x2=float(row[2]), y2=float(row[3]))
        if all(box.iou(other) < iou for other, _ in kept):
            kept.append((box, row))
    return [Detection(*map(float, row)) for _, row in kept]

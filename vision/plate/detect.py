"""Plate localisation: a YOLO detector (trained by ``vision.plate.train``) behind a small interface."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from core.device import Placement

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
    """Ultralytics YOLO weights (one class, ``plate``) run in batches at a fixed input size."""

    def __init__(self, weights: Path, placement: Placement | None = None, imgsz: int | None = None,
                 conf: float = 0.25, iou: float = 0.5, max_det: int = 20) -> None:
        self.weights = weights
        self.placement = placement or Placement("cpu", "fp32")
        self.imgsz = imgsz
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
        results = self._model.predict(bgr, imgsz=self.imgsz, conf=self.conf, iou=self.iou,
                                      max_det=self.max_det, device=self.placement.device,
                                      half=self.placement.precision == "fp16", verbose=False)
        out: list[list[Detection]] = []
        for result in results:
            boxes = result.boxes
            xyxy = boxes.xyxy.cpu().numpy() if boxes is not None else np.zeros((0, 4))
            confs = boxes.conf.cpu().numpy() if boxes is not None else np.zeros(0)
            out.append([Detection(float(a), float(b), float(c), float(d), float(s))
                        for (a, b, c, d), s in zip(xyxy, confs)])
        return out

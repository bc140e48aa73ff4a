"""Class-agnostic product detector: a YOLOv8n trained by ``train.py`` on generated shelves."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from core.device import Placement
from core.errors import WeightsUnavailable

log = logging.getLogger(__name__)
BoxTuple = tuple[float, float, float, float, float]  # x1, y1, x2, y2, confidence


@dataclass
class ProductDetector:
    """Wraps an Ultralytics model file; ``detect`` returns pixel ``xyxy`` boxes with confidences."""

    weights: Path
    placement: Placement
    conf: float = 0.2
    iou: float = 0.3  # packs stand side by side and never overlap: suppress duplicates hard
    imgsz: int = 416
    max_det: int = 300
    _model: object | None = None

    def load(self) -> ProductDetector:
        if not self.weights.is_file():
            raise WeightsUnavailable(
                f"product detector weights {str(self.weights)!r} not found; build them with `ais planogram train`")
        from core.offline import enforce_offline

        enforce_offline()
        from ultralytics import YOLO

        _undo_pil_patch()
        self._model = YOLO(str(self.weights), task="detect")
        # One warm-up pass so the first request does not pay for fusing layers and allocating buffers.
        self.detect([Image.new("RGB", (self.imgsz, self.imgsz), (128, 128, 128))])
        return self

    def detect(self, images: list[Image.Image], conf: float | None = None) -> list[list[BoxTuple]]:
        """Boxes per image; ``conf`` overrides the operating threshold (0.001 to score mAP)."""
        if self._model is None:
            raise RuntimeError("detector is not loaded")
        results = self._model.predict(  # type: ignore[attr-defined]
            images, imgsz=self.imgsz, conf=self.conf if conf is None else conf, iou=self.iou, max_det=self.max_det,
            device=self.placement.device, half=self.placement.precision == "fp16", verbose=False)
        out: list[list[BoxTuple]] = []
        for result in results:
            xyxy = result.boxes.xyxy.cpu().numpy()
            confs = result.boxes.conf.cpu().numpy()
            out.append([(float(b[0]), float(b[1]), float(b[2]), float(b[3]), float(c)) for b, c in zip(xyxy, confs)])
        return out


def _undo_pil_patch() -> None:
    """Ultralytics replaces ``PIL.Image.open`` at import with a wrapper that, on an unreadable upload,
    tries to install and import ``pi_heif``: a bad image then raises ModuleNotFoundError (or
    reaches for pip) instead of PIL's UnidentifiedImageError, which ``core.images`` turns into
    InvalidInput. Put the original back; we never feed HEIF to Ultralytics."""
    from PIL import Image as PILImage

    try:
        from ultralytics.utils import patches
    except ImportError:  # pragma: no cover - layout of another ultralytics version
        return
    original = getattr(patches, "_image_open", None)
    if original is not None and PILImage.open is not original:
        PILImage.open = original

"""Face detection and five-point landmarks with facenet-pytorch's MTCNN (weights bundled in the wheel)."""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from core.schemas import Box
from vision.face.schemas import Landmarks, Point

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)


# MTCNN's first stage looks at 12x12 windows: a smaller image holds no face it can find, and its
# image pyramid is empty (torch.cat of no tensors), so such images are answered "no face" directly.
MIN_DETECTABLE_SIDE = 12


@dataclass(frozen=True)
class DetectedFace:
    """A face in pixel coordinates: ``box`` is xyxy, ``landmarks`` is 5x2 (eyes, nose, mouth corners)."""

    box: np.ndarray
    landmarks: np.ndarray
    confidence: float

    @property
    def size(self) -> float:
        """The shorter side of the box, in pixels."""
        return float(min(self.box[2] - self.box[0], self.box[3] - self.box[1]))

    def box_model(self, width: int, height: int) -> Box:
        x1, y1, x2, y2 = self.box.tolist()
        # MTCNN boxes may overhang the image; clip so the public box is always inside it.
        x1, x2 = min(max(x1, 0.0), width), min(max(x2, 0.0), width)
        y1, y2 = min(max(y1, 0.0), height), min(max(y2, 0.0), height)
        return Box(x1=x1, y1=y1, x2=x2, y2=y2, confidence=min(max(self.confidence, 0.0), 1.0))

    def landmarks_model(self) -> Landmarks:
        p = [Point(x=float(x), y=float(y)) for x, y in self.landmarks]
        return Landmarks(left_eye=p[0], right_eye=p[1], nose=p[2], mouth_left=p[3], mouth_right=p[4])


class FaceDetector:
    """MTCNN over a batch of images; images of the same size go through the network together."""

    def __init__(self, device: str = "cpu", min_face_size: int = 20, min_confidence: float = 0.9,
                 max_side: int = 1024) -> None:
        from facenet_pytorch import MTCNN  # heavy: imported only when a detector is built

        self.min_confidence = min_confidence
        self.max_side = max_side
        self._mtcnn = MTCNN(keep_all=True, select_largest=True, min_face_size=min_face_size, device=device)
        self._mtcnn.eval()

    def detect(self, images: Sequence[Image.Image]) -> list[list[DetectedFace]]:
        """Faces per image, largest first, keeping those at or above ``min_confidence``."""
        out: list[list[DetectedFace]] = [[] for _ in images]
        scaled, scales = zip(*(self._downscale(image) for image in images))
        by_size: dict[tuple[int, int], list[int]] = defaultdict(list)
        for index, image in enumerate(scaled):
            if min(image.size) >= MIN_DETECTABLE_SIDE:  # smaller: no face can be found (and MTCNN crashes)
                by_size[image.size].append(index)
        # MTCNN stacks a list into one tensor, so only same-size images can share a forward pass.
        for indices in by_size.values():
            batch = [scaled[i] for i in indices]
            boxes, probs, points = self._mtcnn.detect(batch, landmarks=True)
            for i, b, p, pts in zip(indices, boxes, probs, points):
                out[i] = self._faces(b, p, pts, scales[i])
        return out

    def _downscale(self, image: Image.Image) -> tuple[Image.Image, float]:
        """Detect on at most ``max_side`` pixels: the MTCNN pyramid costs time in proportion to pixels,
        and a face small enough to vanish at that size is too small to recognise anyway."""
        from PIL import Image as PILImage

        longest = max(image.size)
        if longest <= self.max_side:
            return image, 1.0
        scale = self.max_side / longest
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        return image.resize(size, PILImage.Resampling.BILINEAR), scale

    def _faces(self, boxes: np.ndarray | None, probs: object, points: np.ndarray | None,
               scale: float) -> list[DetectedFace]:
        if boxes is None or points is None:
            return []
        faces = [
            DetectedFace(box=np.asarray(box, dtype=np.float64) / scale,
                         landmarks=np.asarray(pts, dtype=np.float64) / scale, confidence=float(prob))
            for box, prob, pts in zip(boxes, probs, points)
            if prob is not None and float(prob) >= self.min_confidence
        ]
        return faces

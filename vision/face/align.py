"""Alignment: turn a detected face into the crop each embedder was trained on."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from vision.face.detect import DetectedFace

if TYPE_CHECKING:
    from PIL import Image

DLIB_CHIP_SIZE = 150
DLIB_CHIP_PADDING = 0.25
FACENET_CROP_SIZE = 160


def dlib_chip(rgb: np.ndarray, face: DetectedFace, shape_predictor: Any) -> np.ndarray:
    """150x150 RGB chip the dlib ResNet expects: dlib's own 5-point fit inside the MTCNN box, then warp.

    dlib's ResNet was trained on chips aligned with dlib's 5-point model (eye corners + nose base),
    which are different points from MTCNN's; fitting them inside our box reproduces that alignment.
    """
    import dlib

    x1, y1, x2, y2 = (round(float(v)) for v in face.box)
    shape = shape_predictor(rgb, dlib.rectangle(x1, y1, x2, y2))
    return np.asarray(dlib.get_face_chip(rgb, shape, size=DLIB_CHIP_SIZE, padding=DLIB_CHIP_PADDING))


def facenet_crop(image: Image.Image, face: DetectedFace, size: int = FACENET_CROP_SIZE,
                 margin: int = 0) -> np.ndarray:
    """3xSxS float32 crop as facenet-pytorch's MTCNN makes it: box (+margin) resized, (x-127.5)/128."""
    from PIL import Image as PILImage

    x1, y1, x2, y2 = face.box.tolist()
    mx = margin * (x2 - x1) / (size - margin)
    my = margin * (y2 - y1) / (size - margin)
    w, h = image.size
    box = (int(max(x1 - mx / 2, 0)), int(max(y1 - my / 2, 0)), int(min(x2 + mx / 2, w)), int(min(y2 + my / 2, h)))
    crop = image.crop(box).resize((size, size), PILImage.Resampling.BILINEAR)
    array = np.asarray(crop, dtype=np.float32).transpose(2, 0, 1)
    return (array - 127.5) / 128.0


def upscaled(image: Image.Image, face: DetectedFace, target: float) -> tuple[Image.Image, DetectedFace]:
    """A face smaller than ``target`` px, cut out with one face width around it and enlarged (Lanczos) so
    that it is ``target`` px: dlib's 5-point fit and chip warp then work on a face of the size they were
    trained on instead of interpolating a few pixels. Larger faces are returned unchanged."""
    from PIL import Image as PILImage

    size = face.size
    if target <= 0 or size <= 0 or size >= target:
        return image, face
    factor = target / size
    x1, y1, x2, y2 = face.box.tolist()
    side = max(x2 - x1, y2 - y1)
    left, top = int(np.floor(x1 - side)), int(np.floor(y1 - side))
    right, bottom = int(np.ceil(x2 + side)), int(np.ceil(y2 + side))
    region = image.convert("RGB").crop((left, top, right, bottom))
    region = region.resize((max(1, round(region.width * factor)), max(1, round(region.height * factor))),
                           PILImage.Resampling.LANCZOS)
    offset = np.array([left, top, left, top], dtype=np.float64)
    moved = DetectedFace(box=(face.box - offset) * factor,
                         landmarks=(face.landmarks - offset[:2]) * factor, confidence=face.confidence)
    return region, moved

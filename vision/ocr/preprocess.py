"""Page preprocessing before reading: contrast normalisation, deskew (projection profile) and quarter turns.

Each step is optional; which are on by default follows the measurements in the README.

>>> import numpy as np
>>> stretch_contrast(np.array([[100, 150]], dtype=np.uint8)).tolist()
[[0, 255]]
"""
from __future__ import annotations

import numpy as np


def stretch_contrast(grey: np.ndarray, low_pct: float = 1.0, high_pct: float = 99.0) -> np.ndarray:
    """Map the ``low_pct``..``high_pct`` percentiles of a greyscale image to 0..255 (faded scans, grey paper)."""
    low, high = np.percentile(grey, [low_pct, high_pct])
    if high - low < 1:
        return grey
    scaled = (grey.astype(np.float32) - low) * (255.0 / (high - low))
    return np.clip(scaled, 0, 255).astype(np.uint8)


def estimate_skew(grey: np.ndarray, max_degrees: float = 5.0, step: float = 0.25, work_width: int = 800) -> float:
    """Small rotation (degrees, counter-clockwise positive like PIL) that makes text lines horizontal.

    Projection-profile method: on a downscaled, binarised page, the angle whose row sums are the
    most peaked (highest variance) aligns the lines with the rows.
    """
    import cv2

    scale = min(1.0, work_width / grey.shape[1])
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ink = ink.astype(np.float32)
    if ink.sum() < 50:
        return 0.0
    h, w = ink.shape
    centre = (w / 2, h / 2)
    best_angle, best_score = 0.0, -1.0
    for angle in np.arange(-max_degrees, max_degrees + 1e-6, step):
        # rotating by -angle undoes a page turned by +angle
        matrix = cv2.getRotationMatrix2D(centre, -float(angle), 1.0)
        rotated = cv2.warpAffine(ink, matrix, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
        # columns too, so a page turned a quarter is deskewed as well
        score = max(float(np.var(rotated.sum(axis=1))), float(np.var(rotated.sum(axis=0))))
        if score > best_score:
            best_angle, best_score = float(angle), score
    return best_angle


def rotate_small(image: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate by ``degrees`` counter-clockwise about the centre, same size, white fill."""
    import cv2

    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    fill = (255, 255, 255) if image.ndim == 3 else 255
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_CUBIC, borderValue=fill)


def turn(image: np.ndarray, degrees_ccw: int) -> np.ndarray:
    """Quarter turn counter-clockwise (0, 90, 180, 270)."""
    return np.ascontiguousarray(np.rot90(image, (degrees_ccw // 90) % 4))


def turn_box(box: tuple[float, float, float, float], degrees_ccw: int, width: int, height: int
             ) -> tuple[float, float, float, float]:
    """Where an xyxy box on a ``width`` x ``height`` image lands after ``turn(image, degrees_ccw)``."""
    x1, y1, x2, y2 = box
    for _ in range((degrees_ccw // 90) % 4):
        # one counter-clockwise quarter turn: (x, y) -> (y, width - x); the image becomes height x width
        x1, y1, x2, y2 = y1, width - x2, y2, width - x1
        width, height = height, width
    return x1, y1, x2, y2

"""Plate proposals without the detector: rows of glyph-like strokes found by morphology (classic ALPR).

The YOLO detector has only seen generated scenes, and it misses some plates that are plain to the
eye (large, sharp, on real cars). A plate's registration is a row of tall strokes with strong
horizontal contrast; black-hat / top-hat filtering (dark text on light plates, light on dark), a
horizontal gradient and a wide closing turn such rows into blobs whose boxes are plate-text
candidates. They are many and mostly not plates (signs, grilles, badges), so the task only keeps one
when the reader confirms it as plate text of a known format (``PlateOptions.text_rows_conf``), and
only looks for them in images where the detector found no confirmed plate.

>>> import numpy as np
>>> text_rows(np.zeros((40, 60, 3), np.uint8))
[]
"""
from __future__ import annotations

import numpy as np

from vision.plate.detect import Detection, merge_boxes

# Structuring-element heights in pixels of the resized image: stroke rows of plates about 25-300 px
# wide at ``LONG_SIDE``.
KERNEL_HEIGHTS = (9, 17, 29)
LONG_SIDE = 640
MIN_WIDTH, MIN_HEIGHT = 24, 6  # at LONG_SIDE
ASPECT = (1.8, 9.0)  # width / height of a plate's text row (one row of 4-8 glyphs)


def text_rows(image: np.ndarray, max_rows: int = 12, long_side: int = LONG_SIDE) -> list[Detection]:
    """Boxes (pixel xyxy of ``image``) of up to ``max_rows`` rows of glyph-like strokes, most plate-like
    first (solid and large: fill share x square root of area); overlapping rows (IoU >= 0.6) merged.

    ``Detection.confidence`` is 0: these are proposals, not detections.
    """
    import cv2

    height, width = image.shape[:2]
    if min(height, width) < 8:
        return []
    scale = min(1.0, long_side / max(height, width))
    small = cv2.resize(image, (max(1, round(width * scale)), max(1, round(height * scale))),
                       interpolation=cv2.INTER_AREA) if scale < 1.0 else image
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY) if small.ndim == 3 else small
    rows: list[np.ndarray] = []
    for kh in KERNEL_HEIGHTS:
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * kh + 1, kh))
        closing = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * kh + 1, max(3, kh // 3)))
        for op in (cv2.MORPH_BLACKHAT, cv2.MORPH_TOPHAT):  # dark text on light plates, light on dark
            strokes = cv2.morphologyEx(grey, op, kernel)
            gx = np.abs(cv2.Sobel(strokes, cv2.CV_32F, 1, 0, ksize=3))
            peak = float(gx.max())
            if peak <= 0.0:
                continue
            gx = cv2.GaussianBlur((255.0 * gx / peak).astype(np.uint8), (5, 5), 0)
            gx = cv2.morphologyEx(gx, cv2.MORPH_CLOSE, closing)
            _, mask = cv2.threshold(gx, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
            mask = cv2.dilate(cv2.erode(mask, None, iterations=2), None, iterations=2)
            contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            for contour in contours:
                x, y, w, h = cv2.boundingRect(contour)
                if w < MIN_WIDTH or h < MIN_HEIGHT or not ASPECT[0] <= w / h <= ASPECT[1]:
                    continue
                # Dense and large first: a plate's row is a solid blob, and bigger than far-away text.
                score = float(cv2.contourArea(contour)) / (w * h) * np.sqrt(w * h)
                rows.append(np.array([x / scale, y / scale, (x + w) / scale, (y + h) / scale, score]))
    if not rows:
        return []
    kept = merge_boxes([np.stack(rows)], iou=0.6, max_det=max_rows)
    return [Detection(d.x1, d.y1, d.x2, d.y2, 0.0) for d in kept]

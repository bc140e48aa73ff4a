"""Small marks the line detector never boxes: a lone ``:``, ``1``, ``X`` or ``*`` standing apart on a receipt line.

PP-OCR's detector finds text lines as regions of dense ink; a colon set two spaces after
``Code`` (``Code   : 300-C0001``) or a quantity ``1`` alone in its column is too small and too
sparse to become a region, so the word is lost. ``unboxed_groups`` finds the ink left outside
every detected line: connected components of the binarised page that lie outside the
(slightly grown) line quadrilaterals, grouped when they stand as close as the strokes of one
character (the two dots of a colon), and kept when the group is character-sized. The caller reads
each group with the line recogniser and keeps confident readings.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Point = tuple[float, float]
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class BlobLimits:
    """Sizes as fractions of the page's median line height (the detector's quads)."""

    min_part: float = 0.06  # a component's longer side; smaller is a speck
    max_height: float = 0.9  # a group's height; taller is a logo, a ruling, a stamp
    max_width: float = 1.6  # a group's width; wider is more than a short word
    join_x: float = 0.12  # components this close side by side are one group
    join_y: float = 0.45  # ... and this close one above the other (a colon's dots)
    margin: float = 0.1  # how far the line quads are grown before ink counts as boxed


def median_line_height(quads: Sequence[Sequence[Point]]) -> float:
    """The median height of the detected lines' quadrilaterals (left edge, in pixels)."""
    heights = [float(np.hypot(q[3][0] - q[0][0], q[3][1] - q[0][1])) for q in quads]
    return float(np.median(heights)) if heights else 0.0


def unboxed_groups(grey: np.ndarray, quads: Sequence[Sequence[Point]], limits: BlobLimits | None = None
                   ) -> list[Box]:
    """Boxes ``(x1, y1, x2, y2)`` (pixels, end exclusive) of character-sized ink groups outside every line quad.

    >>> page = np.full((60, 200), 255, np.uint8); page[20:34, 10:60] = 0   # a boxed word
    >>> page[21:25, 100:104] = 0; page[29:33, 100:104] = 0                   # an unboxed colon
    >>> unboxed_groups(page, [((8, 18), (62, 18), (62, 36), (8, 36))])
    [(100, 21, 104, 33)]
    """
    import cv2

    limits = limits or BlobLimits()
    height = median_line_height(quads)
    if grey.ndim != 2 or height <= 0:
        return []
    _, ink = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    boxed = np.zeros_like(ink)
    grow = limits.margin * height
    for quad in quads:
        points = np.array(quad, dtype=np.float32)
        centre = points.mean(axis=0)
        direction = points - centre
        norms = np.linalg.norm(direction, axis=1, keepdims=True)
        grown = points + direction / np.maximum(norms, 1e-6) * grow
        cv2.fillPoly(boxed, [np.round(grown).astype(np.int32)], 1)
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    parts: list[list[int]] = []
    for k in range(1, n):
        x, y, w, h, _area = (int(v) for v in stats[k])
        if max(w, h) < limits.min_part * height or h > limits.max_height * height or w > limits.max_width * height:
            continue
        if boxed[y:y + h, x:x + w].any():
            continue
        parts.append([x, y, x + w, y + h])
    groups = _group(parts, limits.join_x * height, limits.join_y * height,
                    limits.max_width * height, limits.max_height * height)
    return [(x1, y1, x2, y2) for x1, y1, x2, y2 in groups
            if y2 - y1 <= limits.max_height * height and x2 - x1 <= limits.max_width * height]


def _group(parts: list[list[int]], join_x: float, join_y: float, max_width: float = float("inf"),
           max_height: float = float("inf")) -> list[Box]:
    """Union of boxes closer than ``join_x`` horizontally and ``join_y`` vertically, repeated until stable; two
    boxes are never joined into one wider than ``max_width`` or taller than ``max_height``, so a column of
    colons or of quantities (``1`` under ``1``) stays one mark per row instead of one tall group.

    >>> _group([[0, 0, 4, 4], [0, 8, 4, 12], [0, 20, 4, 24], [0, 28, 4, 32]], 2, 10, 10, 14)
    [(0, 0, 4, 12), (0, 20, 4, 32)]
    """
    boxes = [list(p) for p in parts]
    merged = True
    while merged:
        merged = False
        out: list[list[int]] = []
        for box in sorted(boxes, key=lambda b: (b[1], b[0])):
            for other in out:
                union = [min(box[0], other[0]), min(box[1], other[1]), max(box[2], other[2]), max(box[3], other[3])]
                if (box[0] - join_x <= other[2] and other[0] - join_x <= box[2]
                        and box[1] - join_y <= other[3] and other[1] - join_y <= box[3]
                        and union[2] - union[0] <= max_width and union[3] - union[1] <= max_height):
                    other[:] = union
                    merged = True
                    break
            else:
                out.append(box)
        boxes = out
    return [(b[0], b[1], b[2], b[3]) for b in boxes]

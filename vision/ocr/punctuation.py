"""Check a word's trailing colon or semicolon against the ink: easyocr's English model often reads '.' as ':' or ';'.

A colon is two marks stacked at the same x; a full stop is one. When the recogniser ends a word
with ':' or ';' but the rightmost glyph of the crop is a single small mark, the word ends with
'.' (a mark about as tall as wide) or ',' (a taller mark, the comma's tail).

>>> import numpy as np
>>> crop = np.full((40, 60), 255, np.uint8); crop[10:30, 5:40] = 0; crop[26:30, 48:52] = 0
>>> fix_trailing_mark("word:", crop)
'word.'
>>> crop[14:18, 48:52] = 0
>>> fix_trailing_mark("word:", crop)
'word:'
"""
from __future__ import annotations

import numpy as np

_MARKS = frozenset(":;")


def _components(ink: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (x1, y1, x2, y2) of the ink's connected components, dust removed."""
    import cv2

    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    boxes = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        if area >= 3:
            boxes.append((x, y, x + w, y + h))
    return boxes


def fix_trailing_mark(text: str, crop: np.ndarray) -> str:
    """Return ``text`` with a trailing ':'/';' turned into '.'/',' when the crop shows a single mark there."""
    if len(text) < 2 or text[-1] not in _MARKS or crop.ndim != 2 or min(crop.shape) < 4:
        return text
    import cv2

    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    boxes = _components(ink.astype(np.uint8))
    if len(boxes) < 2:
        return text
    last = max(boxes, key=lambda b: b[2])
    height = crop.shape[0]
    if last[3] - last[1] > 0.4 * height:  # the rightmost glyph is a letter, not a mark: leave it
        return text
    width = max(1, last[2] - last[0])
    stacked = [b for b in boxes if b is not last
               and min(b[2], last[2]) - max(b[0], last[0]) >= 0.5 * min(width, b[2] - b[0])]
    if stacked:
        return text
    tall = (last[3] - last[1]) > 1.4 * width
    return text[:-1] + ("," if tall else ".")

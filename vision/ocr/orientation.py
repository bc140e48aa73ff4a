"""Page orientation (0/90/180/270) from the detector's word boxes and a few trial readings.

The detector finds words whatever the page's rotation, so one detection pass is enough: on a page
turned 90 or 270 degrees the word boxes are taller than wide, which halves the candidates. The
longest words are then read under each remaining candidate rotation, and the rotation whose
readings are the most confident wins. Only a dozen small crops are read per candidate, so the
check costs a fraction of reading the page.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from vision.ocr.preprocess import turn

Xyxy = tuple[float, float, float, float]


class CropReader(Protocol):
    """What orientation needs from the engine: read a list of greyscale crops."""

    def recognize(self, crops: Sequence[np.ndarray]) -> Sequence: ...


@dataclass(frozen=True)
class OrientationGuess:
    """The input's rotation (degrees counter-clockwise from upright) and the evidence for it."""

    degrees: int
    score: float
    scores: dict[int, float] = field(default_factory=dict)


def candidate_rotations(boxes: Sequence[Xyxy], elongation: float = 1.8) -> tuple[int, ...]:
    """(0, 180) when elongated boxes lie flat, (90, 270) when they stand, all four when unclear."""
    flat = stand = 0
    for x1, y1, x2, y2 in boxes:
        w, h = x2 - x1, y2 - y1
        if w >= elongation * h:
            flat += 1
        elif h >= elongation * w:
            stand += 1
    total = flat + stand
    if total == 0:
        return (0, 90, 180, 270)
    if flat >= 0.75 * total:
        return (0, 180)
    if stand >= 0.75 * total:
        return (90, 270)
    return (0, 90, 180, 270)


def sample_boxes(boxes: Sequence[Xyxy], k: int) -> list[Xyxy]:
    """The ``k`` boxes with the longest long side (long words carry the most evidence)."""
    return sorted(boxes, key=lambda b: -max(b[2] - b[0], b[3] - b[1]))[:k]


def guess_orientation(reader: CropReader, grey: np.ndarray, boxes: Sequence[Xyxy], sample: int = 12
                      ) -> OrientationGuess:
    """Pick the rotation under which the sampled words read with the highest mean confidence."""
    candidates = candidate_rotations(boxes)
    chosen = sample_boxes(boxes, sample)
    crops = []
    for x1, y1, x2, y2 in chosen:
        patch = grey[max(0, int(y1)):int(np.ceil(y2)), max(0, int(x1)):int(np.ceil(x2))]
        if patch.size and min(patch.shape) >= 2:
            crops.append(patch)
    if not crops:
        return OrientationGuess(0, 0.0, {})
    trial = [turn(patch, (360 - degrees) % 360) for degrees in candidates for patch in crops]
    readings = list(reader.recognize(trial))
    n = len(crops)
    scores = {degrees: float(np.mean([r.confidence for r in readings[i * n:(i + 1) * n]]))
              for i, degrees in enumerate(candidates)}
    best = max(scores, key=lambda d: scores[d])
    return OrientationGuess(best, scores[best], scores)

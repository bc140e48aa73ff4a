"""Plate boxes: the crops read around a detection, and plate boxes implied by where the reader placed the
characters (text rows, loose detector boxes)."""
from __future__ import annotations

import numpy as np

from vision.plate.detect import Detection
from vision.plate.formats import PLATE_SHAPES
from vision.plate.read import Reading
from vision.plate.schemas import DEFAULT_VIEWS

PAD = DEFAULT_VIEWS[0]  # the first crop around a detection, as a share of its width and height per side
ROW_PAD = (0.06, 0.15)  # the crop around a text row (``propose.text_rows``): rows hug the glyphs


def pad_box(det: Detection, width: int, height: int, fx: float = PAD[0], fy: float = PAD[1]) -> tuple[int, int, int, int]:
    """Grow a detection by ``fx``/``fy`` of its width/height per side (negative shrinks), clipped to the
    image: YOLO boxes are often tight and the reader wants the whole glyphs."""
    w, h = det.x2 - det.x1, det.y2 - det.y1
    return (max(0, int(det.x1 - fx * w)), max(0, int(det.y1 - fy * h)),
            min(width, int(np.ceil(det.x2 + fx * w))), min(height, int(np.ceil(det.y2 + fy * h))))


def plate_box_from_text(reading: Reading, crop_x: tuple[float, float], row: Detection, width: int, height: int
                        ) -> Detection | None:
    """The plate around a registration read in a crop spanning ``crop_x`` (image x1, x2) of a text row: as
    wide as the characters the reader placed (``Reading.char_centres``, half a character pitch beyond the
    first and last) over the share of the plate the registration spans, as tall as the country's plate
    shape, the registration's centre line at the row's centre line. None without character positions.

    A row of strokes often runs on past the plate (a bumper edge, a badge beside it); where the reader
    found the characters does not.

    >>> from vision.plate.formats import formats_for
    >>> read = Reading("ABC1234", 0.9, [0.9] * 7, "", formats_for("BR")[0], [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    >>> box = plate_box_from_text(read, (0, 400), Detection(0, 100, 400, 140, 0.0), 640, 480)
    >>> [round(v) for v in (box.x1, box.y1, box.x2, box.y2)]  # glyphs centred 80..320 px: text 60..340, 89 %
    [43, 61, 357, 163]
    """
    shape = PLATE_SHAPES.get(reading.format.country) if reading.format is not None else None
    centres = reading.char_centres
    if shape is None or len(centres) < 2 or len(centres) != len(reading.text):
        return None
    x0, span = crop_x[0], crop_x[1] - crop_x[0]
    first, last = x0 + centres[0] * span, x0 + centres[-1] * span
    if last <= first:
        return None
    pitch = (last - first) / (len(centres) - 1)
    plate_w = (last - first + pitch) / shape.text_width
    plate_h = plate_w / shape.aspect
    cx, cy = (first + last) / 2, (row.y1 + row.y2) / 2
    y1 = cy - shape.text_centre * plate_h
    return Detection(max(0.0, cx - plate_w / 2), max(0.0, y1), min(float(width), cx + plate_w / 2),
                     min(float(height), y1 + plate_h), row.confidence)


def fit_to_text(det: Detection, reading: Reading, crop_x: tuple[float, float], width: int, height: int,
                share: float) -> Detection:
    """The detector's box, or the plate its characters imply where that is narrower than ``share`` of it.

    Real-photo boxes are often much looser than the plate (plate and housing, plate and bumper); the
    reader placed the characters (``plate_box_from_text``), so their extent says how wide the plate
    is. The fitted box stays inside the detector's, centred where it is, as tall as the country's
    plate shape makes it (never taller than the detector's box); ``box.confidence`` stays the detector's.
    """
    fitted = plate_box_from_text(reading, crop_x, det, width, height)
    if fitted is None or fitted.x2 - fitted.x1 >= share * (det.x2 - det.x1):
        return det
    cy, half = (det.y1 + det.y2) / 2, min(fitted.y2 - fitted.y1, det.y2 - det.y1) / 2
    return Detection(max(det.x1, fitted.x1), max(0.0, cy - half), min(det.x2, fitted.x2), min(float(height), cy + half),
                     det.confidence)


def plate_box_from_row(row: Detection, country: str, width: int, height: int, margin: float = 0.05) -> Detection:
    """The plate around a registration row read as ``country``'s format: as wide as the row plus
    ``margin`` per side, as tall as that country's plate shape (``formats.PLATE_SHAPES``), the row placed
    where that country prints it; never smaller than the row, clipped to the image.

    >>> box = plate_box_from_row(Detection(100, 60, 300, 100, 0.0), "BR", 640, 480)
    >>> [round(v) for v in (box.x1, box.y1, box.x2, box.y2)]  # 220 x 71 px, the row at the bottom
    [90, 32, 310, 103]
    """
    shape = PLATE_SHAPES.get(country)
    row_w, row_h = row.x2 - row.x1, row.y2 - row.y1
    plate_w = row_w * (1 + 2 * margin)
    plate_h = max(row_h, plate_w / shape.aspect) if shape else row_h * (1 + 2 * margin)
    x1 = row.x1 - row_w * margin
    where = shape.row if shape else "centre"
    if where == "bottom":
        y2 = row.y2 + (plate_h - row_h) * 0.1
        y1 = y2 - plate_h
    elif where == "top":
        y1 = row.y1 - (plate_h - row_h) * 0.1
        y2 = y1 + plate_h
    else:
        y1 = (row.y1 + row.y2 - plate_h) / 2
        y2 = y1 + plate_h
    return Detection(max(0.0, x1), max(0.0, y1), min(float(width), x1 + plate_w), min(float(height), y2), row.confidence)

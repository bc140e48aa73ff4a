"""Generated training crops for the plate recogniser: plates as the detector hands them over, plus non-plates.

Each crop is a rendered plate (all five styles) with glyph-weight and width variety (the real
Brazilian fonts are not available offline, so the model must not learn one face), warped in
perspective, placed in context, cut with the detector's slack (``boxes.pad_box`` pads 4 %/8 %),
then blurred, tinted, noised, JPEG-compressed and shrunk to the sizes far plates have.

>>> crop, text = training_crop(np.random.default_rng(0))
>>> crop.ndim == 3 and crop.dtype == np.uint8
True
"""
from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image

from vision.plate.synth import _background, _draw_car, _paste, _photometric, _warp_plate
from vision.plate.synth_plates import render_plate

NEGATIVE_RATE = 0.05  # crops with no plate text (weak detections the reader must not confirm)
# Plate width in pixels, drawn log-uniform: held-out scenes put plates from ~20 px to ~290 px wide
# (below ~24 px few are readable). A run may narrow it (``train-reader --min-width/--max-width``).
WIDTHS: tuple[float, float] = (24.0, 280.0)


def _glyph_variety(plate: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Thicker or thinner strokes and a wider or narrower plate: fonts we do not have look like this."""
    import cv2

    out = plate
    roll = rng.random()
    if roll < 0.25:
        out = cv2.erode(out, np.ones((int(rng.integers(2, 5)),) * 2, np.uint8))  # dark strokes thicken
    elif roll < 0.45:
        out = cv2.dilate(out, np.ones((int(rng.integers(2, 4)),) * 2, np.uint8))  # dark strokes thin
    if rng.random() < 0.4:
        h, w = out.shape[:2]
        out = cv2.resize(out, (max(8, int(w * rng.uniform(0.8, 1.2))), h), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(out)


def _negative(rng: np.random.Generator) -> np.ndarray:
    """A detector-sized cut of background or car body with no plate in it."""
    w = int(rng.integers(30, 240))
    h = max(10, int(w / rng.uniform(1.8, 5.0)))
    canvas = _background(rng, w * 3, h * 3)
    if rng.random() < 0.5:
        _draw_car(canvas, rng, w * 1.5, h * 1.5, w * rng.uniform(1.0, 3.0))
    x, y = int(rng.integers(0, w * 2)), int(rng.integers(0, h * 2))
    return _photometric(np.ascontiguousarray(canvas[y:y + h, x:x + w]), rng)


def training_crop(rng: np.random.Generator, easy: bool = False,
                  widths: tuple[float, float] = WIDTHS, text: str | None = None) -> tuple[np.ndarray, str]:
    """One RGB crop and its label text (empty for a crop with no plate); the plate is ``widths`` px wide
    (log-uniform between the two).

    ``text`` draws that registration (in a random style) instead of a style's own (never a negative then).
    ``easy`` crops (large, plain glyphs, no negatives) start training: a CTC model learns to align
    characters on them in a few hundred steps, where the full mix keeps it on its all-blank plateau.
    """
    import cv2

    if not easy and text is None and rng.random() < NEGATIVE_RATE:
        return _negative(rng), ""
    plate = render_plate(rng, text=text)
    face = Image.fromarray(np.asarray(plate.image) if easy else _glyph_variety(np.asarray(plate.image), rng))
    low, high = (max(90.0, widths[0]), max(90.0, widths[1])) if easy else widths  # easy crops stay large
    width = float(math.exp(rng.uniform(math.log(low), math.log(high))))
    render_w = max(width, 60.0)  # warp at a readable size, then shrink: the way a camera loses detail
    canvas, (bx1, by1, bx2, by2) = plate_in_context(rng, face, render_w, context_h=2.2)
    canvas_h, canvas_w = canvas.shape[:2]
    bw, bh = bx2 - bx1, by2 - by1
    # The detector's box is off by a few per cent either way, and pad_box then adds 4 % / 8 %.
    slack = 0.5 if easy else 1.0
    mx1, mx2 = rng.uniform(-0.03, 0.14 * slack, size=2) * bw
    my1, my2 = rng.uniform(-0.06, 0.22 * slack, size=2) * bh
    y1, y2 = int(max(0, by1 - my1)), int(min(canvas_h, by2 + my2))
    x1, x2 = int(max(0, bx1 - mx1)), int(min(canvas_w, bx2 + mx2))
    crop = np.ascontiguousarray(canvas[y1:y2, x1:x2])
    if easy:
        return crop, plate.text
    crop = _photometric(crop, rng)
    if width < render_w or rng.random() < 0.3:
        h, w = crop.shape[:2]
        factor = width / render_w if width < render_w else rng.uniform(0.4, 0.9)
        crop = cv2.resize(crop, (max(6, int(w * factor)), max(4, int(h * factor))), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:  # uploaded photos are JPEGs
        buf = io.BytesIO()
        Image.fromarray(crop).save(buf, "JPEG", quality=int(rng.integers(30, 95)))
        crop = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    return np.ascontiguousarray(crop), plate.text


def training_batch(seed: tuple[int, ...], n: int, easy: bool = False,
                   widths: tuple[float, float] = WIDTHS) -> tuple[list[np.ndarray], list[str]]:
    """``n`` crops from one seed (a worker process makes one chunk per call)."""
    import cv2

    cv2.setNumThreads(1)  # one core per worker process; the trainer has the other
    rng = np.random.default_rng(list(seed))
    crops, texts = [], []
    for _ in range(n):
        crop, text = training_crop(rng, easy, widths)
        crops.append(crop)
        texts.append(text)
    return crops, texts


# --------------------------------------------------------------------------------------------------
# plate crops for the reader
# --------------------------------------------------------------------------------------------------
def plate_in_context(rng: np.random.Generator, face: Image.Image, width: float, context_h: float = 2.0
                     ) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """The plate ``face`` warped to ``width`` px and pasted at the centre of a background patch 1.6x its
    width and ``context_h`` x its height; returns the patch and the plate's box (x1, y1, x2, y2) in it."""
    patch, mask, corners = _warp_plate(rng, face, width)
    ph, pw = patch.shape[:2]
    canvas_w, canvas_h = int(pw * 1.6) + 8, int(ph * context_h) + 8
    canvas = _background(rng, canvas_w, canvas_h)
    x0, y0 = (canvas_w - pw) // 2, (canvas_h - ph) // 2
    _paste(canvas, patch, mask, x0, y0)
    return canvas, (x0 + corners[:, 0].min(), y0 + corners[:, 1].min(),
                    x0 + corners[:, 0].max(), y0 + corners[:, 1].max())


def render_crop(rng: np.random.Generator, style_name: str | None = None) -> tuple[np.ndarray, str, str]:
    """A plate crop as a detector would hand it over: loose margins, perspective, blur, low resolution.

    Returns (RGB uint8 array, label text, style name).
    """
    import cv2

    plate = render_plate(rng, style_name)
    width = float(rng.uniform(60, 260))
    # Context around the plate, then a box around it with the detector's typical slack.
    canvas, (bx1, by1, bx2, by2) = plate_in_context(rng, plate.image, width)
    canvas_h, canvas_w = canvas.shape[:2]
    bw, bh = bx2 - bx1, by2 - by1
    mx1, mx2 = rng.uniform(-0.03, 0.1, size=2) * bw
    my1, my2 = rng.uniform(-0.05, 0.15, size=2) * bh
    crop = canvas[int(max(0, by1 - my1)):int(min(canvas_h, by2 + my2)), int(max(0, bx1 - mx1)):int(min(canvas_w, bx2 + mx2))]
    crop = _photometric(np.ascontiguousarray(crop), rng)
    if rng.random() < 0.5:  # low resolution: small plates far away
        h, w = crop.shape[:2]
        factor = rng.uniform(0.25, 0.8)
        small = cv2.resize(crop, (max(8, int(w * factor)), max(4, int(h * factor))), interpolation=cv2.INTER_AREA)
        crop = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return crop, plate.text, plate.style

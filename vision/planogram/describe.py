"""Hand-crafted pack descriptor: hue/saturation histogram, spatial colour layout, HOG shape, aspect ratio.

No pretrained CNN weights exist offline, so the SKU embedding is built from parts that are robust
to store lighting: hue and chroma carry the colour scheme (brightness is normalised per crop), the
colour layout says where each colour sits (band, cap, logo), HOG captures silhouette and text
blocks, and the aspect ratio separates a can from a box of the same colours.

>>> import numpy as np
>>> describe(np.zeros((60, 30, 3), np.uint8)).shape == (DIM,)
True
"""
from __future__ import annotations

import numpy as np

GRID_W, GRID_H = 4, 8
HOG_W, HOG_H = 32, 64
HUE_BINS, SAT_BINS, GREY_BINS = 18, 3, 4
# Block weights were chosen on generated train-split crops (see README, "Recogniser").
WEIGHTS = {"hist": 1.0, "layout": 0.6, "hog": 0.4, "aspect": 0.2}


def _hog(gray: np.ndarray) -> np.ndarray:
    """HOG of a ``HOG_H x HOG_W`` grey image: 8x8 cells, 9 unsigned bins, 2x2-cell blocks (L2-Hys)."""
    g = gray.astype(np.float32)
    gx = np.zeros_like(g)
    gy = np.zeros_like(g)
    gx[:, 1:-1] = g[:, 2:] - g[:, :-2]
    gy[1:-1, :] = g[2:, :] - g[:-2, :]
    mag = np.hypot(gx, gy)
    ang = np.rad2deg(np.arctan2(gy, gx)) % 180.0
    bins = np.minimum((ang / 20.0).astype(np.int32), 8)
    cy, cx = HOG_H // 8, HOG_W // 8
    cell = (np.arange(HOG_H)[:, None] // 8) * cx + (np.arange(HOG_W)[None, :] // 8)
    hist = np.bincount((cell * 9 + bins).ravel(), weights=mag.ravel(), minlength=cy * cx * 9).reshape(cy, cx, 9)
    blocks = []
    for by in range(cy - 1):
        for bx in range(cx - 1):
            v = hist[by:by + 2, bx:bx + 2].ravel()
            v = np.minimum(v / (np.linalg.norm(v) + 1e-6), 0.2)
            blocks.append(v / (np.linalg.norm(v) + 1e-6))
    return np.concatenate(blocks)


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-9 else v


def _hist(hsv: np.ndarray) -> np.ndarray:
    h = hsv[:, :, 0].astype(np.int32)  # 0..179
    s = hsv[:, :, 1].astype(np.float32) / 255
    v = hsv[:, :, 2].astype(np.float32) / 255
    chroma = (s > 0.22) & (v > 0.18)
    hb = np.minimum(h * HUE_BINS // 180, HUE_BINS - 1)
    sb = np.minimum(((s - 0.22) / 0.78 * SAT_BINS).astype(np.int32), SAT_BINS - 1)
    colour = np.bincount((hb * SAT_BINS + sb)[chroma], minlength=HUE_BINS * SAT_BINS).astype(np.float32)
    # Achromatic pixels (white text, black text, grey rims) are binned by brightness relative to the crop.
    rel = v / max(float(np.median(v)), 1e-3)
    gb = np.clip((rel * GREY_BINS / 2).astype(np.int32), 0, GREY_BINS - 1)
    grey = np.bincount(gb[~chroma], minlength=GREY_BINS).astype(np.float32)
    hist = np.concatenate([colour, grey])
    return np.sqrt(hist / max(hist.sum(), 1.0))  # Hellinger: sqrt of the normalised histogram


def _layout(rgb: np.ndarray) -> np.ndarray:
    import cv2

    small = cv2.resize(rgb, (GRID_W, GRID_H), interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    lightness = lab[:, :, 0]
    lightness = (lightness - lightness.mean()) / (lightness.std() + 8.0)  # lighting-invariant contrast
    chroma = (lab[:, :, 1:] - 128.0) / 40.0
    return np.concatenate([lightness.ravel() * 0.5, chroma.ravel()])


def describe(crop: np.ndarray) -> np.ndarray:
    """Descriptor of one RGB uint8 crop (``HxWx3``), L2-normalised, length ``DIM``."""
    import cv2

    if crop.ndim != 3 or crop.shape[2] != 3 or min(crop.shape[:2]) < 2:
        raise ValueError(f"crop must be HxWx3 with both sides >= 2, got {crop.shape}")
    h, w = crop.shape[:2]
    hsv = cv2.cvtColor(crop, cv2.COLOR_RGB2HSV)
    gray = cv2.cvtColor(cv2.resize(crop, (HOG_W, HOG_H), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    hog = _hog(gray)
    aspect = np.array([np.log(w / h)], np.float32)
    parts = [
        WEIGHTS["hist"] * _unit(_hist(hsv)),
        WEIGHTS["layout"] * _unit(_layout(crop)),
        WEIGHTS["hog"] * _unit(hog),
        WEIGHTS["aspect"] * aspect,
    ]
    return _unit(np.concatenate(parts).astype(np.float32))


def describe_many(crops: list[np.ndarray]) -> np.ndarray:
    """Stack descriptors of several crops into an ``(n, DIM)`` array."""
    if not crops:
        return np.zeros((0, DIM), np.float32)
    return np.stack([describe(c) for c in crops])


DIM = HUE_BINS * SAT_BINS + GREY_BINS + 3 * GRID_W * GRID_H + 3 * 7 * 36 + 1

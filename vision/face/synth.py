"""Tiny generated inputs for contract tests and benchmarks (valid images; most contain no face)."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image


def sample_inputs(n: int, seed: int = 0) -> list[bytes]:
    """``n`` small PNG images of smooth noise in a few sizes (valid input; detection finds nothing)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        h, w = (96, 128) if i % 2 == 0 else (120, 90)
        coarse = rng.integers(0, 256, size=(h // 8, w // 8, 3), dtype=np.uint8)
        image = Image.fromarray(coarse).resize((w, h), Image.Resampling.BILINEAR)
        buf = io.BytesIO()
        image.save(buf, "PNG")
        out.append(buf.getvalue())
    return out


def bad_input() -> bytes:
    """Bytes that are not an image: ``predict`` must answer InvalidInput."""
    return b"this is not an image"

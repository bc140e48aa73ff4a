"""Sample inputs for contract tests and benchmarks: real face photos from a package, at several scales.

scikit-image ships ``astronaut()`` (public-domain NASA portrait of Eileen Collins) inside the
package, so these need no network and no development data. Timing face analysis on images without
faces would measure only an empty detector pass; these make MTCNN, alignment and the embedder run.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

# (left, top, right, bottom) of a head-and-shoulders crop of the 512x512 astronaut photo
_PORTRAIT = (96, 0, 416, 320)
_SIZES = (320, 240, 400, 200)


def _astronaut() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut())


def sample_inputs(n: int, seed: int = 0) -> list[bytes]:
    """``n`` JPEG photos holding one face each: the astronaut portrait resized, mirrored and relit in turn."""
    base = _astronaut().crop(_PORTRAIT)
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        size = _SIZES[i % len(_SIZES)]
        image = base.resize((size, size), Image.Resampling.BILINEAR)
        if i % 2:
            image = ImageOps.mirror(image)
        image = ImageEnhance.Brightness(image).enhance(float(rng.uniform(0.8, 1.2)))
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=90)
        out.append(buf.getvalue())
    return out


def bad_input() -> bytes:
    """Bytes that are not an image: ``predict`` must answer InvalidInput."""
    return b"this is not an image"

"""Degraded two-column pages: rendered pages made to look like real scans, to test reading order on columns.

``two_column_scans(n, seed=SCAN_SEED)`` renders two-column pages (a title spanning both columns,
then body text flowing down column 1 and column 2) and degrades each one differently, all drawn
from the seed:

- font cycling over DejaVu Sans, Liberation Sans/Serif and FreeSerif, 10-12 pt at 200 dpi
- a gutter between 0.15 and 0.5 inch (narrow gutters are where line-by-line interleaving starts)
- skew of -1.5 to 1.5 degrees (so the gutter is not a straight vertical strip)
- Gaussian blur 0.4-1.0 px, grey paper and faded ink (contrast 0.7-0.95), sensor noise (sigma 6-14)
- uneven illumination (a linear shading to 80-95 % across the page) and dark speckles
- a JPEG round trip at quality 35-70

``scans2col-short`` draws pages 2.5 in tall (a few lines per column, as in a magazine column
snippet); on its development twin Tesseract's own page layout read the columns line by line.

The set drawn from ``SCAN_SEED`` is held out from tuning: no threshold or option of the layout
analysis or the engines was chosen on it (the seed is fixed so the numbers in the README
reproduce); choices are made on the set drawn from ``DEV_SEED``.
"""
from __future__ import annotations

import io
import random
from dataclasses import replace

import numpy as np
from PIL import Image

from core.errors import InvalidInput
from vision.ocr.datasets import OcrDataset, OcrSample
from vision.ocr.synth import DEFAULT_FONTS, PageSpec, render_page

SCAN_SEED = 25  # the held-out set the README reports
DEV_SEED = 7  # a development set of the same kind (``--dataset scans2col-dev``): choices are made on it
BASE = PageSpec(dpi=200, height_in=4.0, columns=2)


def scan_look(image: Image.Image, rng: random.Random) -> Image.Image:
    """Uneven illumination, speckles and a JPEG round trip on a greyscale or RGB page."""
    pixels = np.asarray(image.convert("L"), dtype=np.float32)
    height, width = pixels.shape
    low = rng.uniform(0.80, 0.95)
    shade = np.linspace(1.0, low, width)[None, :] if rng.random() < 0.5 else np.linspace(low, 1.0, height)[:, None]
    pixels = pixels * shade
    noise = np.random.default_rng(rng.randrange(2**32))
    speckles = noise.random(pixels.shape) < 2e-4
    pixels[speckles] = noise.uniform(0, 90, int(speckles.sum()))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=rng.randint(35, 70))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


SHORT_HEIGHT_IN = 2.5  # few lines per column: where Tesseract's own layout interleaved columns (dev set)


def scan_set(name: str, n: int) -> OcrDataset:
    """``scans2col`` (4 in tall), ``scans2col-short`` (2.5 in), held out; ``...-dev`` the development twins."""
    kinds = {"scans2col": BASE, "scans2col-short": replace(BASE, height_in=SHORT_HEIGHT_IN)}
    kind = name.removesuffix("-dev")
    if kind not in kinds:
        raise InvalidInput(f"unknown scan set {name!r}; choose scans2col, scans2col-short (or their -dev twins)")
    data = two_column_scans(n, seed=DEV_SEED if name.endswith("-dev") else SCAN_SEED, base=kinds[kind])
    data.name = name
    return data


def two_column_scans(n: int = 4, seed: int = SCAN_SEED, base: PageSpec = BASE) -> OcrDataset:
    """``n`` degraded two-column pages with their true text in reading order (title, column 1, column 2)."""
    if n < 1:
        raise InvalidInput(f"n must be at least 1, got {n}")
    samples = []
    for i in range(n):
        rng = random.Random(seed * 1000 + i)
        spec = replace(base, font=DEFAULT_FONTS[i % len(DEFAULT_FONTS)], size_pt=rng.choice((10.0, 11.0, 12.0)),
                       column_gap_in=rng.uniform(0.15, 0.5), skew_deg=rng.uniform(-1.5, 1.5),
                       blur_radius=rng.uniform(0.4, 1.0), noise_sigma=rng.uniform(6.0, 14.0),
                       contrast=rng.uniform(0.7, 0.95))
        page = render_page(spec, seed=seed * 1000 + i)
        samples.append(OcrSample(scan_look(page.image, rng), page.text, f"scan2col-{spec.font}-{i}",
                                 layout=f"2 columns, gutter {spec.column_gap_in:.2f} in, skew {spec.skew_deg:+.1f}"))
    return OcrDataset("scans2col", samples)

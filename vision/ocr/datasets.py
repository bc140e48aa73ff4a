"""Evaluation datasets: rendered pages with exact ground truth, and labelled folders a client brings.

A labelled folder holds images (``.png``, ``.jpg``, ``.tif``...) each with a ``.txt`` of the same
stem giving the page text in reading order.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from PIL import Image

from core.errors import InvalidInput
from core.images import load_image
from vision.ocr.synth import DEFAULT_FONTS, PageSpec, WordTruth, render_page

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"})
# Evaluation pages are 12 pt at 300 dpi, full A4 width; 4 inches tall by default (a title and
# ~12 lines per column) because a full A4 page costs ~20-60 s of CPU here. ``height_in=11.69`` gives A4.
EVAL_PAGE = PageSpec(size_pt=12.0, dpi=300, height_in=4.0)


@dataclass
class OcrSample:
    """One page to read, with its true text (reading order) and, when known, its true word boxes/rotation."""

    image: Image.Image
    text: str
    name: str
    layout: str = "1 column"
    rotation: int = 0
    words: list[WordTruth] = field(default_factory=list)


@dataclass
class OcrDataset:
    """A named list of samples."""

    name: str
    samples: list[OcrSample]

    def __len__(self) -> int:
        return len(self.samples)


def rendered_pages(n: int = 8, base: PageSpec = EVAL_PAGE, seed: int = 0) -> OcrDataset:
    """Clean upright pages cycling 1/2/3 columns over four fonts (DejaVu, Liberation Sans/Serif, FreeSerif)."""
    samples = []
    for i in range(n):
        spec = replace(base, font=DEFAULT_FONTS[i % len(DEFAULT_FONTS)], columns=1 + i % 3)
        page = render_page(spec, seed=seed * 1000 + i)
        samples.append(OcrSample(page.image, page.text, f"{spec.font}-{spec.columns}col-{i}",
                                 layout=f"{spec.columns} column" + ("s" if spec.columns > 1 else ""),
                                 words=page.words))
    return OcrDataset("rendered", samples)


def rotated_pages(n: int = 3, base: PageSpec = EVAL_PAGE, seed: int = 1) -> OcrDataset:
    """Single-column pages turned 90, 180 and 270 degrees (in turn), four fonts."""
    samples = []
    for i in range(n):
        rotation = (90, 180, 270)[i % 3]
        spec = replace(base, font=DEFAULT_FONTS[i % len(DEFAULT_FONTS)], columns=1, rotation=rotation)
        page = render_page(spec, seed=seed * 1000 + i)
        samples.append(OcrSample(page.image, page.text, f"{spec.font}-rot{rotation}-{i}",
                                 layout=f"rotated {rotation}", rotation=rotation))
    return OcrDataset("rotated", samples)


def rendered_quick() -> OcrDataset:
    """Three rendered pages (one per column layout): the reduced set of ``ais bench --quick``."""
    return rendered_pages(3)


def rotated_quick() -> OcrDataset:
    """One page turned 90 degrees: the reduced set of ``ais bench --quick``."""
    return rotated_pages(1)


def degraded_pages(kind: str, n: int = 2, seed: int = 2) -> OcrDataset:
    """Pages with one degradation, to measure a preprocessing step: ``skew``, ``faded``, ``small``, ``noisy``."""
    # 200 dpi, 3 inches tall: each degradation is measured on its own, so smaller pages suffice
    page = replace(EVAL_PAGE, dpi=200, height_in=3.0)
    bases = {
        "skew": replace(page, skew_deg=2.5),
        "faded": replace(page, contrast=0.25, noise_sigma=4.0),
        "small": replace(page, size_pt=6.0, dpi=300),
        "noisy": replace(page, noise_sigma=25.0, blur_radius=1.5),
    }
    if kind not in bases:
        raise InvalidInput(f"unknown degradation {kind!r}; choose from {sorted(bases)}")
    samples = []
    for i in range(n):
        spec = replace(bases[kind], font=DEFAULT_FONTS[i % len(DEFAULT_FONTS)], columns=1 + i % 2)
        page = render_page(spec, seed=seed * 1000 + i)
        samples.append(OcrSample(page.image, page.text, f"{spec.font}-{kind}-{i}", layout=kind))
    return OcrDataset(kind, samples)


def labelled_folder(folder: str | Path) -> OcrDataset:
    """Images with same-stem ``.txt`` transcripts (a client's scans); images without one are skipped."""
    root = Path(folder)
    if not root.is_dir():
        raise InvalidInput(f"dataset folder {str(root)!r} does not exist")
    samples = []
    for path in sorted(root.iterdir()):
        truth = path.with_suffix(".txt")
        if path.suffix.lower() in IMAGE_SUFFIXES and truth.is_file():
            samples.append(OcrSample(load_image(path), truth.read_text(encoding="utf-8"), path.name, layout="folder"))
    if not samples:
        raise InvalidInput(f"no image with a same-stem .txt transcript found in {str(root)!r}")
    return OcrDataset(root.name, samples)

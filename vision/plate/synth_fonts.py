"""Fonts for generated plates: the installed plate-like faces, glyph checks, and random characters."""
from __future__ import annotations

import functools
import logging
import string
from pathlib import Path

import numpy as np
from PIL import ImageFont

log = logging.getLogger(__name__)

FONT_DIR = Path("/usr/share/fonts")
# Bold sans faces look most like plate lettering; condensed/mono widen the variety of glyph shapes.
# The tall condensed faces (Roboto Condensed, Bebas Neue, Dosis: Debian's fonts-roboto-unhinted,
# fonts-bebas-neue, fonts-dosis), Open DIN (fonts-opendin: DIN 1451, the ancestor of both) and
# Routed Gothic (fonts-routed-gothic: signage strokes, a bare-bar "1" as on old Brazilian plates) are
# the nearest installable relatives of the DIN-like "Mandatory" and FE-Schrift faces on Brazilian
# and European plates; fonts that are not installed are skipped.
PLATE_FONT_NAMES = (
    "DejaVuSans-Bold.ttf",
    "DejaVuSansCondensed-Bold.ttf",
    "DejaVuSansMono-Bold.ttf",
    "LiberationSans-Bold.ttf",
    "LiberationSansNarrow-Bold.ttf",
    "LiberationMono-Bold.ttf",
    "FreeSansBold.ttf",
    "FreeMonoBold.ttf",
    "DejaVuSansCondensed.ttf",
    "LiberationSans-Regular.ttf",
    "RobotoCondensed-Bold.ttf",
    "RobotoCondensed-Medium.ttf",
    "Roboto-Bold.ttf",
    "BebasNeue-Bold.otf",
    "BebasNeue-Regular.otf",
    "Dosis-Bold.otf",
    "B612-Bold.otf",
    "OSP-DIN.ttf",
    "routed-gothic-narrow.ttf",
    "routed-gothic.ttf",
)
LETTERS = string.ascii_uppercase
DIGITS = string.digits




# --------------------------------------------------------------------------------------------------
# fonts and random text
# --------------------------------------------------------------------------------------------------
@functools.cache
def font_paths() -> tuple[Path, ...]:
    """Installed plate-like fonts (``PLATE_FONT_NAMES``); falls back to any TTF/OTF found."""
    found: list[Path] = []
    if FONT_DIR.is_dir():
        by_name = {p.name: p for pattern in ("*.ttf", "*.otf") for p in sorted(FONT_DIR.rglob(pattern))}
        found = [by_name[name] for name in PLATE_FONT_NAMES if name in by_name]
        if not found:
            found = sorted(by_name.values())
    return tuple(found)


@functools.cache
def _font(path: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if not path:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(path, size)


def _pick_font(rng: np.random.Generator, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    paths = font_paths()
    return _font(str(paths[rng.integers(len(paths))]) if paths else "", max(6, int(size)))


@functools.cache
def _notdef(font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> bytes:
    return bytes(font.getmask("\U0010fffd"))


@functools.cache
def _has_glyph(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, char: str) -> bool:
    """Whether ``font`` draws ``char`` (a missing glyph draws the same box as an unassigned code point)."""
    return char.isspace() or bytes(font.getmask(char)) != _notdef(font)


def _printable(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> str:
    """``text`` with separators the font lacks (Open DIN has no middle dot) drawn as hyphens."""
    return "".join(c if c.isalnum() or _has_glyph(font, c) else "-" for c in text)


def _chars(rng: np.random.Generator, pool: str, n: int) -> str:
    return "".join(pool[i] for i in rng.integers(len(pool), size=n))


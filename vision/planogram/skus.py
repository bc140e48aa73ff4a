"""Synthetic SKU designs (brand, colours, shape, logo, font) and their packshot renderer.

The default catalogue and every generated shelf come from these designs. A client's own
catalogue does not use this module: it brings packshot images (see ``catalogue.py``).

>>> skus = synthetic_skus()
>>> len(skus), skus[0].sku
(24, 'SKU-001')
>>> render_packshot(skus[0], 80).size[1]
80
"""
from __future__ import annotations

import colorsys
import math
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

RGB = tuple[int, int, int]
KINDS = ("box", "bottle", "can", "pouch")
LOGOS = ("circle", "triangle", "square", "diamond", "star", "ring")
_FONT_DIRS = (Path("/usr/share/fonts/truetype"),)
# The families the shipped catalogue and detector were drawn with. Pinned: taking every installed TTF
# let an unrelated font package (Roboto, for the plate generator) change every SKU design and the
# held-out shelves behind the measured numbers.
_FONT_FAMILIES = ("dejavu", "freefont", "liberation2")
_BRANDS = ("NORDA", "CRISPO", "VITALE", "OKKO", "SUNRAY", "BRAVA", "MILKO", "ZESTA")
_FOREIGN_BRANDS = ("KAPPA", "LUMA", "TORRO", "WEXA", "QUIRO", "FENIX", "DUNA", "PIXO")
_VARIANTS = ("Classic", "Lemon", "Berry", "Light", "Extra", "Mint", "Cocoa", "Spicy", "Plus")


@dataclass(frozen=True)
class SkuDesign:
    """How one synthetic product looks: enough to render its packshot at any size."""

    sku: str
    brand: str
    name: str
    kind: str
    aspect: float  # width / height of the pack
    height: float  # relative to the tallest pack a shelf takes (0..1]
    body: RGB
    accent: RGB
    text: RGB
    logo: str
    logo_colour: RGB
    font: str
    band: str  # where the accent colour sits: top, middle, diagonal, split


@lru_cache(maxsize=1)
def available_fonts() -> tuple[str, ...]:
    """Bold/regular sans and serif TTFs of ``_FONT_FAMILIES`` on this machine (empty when none: PIL's
    default font is used)."""
    fonts: list[str] = []
    for folder in _FONT_DIRS:
        if folder.is_dir():
            fonts += [str(p) for p in sorted(folder.rglob("*.ttf"))
                      if p.parent.name in _FONT_FAMILIES
                      and "Mono" not in p.name and "Math" not in p.name and "ExtraLight" not in p.name]
    return tuple(fonts)


@lru_cache(maxsize=256)
def load_font(path: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    size = max(6, size)
    if path:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    return ImageFont.load_default(size)


def _hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return int(r * 255), int(g * 255), int(b * 255)


def _distance(a: RGB, b: RGB) -> float:
    return sum((x - y) ** 2 for x, y in zip(a, b)) ** 0.5


def _designs(brands: tuple[str, ...], per_brand: int, seed: int, prefix: str,
             avoid: list[tuple[RGB, RGB]] | None = None) -> list[SkuDesign]:
    rng = random.Random(seed)
    fonts = available_fonts() or ("",)
    taken: list[tuple[RGB, RGB]] = list(avoid or [])
    out: list[SkuDesign] = []
    for b_index, brand in enumerate(brands):
        kind = KINDS[b_index % len(KINDS)] if rng.random() < 0.7 else rng.choice(KINDS)
        font = rng.choice(fonts)
        logo = LOGOS[b_index % len(LOGOS)]
        brand_hue = rng.random()
        band = rng.choice(("top", "middle", "diagonal", "split"))
        for v_index in range(per_brand):
            # Variants of one brand share shape, font and logo but get their own colour pair,
            # far enough (RGB distance) from every other SKU so a colour descriptor can separate them.
            for _attempt in range(200):
                hue = brand_hue + rng.uniform(-0.22, 0.22) + v_index * 0.31
                body = _hsv(hue, rng.uniform(0.45, 1.0), rng.uniform(0.35, 0.98))
                accent = _hsv(hue + rng.uniform(0.25, 0.75), rng.uniform(0.2, 1.0), rng.uniform(0.3, 1.0))
                if all(_distance(body, b) + 0.5 * _distance(accent, a) > 110 for b, a in taken):
                    break
            taken.append((body, accent))
            lum = 0.299 * body[0] + 0.587 * body[1] + 0.114 * body[2]
            text = (20, 20, 20) if lum > 140 else (245, 245, 245)
            out.append(SkuDesign(
                sku=f"{prefix}-{len(out) + 1:03d}",
                brand=brand,
                name=f"{brand.title()} {_VARIANTS[(b_index * 3 + v_index) % len(_VARIANTS)]}",
                kind=kind,
                aspect={"box": rng.uniform(0.5, 0.8), "bottle": rng.uniform(0.3, 0.42),
                        "can": rng.uniform(0.45, 0.6), "pouch": rng.uniform(0.55, 0.8)}[kind],
                height={"box": rng.uniform(0.7, 1.0), "bottle": rng.uniform(0.85, 1.0),
                        "can": rng.uniform(0.5, 0.7), "pouch": rng.uniform(0.6, 0.85)}[kind],
                body=body,
                accent=accent,
                text=text,
                logo=logo,
                logo_colour=_hsv(hue + 0.5, 0.9, 0.9) if v_index % 2 else (250, 250, 250),
                font=font,
                band=band,
            ))
    return out


@lru_cache(maxsize=4)
def synthetic_skus(n_brands: int = 8, per_brand: int = 3, seed: int = 7) -> tuple[SkuDesign, ...]:
    """The default catalogue's SKU designs (deterministic)."""
    return tuple(_designs(_BRANDS[:n_brands], per_brand, seed, "SKU"))


@lru_cache(maxsize=8)
def foreign_skus(seed: int = 101, n_brands: int = 8, per_brand: int = 2) -> tuple[SkuDesign, ...]:
    """Products that are NOT in the catalogue (competitors, misplaced stock) for 'unknown' tests."""
    avoid = [(s.body, s.accent) for s in synthetic_skus()]
    designs = _designs(_FOREIGN_BRANDS[:n_brands], per_brand, seed, f"FOREIGN{seed}", avoid)
    return tuple(designs)


def _logo(draw: ImageDraw.ImageDraw, shape: str, cx: float, cy: float, r: float, colour: RGB) -> None:
    if r < 1.5:
        return
    if shape == "circle":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    elif shape == "ring":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=colour, width=max(1, int(r / 3)))
    elif shape == "square":
        draw.rectangle((cx - r * 0.8, cy - r * 0.8, cx + r * 0.8, cy + r * 0.8), fill=colour)
    elif shape == "triangle":
        draw.polygon([(cx, cy - r), (cx + r, cy + r * 0.8), (cx - r, cy + r * 0.8)], fill=colour)
    elif shape == "diamond":
        draw.polygon([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)], fill=colour)
    else:  # star
        pts = []
        for k in range(10):
            rad = r if k % 2 == 0 else r * 0.45
            ang = -math.pi / 2 + k * math.pi / 5
            pts.append((cx + rad * math.cos(ang), cy + rad * math.sin(ang)))
        draw.polygon(pts, fill=colour)


def _text(draw: ImageDraw.ImageDraw, text: str, font_path: str, box: tuple[float, float, float, float],
          colour: RGB) -> None:
    x1, y1, x2, y2 = box
    width, height = x2 - x1, y2 - y1
    if width < 4 or height < 4:
        return
    size = int(height)
    font = load_font(font_path, size)
    for _ in range(12):  # shrink until the text fits the box
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        if right - left <= width and bottom - top <= height:
            break
        size = max(6, int(size * 0.82))
        font = load_font(font_path, size)
        if size == 6:
            break
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text((x1 + (width - (right - left)) / 2 - left, y1 + (height - (bottom - top)) / 2 - top),
              text, font=font, fill=colour)


def _silhouette(kind: str, w: int, h: int) -> tuple[Image.Image, tuple[float, float, float, float]]:
    """Alpha mask of the pack shape and the label area (x1, y1, x2, y2) where artwork goes."""
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    if kind == "bottle":
        neck_w = w * 0.38
        draw.rectangle(((w - neck_w) / 2, 0, (w + neck_w) / 2, h * 0.3), fill=255)
        draw.polygon([((w - neck_w) / 2, h * 0.28), ((w + neck_w) / 2, h * 0.28), (w, h * 0.42), (0, h * 0.42)],
                     fill=255)
        draw.rounded_rectangle((0, h * 0.4, w - 1, h - 1), radius=max(1, int(w * 0.12)), fill=255)
        label = (0, h * 0.5, w, h * 0.88)
    elif kind == "can":
        draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=max(1, int(w * 0.15)), fill=255)
        label = (0, h * 0.1, w, h * 0.9)
    elif kind == "pouch":
        draw.polygon([(w * 0.08, 0), (w * 0.92, 0), (w - 1, h - 1), (0, h - 1)], fill=255)
        label = (w * 0.06, h * 0.12, w * 0.94, h)
    else:
        draw.rectangle((0, 0, w - 1, h - 1), fill=255)
        label = (0, 0, w, h)
    return mask, label


def render_packshot(design: SkuDesign, height: int, width: int | None = None) -> Image.Image:
    """Render the pack front as an RGBA image ``height`` pixels tall (transparent outside the pack)."""
    h = max(8, int(height))
    w = max(4, int(width if width is not None else round(h * design.aspect)))
    art = Image.new("RGB", (w, h), design.body)
    draw = ImageDraw.Draw(art)
    mask, (lx1, ly1, lx2, ly2) = _silhouette(design.kind, w, h)
    lw, lh = lx2 - lx1, ly2 - ly1
    if design.band == "top":
        draw.rectangle((lx1, ly1, lx2, ly1 + lh * 0.3), fill=design.accent)
    elif design.band == "middle":
        draw.rectangle((lx1, ly1 + lh * 0.38, lx2, ly1 + lh * 0.66), fill=design.accent)
    elif design.band == "diagonal":
        draw.polygon([(lx1, ly1 + lh * 0.55), (lx2, ly1 + lh * 0.3), (lx2, ly1 + lh * 0.55), (lx1, ly1 + lh * 0.8)],
                     fill=design.accent)
    else:  # split: lower half in the accent colour
        draw.rectangle((lx1, ly1 + lh * 0.55, lx2, ly2), fill=design.accent)
    if design.kind == "bottle":
        draw.rectangle((w * 0.31, 0, w * 0.69, h * 0.07), fill=design.accent)  # cap
    if design.kind == "can":
        draw.rectangle((0, 0, w, h * 0.06), fill=(190, 190, 195))
        draw.rectangle((0, h * 0.94, w, h), fill=(170, 170, 175))
    if design.kind == "pouch":
        draw.rectangle((0, 0, w, h * 0.07), fill=tuple(max(0, c - 40) for c in design.body))
    _logo(draw, design.logo, lx1 + lw * 0.5, ly1 + lh * 0.2, min(lw, lh) * 0.16, design.logo_colour)
    _text(draw, design.brand, design.font, (lx1 + lw * 0.06, ly1 + lh * 0.4, lx2 - lw * 0.06, ly1 + lh * 0.62),
          design.text)
    variant = design.name.split(" ", 1)[-1]
    _text(draw, variant, design.font, (lx1 + lw * 0.15, ly1 + lh * 0.72, lx2 - lw * 0.15, ly1 + lh * 0.86),
          design.text)
    if design.kind == "box":  # a darker side edge makes boxes read as 3-D packs
        draw.rectangle((w * 0.9, 0, w, h), fill=tuple(int(c * 0.7) for c in design.body))
    out = art.convert("RGBA")
    out.putalpha(mask)
    return out

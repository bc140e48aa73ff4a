"""Synthetic licence-plate data: rendered plates of several countries composed onto car-like scenes.

Used to train the detector, to build held-out evaluation sets, and to give tests tiny valid inputs.
Everything is drawn locally (system TrueType fonts, numpy/PIL/OpenCV, photos that scikit-image
ships), so generation works offline and is reproducible from a seed.

>>> scene = render_scene(seed=3, size=(320, 240))
>>> scene.image.size, len(scene.plates) >= 1
((320, 240), True)
"""
from __future__ import annotations

import functools
import logging
import math
import string
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

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
ID_REGIONS = ("B", "D", "F", "AB", "AD", "AG", "BK", "DK", "E", "H", "L", "N", "R", "T", "W", "Z", "KT", "DA")
BR_CITIES = ("SP-SAO PAULO", "RJ-RIO DE JANEIRO", "BA-SALVADOR", "DF-BRASILIA", "MG-BELO HORIZONTE",
             "PR-CURITIBA", "ES-CARIACICA", "RS-PORTO ALEGRE")
US_STATES = ("CALIFORNIA", "TEXAS", "OHIO", "NEW YORK", "FLORIDA", "NEVADA", "OREGON", "ARIZONA")
EU_COUNTRIES = ("F", "I", "E", "P", "B", "NL")


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


# --------------------------------------------------------------------------------------------------
# plate styles
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlateStyle:
    """How one kind of plate looks and which texts it carries."""

    name: str
    country: str
    size: tuple[int, int]  # rendered width, height in pixels (sets the aspect ratio)
    make_text: Callable[[np.random.Generator], tuple[str, str]]  # -> (printed text, label text)


def _text_id(rng: np.random.Generator) -> tuple[str, str]:
    region = ID_REGIONS[rng.integers(len(ID_REGIONS))]
    number = _chars(rng, DIGITS[1:], 1) + _chars(rng, DIGITS, int(rng.integers(0, 4)))
    suffix = _chars(rng, LETTERS, int(rng.integers(1, 4)))
    return f"{region} {number} {suffix}", f"{region}{number}{suffix}"


def _text_eu(rng: np.random.Generator) -> tuple[str, str]:
    a, n, b = _chars(rng, LETTERS, 2), _chars(rng, DIGITS, 3), _chars(rng, LETTERS, 2)
    return f"{a}-{n}-{b}", f"{a}{n}{b}"


def _text_us(rng: np.random.Generator) -> tuple[str, str]:
    if rng.random() < 0.5:  # California style 7ABC123
        text = _chars(rng, DIGITS[1:], 1) + _chars(rng, LETTERS, 3) + _chars(rng, DIGITS, 3)
        return text, text
    a, n = _chars(rng, LETTERS, 3), _chars(rng, DIGITS, 4)
    return f"{a} {n}", a + n


def _text_mercosur(rng: np.random.Generator) -> tuple[str, str]:
    text = _chars(rng, LETTERS, 3) + _chars(rng, DIGITS, 1) + _chars(rng, LETTERS, 1) + _chars(rng, DIGITS, 2)
    return text, text


def _text_br_old(rng: np.random.Generator) -> tuple[str, str]:
    a, n = _chars(rng, LETTERS, 3), _chars(rng, DIGITS, 4)
    sep = "-" if rng.random() < 0.5 else "·"
    return f"{a}{sep}{n}", a + n


STYLES: dict[str, PlateStyle] = {
    "id": PlateStyle("id", "ID", (430, 140), _text_id),
    "eu": PlateStyle("eu", "EU", (520, 112), _text_eu),
    "us": PlateStyle("us", "US", (360, 180), _text_us),
    "br_mercosur": PlateStyle("br_mercosur", "BR", (400, 130), _text_mercosur),
    "br_old": PlateStyle("br_old", "BR", (400, 130), _text_br_old),
}
# Old grey Brazilian plates are what our real evaluation photos show; weight them a little higher.
STYLE_WEIGHTS: dict[str, float] = {"id": 0.2, "eu": 0.15, "us": 0.15, "br_mercosur": 0.2, "br_old": 0.3}
# Share of plates whose letters O and Q are rounded rectangles (``_square_o_and_q``), as old
# Brazilian plates print them; the FE-Schrift-like faces of Mercosur and EU plates draw narrower ones.
SQUARE_O: dict[str, float] = {"br_old": 0.6, "br_mercosur": 0.35}
SQUARE_O_OTHER = 0.15


@dataclass
class RenderedPlate:
    """A plate drawn face-on: RGB pixels, its label text and style, and its characters' height in pixels."""

    image: Image.Image
    text: str
    style: str
    country: str
    char_height: float


def _fit_text(draw: ImageDraw.ImageDraw, text: str, font_path_rng: np.random.Generator, box_w: float,
              box_h: float) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, tuple[int, int, int, int]]:
    """Largest font (of one randomly chosen face) whose rendering of ``text`` fits the box."""
    size = int(box_h)
    font = _pick_font(font_path_rng, size)
    for _ in range(12):
        bbox = draw.textbbox((0, 0), text, font=font)
        w, h = bbox[2] - bbox[0], bbox[3] - bbox[1]
        if w <= box_w and h <= box_h:
            return font, bbox
        size = int(size * min(box_w / max(w, 1), box_h / max(h, 1), 0.95))
        font = font.font_variant(size=max(6, size)) if hasattr(font, "font_variant") else font
    return font, draw.textbbox((0, 0), text, font=font)


def _centre_text(draw: ImageDraw.ImageDraw, text: str, rng: np.random.Generator, box: tuple[float, float, float, float],
                 fill: tuple[int, int, int]) -> None:
    x1, y1, x2, y2 = box
    font, bbox = _fit_text(draw, text, rng, x2 - x1, y2 - y1)
    w, h = bbox[2] - bbox[0], bbox[3] - bbox[1]
    draw.text((x1 + (x2 - x1 - w) / 2 - bbox[0], y1 + (y2 - y1 - h) / 2 - bbox[1]), text, font=font, fill=fill)


def _fill_text(img: Image.Image, text: str, rng: np.random.Generator, box: tuple[float, float, float, float],
               fill: tuple[int, int, int], square_o: float = 0.0) -> float:
    """Draw the registration across its box the way plates print it: glyphs scaled to the box's height
    and, in most plates, stretched or squeezed to span its width (plate faces are condensed or wide,
    not the proportions of a text font), within a factor the eye still reads as the same glyph.
    With probability ``square_o`` the letters O and Q are drawn as plate faces draw them (``_square_o_and_q``).
    Returns the height the registration was drawn at (its characters' height) in pixels."""
    x1, y1, x2, y2 = box
    box_w, box_h = x2 - x1, y2 - y1
    font = _pick_font(rng, max(12, int(box_h * 1.5)))
    text = _printable(text, font)
    bbox = font.getbbox(text)
    w, h = max(1, bbox[2] - bbox[0]), max(1, bbox[3] - bbox[1])
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).text((-bbox[0], -bbox[1]), text, font=font, fill=255)
    if "O" in text or "Q" in text:
        _square_o_and_q(mask, text, font, bbox, square_o)
    height = box_h * rng.uniform(0.82, 1.0)
    natural = w * height / h
    target = box_w * rng.uniform(0.86, 1.0) if rng.random() < 0.7 else natural
    width = float(np.clip(target, natural * 0.6, natural * 1.8))
    if width > box_w:  # never wider than the box: shrink both ways
        height, width = height * box_w / width, box_w
    mask = mask.resize((max(1, round(width)), max(1, round(height))), Image.Resampling.LANCZOS)
    at = (round(x1 + (box_w - mask.width) / 2), round(y1 + (box_h - mask.height) / 2))
    img.paste(Image.new("RGB", mask.size, fill), at, mask)
    return float(mask.height)


def _square_o_and_q(mask: Image.Image, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
                     bbox: tuple[int, int, int, int], probability: float) -> None:
    """Redraw the letters O and Q of ``text`` (rendered in ``mask`` at offset ``-bbox[:2]``) as rounded
    rectangles (Q with its short diagonal tail), the way the DIN-like plate faces ("Mandatory" on old
    Brazilian plates) draw them: no installed font does, a reader that never saw one reads the O as
    ``D``, and one that saw only the square O reads the square Q as ``O``.

    The draws come from a generator seeded by the text and font, not from the scene's generator, so
    plates without an O or Q are pixel-identical to those drawn before this existed (held-out sets
    stay comparable)."""
    if probability <= 0.0 or not hasattr(font, "getlength"):
        return
    rng = np.random.default_rng(zlib.crc32(f"{text}|{getattr(font, 'path', '')}|{font.size}".encode()))
    if rng.random() >= probability:
        return
    draw = ImageDraw.Draw(mask)

    def ink(char: str, x: float) -> tuple[Image.Image, tuple[int, int, int, int] | None]:
        probe = Image.new("L", mask.size, 0)
        ImageDraw.Draw(probe).text((x - bbox[0], -bbox[1]), char, font=font, fill=255)
        return probe, probe.getbbox()

    for i, char in enumerate(text):
        if char not in "OQ":
            continue
        x = font.getlength(text[:i])
        probe, glyph = ink("O", x)  # a Q's body is the O's; its own box includes the tail
        if glyph is None:
            continue
        # The font's own stroke: the first ink run across the glyph's middle row.
        row = np.asarray(probe)[(glyph[1] + glyph[3]) // 2, glyph[0]:glyph[2]] > 127
        start = int(np.argmax(row))
        run = int(np.argmin(row[start:])) if not row[start:].all() else len(row) // 4
        stroke = max(1, round(run * rng.uniform(0.9, 1.15)))
        drawn = ink(char, x)[1] if char == "Q" else glyph
        if drawn is not None:
            draw.rectangle((drawn[0], drawn[1], drawn[2] - 1, drawn[3] - 1), fill=0)
        inset = (glyph[2] - glyph[0]) * rng.uniform(0.0, 0.08)
        shape = (glyph[0] + inset, glyph[1], glyph[2] - 1 - inset, glyph[3] - 1)
        radius = min(shape[2] - shape[0], shape[3] - shape[1]) * rng.uniform(0.2, 0.5)
        draw.rounded_rectangle(shape, radius=radius, outline=255, width=stroke)
        if char == "Q":  # a short tail across the lower right corner
            w, h = shape[2] - shape[0], shape[3] - shape[1]
            draw.line((shape[0] + w * rng.uniform(0.5, 0.62), shape[1] + h * rng.uniform(0.68, 0.78),
                       shape[2] + w * rng.uniform(0.0, 0.08), shape[3] + h * rng.uniform(0.0, 0.06)),
                      fill=255, width=stroke)


def render_plate(rng: np.random.Generator, style_name: str | None = None) -> RenderedPlate:
    """Draw one plate face-on with a random text of the chosen (or a random) style."""
    if style_name is None:
        names = list(STYLE_WEIGHTS)
        probs = np.array([STYLE_WEIGHTS[n] for n in names])
        style_name = names[rng.choice(len(names), p=probs / probs.sum())]
    style = STYLES[style_name]
    printed, label = style.make_text(rng)
    w, h = style.size
    jitter = lambda base, amount=18: tuple(int(np.clip(c + rng.integers(-amount, amount + 1), 0, 255)) for c in base)
    if style_name == "id":
        bg, fg = jitter((18, 18, 20), 14), jitter((235, 235, 235), 20)
    elif style_name == "br_old":
        grey = int(rng.integers(150, 215))
        bg, fg = jitter((grey, grey, grey - 4), 10), jitter((35, 35, 40), 20)
    else:
        bg, fg = jitter((238, 238, 235), 15), jitter((20, 20, 25), 15)
    img = Image.new("RGB", (w, h), bg)
    draw = ImageDraw.Draw(img)
    border = max(3, h // 26)
    draw.rounded_rectangle((1, 1, w - 2, h - 2), radius=h // 10, outline=fg, width=border)
    pad = border * 3
    text_box = (pad, pad, w - pad, h - pad)
    if style_name == "id":
        _centre_text(draw, f"{rng.integers(1, 13):02d}.{rng.integers(24, 31)}", rng,
                     (w * 0.35, h * 0.76, w * 0.65, h - border * 2), fg)
        text_box = (pad, pad, w - pad, h * 0.76)
    elif style_name == "eu":
        blue = jitter((20, 50, 160), 15)
        draw.rectangle((border, border, int(w * 0.09), h - border), fill=blue)
        _centre_text(draw, EU_COUNTRIES[rng.integers(len(EU_COUNTRIES))], rng,
                     (border * 2, h * 0.55, w * 0.09 - border, h - border * 2), (240, 240, 240))
        text_box = (w * 0.1 + border, pad, w - pad, h - pad)
    elif style_name == "us":
        colour = jitter((150, 30, 40), 60)
        _centre_text(draw, US_STATES[rng.integers(len(US_STATES))], rng, (w * 0.2, border * 2, w * 0.8, h * 0.24), colour)
        text_box = (pad, h * 0.27, w - pad, h * 0.86)
    elif style_name == "br_mercosur":
        blue = jitter((25, 60, 150), 15)
        draw.rectangle((border, border, w - border, int(h * 0.24)), fill=blue)
        _centre_text(draw, "BRASIL", rng, (w * 0.35, border * 2, w * 0.65, h * 0.22), (240, 240, 240))
        text_box = (pad, h * 0.28, w - pad, h - pad)
    elif style_name == "br_old":
        draw.rectangle((w * 0.2, border * 2, w * 0.8, h * 0.24), fill=jitter(bg, 12))
        _centre_text(draw, BR_CITIES[rng.integers(len(BR_CITIES))], rng, (w * 0.22, border * 2, w * 0.78, h * 0.23), fg)
        text_box = (pad, h * 0.28, w - pad, h - pad)
    # Real plates fill their text box almost fully: shrink the box a little at random for variety.
    shrink = rng.uniform(0.0, 0.08)
    x1, y1, x2, y2 = text_box
    text_box = (x1 + (x2 - x1) * shrink / 2, y1 + (y2 - y1) * shrink / 2, x2 - (x2 - x1) * shrink / 2, y2)
    char_height = _fill_text(img, printed, rng, text_box, fg, SQUARE_O.get(style_name, SQUARE_O_OTHER))
    if rng.random() < 0.4:  # bolts
        for bx in (w * 0.25, w * 0.75):
            r = max(2, h // 28)
            draw.ellipse((bx - r, border * 2.2 - r, bx + r, border * 2.2 + r), fill=jitter(bg, 60))
    return RenderedPlate(img, label, style_name, style.country, char_height)


# --------------------------------------------------------------------------------------------------
# scenes
# --------------------------------------------------------------------------------------------------
@dataclass
class PlateLabel:
    """Ground truth of one plate in a scene: pixel xyxy box, text, style, and how tall its registration's
    characters are in the scene, in pixels (the plate's scale; perspective changes it by ~10 % across it)."""

    box: tuple[float, float, float, float]
    text: str
    style: str
    country: str
    char_height: float


@dataclass
class Scene:
    """A generated photo with its plates."""

    image: Image.Image
    plates: list[PlateLabel] = field(default_factory=list)


@functools.cache
def _photo_backgrounds() -> tuple[np.ndarray, ...]:
    """Photos scikit-image ships inside its wheel (no download); empty when it is not installed."""
    try:
        from skimage import data
    except ImportError:
        return ()
    photos = []
    for name in ("chelsea", "coffee", "astronaut", "rocket", "immunohistochemistry", "camera", "brick",
                 "grass", "gravel", "hubble_deep_field", "coins", "moon"):
        try:
            arr = np.asarray(getattr(data, name)())
        except Exception as exc:  # noqa: BLE001 - a missing data file only shrinks the variety
            log.debug("skimage photo %s unavailable: %s", name, exc)
            continue
        if arr.ndim == 2:
            arr = np.stack([arr] * 3, axis=-1)
        photos.append(np.ascontiguousarray(arr[..., :3]).astype(np.uint8))
    return tuple(photos)


def _background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    import cv2

    kind = rng.random()
    photos = _photo_backgrounds()
    if kind < 0.35 and photos:
        photo = photos[rng.integers(len(photos))]
        ph, pw = photo.shape[:2]
        scale = max(w / pw, h / ph) * rng.uniform(1.0, 1.8)
        big = cv2.resize(photo, (int(pw * scale) + 1, int(ph * scale) + 1))
        y0, x0 = rng.integers(0, big.shape[0] - h + 1), rng.integers(0, big.shape[1] - w + 1)
        out = big[y0:y0 + h, x0:x0 + w]
        return np.ascontiguousarray(out[:, ::-1] if rng.random() < 0.5 else out)
    # Street-like: sky/building band above, asphalt below, both textured.
    top = np.array(rng.integers(60, 230, size=3), dtype=np.float32)
    ground = np.full(3, rng.integers(50, 150), dtype=np.float32)
    horizon = int(h * rng.uniform(0.2, 0.6))
    img = np.empty((h, w, 3), np.float32)
    img[:horizon] = top
    img[horizon:] = ground
    grad = np.linspace(rng.uniform(-40, 0), rng.uniform(0, 40), h, dtype=np.float32)[:, None, None]
    img += grad
    noise = rng.normal(0, rng.uniform(4, 20), size=(h // 4 + 1, w // 4 + 1, 1)).astype(np.float32)
    img += cv2.resize(noise, (w, h))[..., None] if noise.ndim == 3 else 0
    for _ in range(int(rng.integers(0, 8))):  # buildings, poles, signs
        x1, y1 = int(rng.integers(0, w)), int(rng.integers(0, horizon + 1))
        x2, y2 = x1 + int(rng.integers(5, w // 3 + 6)), y1 + int(rng.integers(5, h // 2 + 6))
        cv2.rectangle(img, (x1, y1), (x2, y2), tuple(float(c) for c in rng.integers(0, 255, size=3)), -1)
    return np.clip(img, 0, 255).astype(np.uint8)


def _draw_car(img: np.ndarray, rng: np.random.Generator, cx: float, cy: float, width: float) -> tuple[float, float]:
    """A car seen from behind or in front: rounded body, window, lights, bumper. Returns plate anchor."""
    import cv2

    h_img, w_img = img.shape[:2]
    height = width * rng.uniform(0.55, 0.9)
    x1, x2 = int(cx - width / 2), int(cx + width / 2)
    y1, y2 = int(cy - height / 2), int(cy + height / 2)
    colour = tuple(float(c) for c in (rng.integers(0, 255, size=3) if rng.random() < 0.5
                                      else np.full(3, rng.choice([20, 40, 180, 200, 225, 240]))))
    radius = int(width * rng.uniform(0.05, 0.15))
    cv2.rectangle(img, (x1 + radius, y1), (x2 - radius, y2), colour, -1)
    cv2.rectangle(img, (x1, y1 + radius), (x2, y2 - radius), colour, -1)
    for px, py in ((x1 + radius, y1 + radius), (x2 - radius, y1 + radius), (x1 + radius, y2 - radius),
                   (x2 - radius, y2 - radius)):
        cv2.circle(img, (px, py), radius, colour, -1)
    # Body shading: a vertical gradient makes it look less like a flat sticker.
    shade = np.linspace(rng.uniform(-50, 10), rng.uniform(-10, 50), max(1, y2 - y1))[:, None, None]
    ys, ye, xs, xe = max(0, y1), min(h_img, y2), max(0, x1), min(w_img, x2)
    if ye > ys and xe > xs:
        region = img[ys:ye, xs:xe].astype(np.float32)
        mask = region.sum(-1, keepdims=True) > 0
        region = np.where(mask, region + shade[ys - y1:ye - y1], region)
        img[ys:ye, xs:xe] = np.clip(region, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        _reflections(img, rng, (x1, y1, x2, y2))
    window_bottom = y1 + height * rng.uniform(0.3, 0.45)
    dark = tuple(float(c) for c in rng.integers(10, 70, size=3))
    cv2.rectangle(img, (int(x1 + width * 0.12), int(y1 + height * 0.06)), (int(x2 - width * 0.12), int(window_bottom)), dark, -1)
    light_y = int(window_bottom + height * rng.uniform(0.05, 0.15))
    red = (float(rng.integers(150, 255)), float(rng.integers(0, 60)), float(rng.integers(0, 60)))
    lw, lh = int(width * rng.uniform(0.1, 0.18)), int(height * rng.uniform(0.08, 0.15))
    cv2.rectangle(img, (x1 + 2, light_y), (x1 + 2 + lw, light_y + lh), red, -1)
    cv2.rectangle(img, (x2 - 2 - lw, light_y), (x2 - 2, light_y + lh), red, -1)
    if rng.random() < 0.5:  # brand badge / chrome strip, like the real photos
        cv2.rectangle(img, (int(cx - width * 0.2), light_y), (int(cx + width * 0.2), light_y + max(2, lh // 4)),
                      (200.0, 200.0, 205.0), -1)
    bumper_y = int(y1 + height * rng.uniform(0.78, 0.88))
    cv2.rectangle(img, (x1, bumper_y), (x2, y2), tuple(max(0.0, c - 40) for c in colour), -1)
    plate_cy = (light_y + lh + bumper_y) / 2 + height * rng.uniform(-0.03, 0.08)
    return cx + width * rng.uniform(-0.12, 0.12), plate_cy


def _reflections(img: np.ndarray, rng: np.random.Generator, body: tuple[int, int, int, int]) -> None:
    """Soft bright streaks across a car body: painted metal mirrors the lights of a street or a garage."""
    import cv2

    h_img, w_img = img.shape[:2]
    x1, y1, x2, y2 = max(0, body[0]), max(0, body[1]), min(w_img, body[2]), min(h_img, body[3])
    if x2 - x1 < 8 or y2 - y1 < 8:
        return
    glow = np.zeros((y2 - y1, x2 - x1), np.float32)
    for _ in range(int(rng.integers(1, 4))):
        centre = (int(rng.integers(0, x2 - x1)), int(rng.integers(0, y2 - y1)))
        axes = (int((x2 - x1) * rng.uniform(0.1, 0.5)), max(1, int((y2 - y1) * rng.uniform(0.02, 0.12))))
        cv2.ellipse(glow, centre, axes, float(rng.uniform(-20, 20)), 0, 360, float(rng.uniform(40, 140)), -1)
    glow = cv2.GaussianBlur(glow, (0, 0), max(1.0, (y2 - y1) * 0.03))
    region = img[y1:y2, x1:x2].astype(np.float32) + glow[..., None]
    img[y1:y2, x1:x2] = np.clip(region, 0, 255).astype(np.uint8)


def _recess(img: np.ndarray, rng: np.random.Generator, x: int, y: int, w: int, h: int) -> None:
    """The moulded housing a plate is screwed into: a darker (or lighter) panel a little larger than it."""
    import cv2

    grow_x, grow_y = w * rng.uniform(0.06, 0.3), h * rng.uniform(0.15, 0.6)
    x1, y1 = int(x - grow_x), int(y - grow_y * rng.uniform(0.3, 0.7))
    x2, y2 = int(x + w + grow_x), int(y + h + grow_y * rng.uniform(0.3, 0.7))
    h_img, w_img = img.shape[:2]
    xs, ys, xe, ye = max(0, x1), max(0, y1), min(w_img, x2), min(h_img, y2)
    if xe <= xs or ye <= ys:
        return
    region = img[ys:ye, xs:xe].astype(np.float32)
    shift = rng.uniform(-70, -15) if rng.random() < 0.75 else rng.uniform(15, 50)
    panel = region + shift
    # A shadow along the upper edge, where the bumper overhangs the housing.
    panel[: max(1, (ye - ys) // 6)] -= 25
    edge = np.full(region.shape[:2], 255, np.uint8)
    mask = cv2.GaussianBlur(edge, (0, 0), max(0.6, h * 0.04)).astype(np.float32)[..., None] / 255.0
    img[ys:ye, xs:xe] = np.clip(panel * mask + region * (1 - mask), 0, 255).astype(np.uint8)


def _warp_plate(rng: np.random.Generator, plate: Image.Image, target_w: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scale, rotate and perspective-warp a plate; return pixels, mask, and corner points (4x2)."""
    import cv2

    src = np.asarray(plate)
    ph, pw = src.shape[:2]
    scale = target_w / pw
    w, h = pw * scale, ph * scale
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    angle = math.radians(rng.normal(0, 4))
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]], np.float32)
    corners = (corners - corners.mean(0)) @ rot.T
    # Perspective: pull one side in (the car is seen at an angle) plus per-corner jitter.
    skew = rng.uniform(-0.12, 0.12) * h
    corners[[1, 2], 1] += np.array([skew, -skew], np.float32) * (rng.random() < 0.6)
    corners += rng.normal(0, 0.03, size=(4, 2)).astype(np.float32) * np.array([w, h], np.float32)
    corners -= corners.min(0)
    out_w, out_h = math.ceil(corners[:, 0].max()) + 1, math.ceil(corners[:, 1].max()) + 1
    matrix = cv2.getPerspectiveTransform(np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32), corners)
    warped = cv2.warpPerspective(src, matrix, (out_w, out_h), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), matrix, (out_w, out_h))
    return warped, mask, corners


def _paste(img: np.ndarray, patch: np.ndarray, mask: np.ndarray, x: int, y: int) -> tuple[int, int, int, int] | None:
    h_img, w_img = img.shape[:2]
    ph, pw = patch.shape[:2]
    x1, y1, x2, y2 = max(0, x), max(0, y), min(w_img, x + pw), min(h_img, y + ph)
    if x2 <= x1 or y2 <= y1:
        return None
    sub = patch[y1 - y:y2 - y, x1 - x:x2 - x].astype(np.float32)
    alpha = (mask[y1 - y:y2 - y, x1 - x:x2 - x].astype(np.float32) / 255.0)[..., None]
    img[y1:y2, x1:x2] = (sub * alpha + img[y1:y2, x1:x2] * (1 - alpha)).astype(np.uint8)
    return x1, y1, x2, y2


def _photometric(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blur, motion blur, glare, night tint, noise: what real cameras do to plates."""
    import cv2

    out = img.astype(np.float32)
    h, w = out.shape[:2]
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 1.1))
    if rng.random() < 0.25:
        k = int(rng.integers(3, 6))
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2, :] = 1.0 / k
        rot = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
        kernel = cv2.warpAffine(kernel, rot, (k, k))
        out = cv2.filter2D(out, -1, kernel / max(kernel.sum(), 1e-6))
    if rng.random() < 0.2:  # glare: a bright soft blob
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.1, 0.4) * max(w, h)
        out += rng.uniform(40, 110) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))[..., None]
    if rng.random() < 0.15:  # night: darker, bluish
        out = out * rng.uniform(0.45, 0.7) * np.array([0.85, 0.9, 1.1], np.float32)
    out = out * rng.uniform(0.75, 1.2) + rng.uniform(-25, 25)
    out += rng.normal(0, rng.uniform(0, 8), size=out.shape).astype(np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def render_scene(seed: int | None = None, size: tuple[int, int] | None = None, *, max_plates: int = 2,
                 rng: np.random.Generator | None = None) -> Scene:
    """One photo-like image with 0..max_plates plates (1 in most scenes) and their boxes and texts."""
    import cv2

    rng = rng if rng is not None else np.random.default_rng(seed)
    if size is None:
        aspect = (4 / 3, 16 / 9, 1.0, 3 / 4)[rng.integers(4)]
        w = int(rng.choice([480, 560, 640]))
        size = (w, int(w / aspect))
    w, h = size
    img = _background(rng, w, h)
    labels: list[PlateLabel] = []
    n_plates = 1 if max_plates <= 1 or rng.random() < 0.8 else int(rng.integers(2, max_plates + 1))
    if max_plates == 0 or rng.random() < 0.04:
        n_plates = 0  # a few scenes without plates teach the detector what is not a plate
    slots = np.linspace(0, w, n_plates + 1)
    occupied: list[tuple[int, int, int, int]] = []
    anchors: list[tuple[float, float, float, bool]] = []
    # Cars first, plates after: a later car must never cover an earlier plate.
    for index in range(n_plates):
        # Plate width as a fraction of the image width: log-uniform 4%..45%, half the scenes at 10-35%.
        frac = float(np.exp(rng.uniform(np.log(0.04), np.log(0.45)))) if n_plates == 1 else rng.uniform(0.05, 0.2)
        if n_plates == 1 and rng.random() < 0.5:
            frac = rng.uniform(0.1, 0.35)
        plate_w = max(14.0, frac * w)
        lo, hi = slots[index], slots[index + 1]
        cx = rng.uniform(lo + (hi - lo) * 0.3, hi - (hi - lo) * 0.3)
        cy = rng.uniform(h * 0.3, h * 0.85)
        on_car = rng.random() < 0.85
        if on_car:
            cx, cy = _draw_car(img, rng, cx, cy, plate_w * rng.uniform(2.8, 5.5))
        anchors.append((cx, cy, plate_w, on_car))
    for cx, cy, plate_w, on_car in anchors:
        plate = render_plate(rng)
        patch, mask, corners = _warp_plate(rng, plate.image, plate_w)
        x0, y0 = int(cx - patch.shape[1] / 2), int(cy - patch.shape[0] / 2)
        x0 = int(np.clip(x0, 0, max(0, w - patch.shape[1])))
        y0 = int(np.clip(y0, 0, max(0, h - patch.shape[0])))
        box = (x0 + float(corners[:, 0].min()), y0 + float(corners[:, 1].min()),
               x0 + float(corners[:, 0].max()), y0 + float(corners[:, 1].max()))
        if any(_overlaps(box, other) for other in occupied):
            continue
        if on_car and rng.random() < 0.6:
            _recess(img, rng, int(box[0]), int(box[1]), int(box[2] - box[0]), int(box[3] - box[1]))
        if _paste(img, patch, mask, x0, y0) is None:
            continue
        box = (max(0.0, box[0]), max(0.0, box[1]), min(float(w), box[2]), min(float(h), box[3]))
        occupied.append(tuple(int(v) for v in box))  # type: ignore[arg-type]
        char_height = plate.char_height * plate_w / plate.image.width  # _warp_plate's scale
        labels.append(PlateLabel(box, plate.text, plate.style, plate.country, char_height))
        if rng.random() < 0.08:  # partial occlusion of a plate edge (a tow hook, a leaf, a hand)
            bw = (box[2] - box[0]) * rng.uniform(0.04, 0.1)
            side = box[0] if rng.random() < 0.5 else box[2] - bw
            colour = tuple(float(c) for c in rng.integers(0, 255, size=3))
            cv2.rectangle(img, (int(side), int(box[1] - 2)), (int(side + bw), int(box[3] + 2)), colour, -1)
    if rng.random() < 0.25:  # distractor text that is not a plate (shop signs)
        draw_img = Image.fromarray(img)
        draw = ImageDraw.Draw(draw_img)
        word = _chars(rng, LETTERS, int(rng.integers(3, 9)))
        x, y = int(rng.integers(0, w // 2 + 1)), int(rng.integers(0, h // 3 + 1))
        draw.text((x, y), word, font=_pick_font(rng, int(rng.integers(10, 40))),
                  fill=tuple(int(c) for c in rng.integers(0, 255, size=3)))
        img = np.asarray(draw_img).copy()
    img = _photometric(img, rng)
    out = Image.fromarray(img)
    if rng.random() < 0.5:  # JPEG artefacts, as in uploaded photos
        import io

        buf = io.BytesIO()
        out.save(buf, "JPEG", quality=int(rng.integers(35, 95)))
        out = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return Scene(out, labels)


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return not (a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1])


def scenes(n: int, seed: int = 0) -> list[Scene]:
    """``n`` reproducible scenes; different seeds give disjoint streams (train vs held-out)."""
    rng = np.random.default_rng(seed)
    return [render_scene(rng=rng) for _ in range(n)]


def write_yolo_dataset(root: Path, n_train: int, n_val: int, seed: int = 0,
                       progress: Callable[[int], None] | None = None) -> Path:
    """Write ``images/{train,val}`` + ``labels/{train,val}`` and a ``data.yaml``; return the yaml path."""
    import yaml

    root.mkdir(parents=True, exist_ok=True)
    for split, count, split_seed in (("train", n_train, seed), ("val", n_val, seed + 10_000)):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(split_seed)
        for index in range(count):
            scene = render_scene(rng=rng)
            stem = f"{split}_{index:05d}"
            scene.image.save(root / "images" / split / f"{stem}.jpg", quality=92)
            w, h = scene.image.size
            lines = [f"0 {(b[0] + b[2]) / 2 / w:.6f} {(b[1] + b[3]) / 2 / h:.6f} {(b[2] - b[0]) / w:.6f} "
                     f"{(b[3] - b[1]) / h:.6f}" for b in (p.box for p in scene.plates)]
            (root / "labels" / split / f"{stem}.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
            if progress is not None:
                progress(1)
    data_yaml = root / "data.yaml"
    data_yaml.write_text(yaml.safe_dump({"path": str(root), "train": "images/train", "val": "images/val",
                                         "names": {0: "plate"}}))
    return data_yaml


# --------------------------------------------------------------------------------------------------
# inputs for the registry's contract test and benchmarks
# --------------------------------------------------------------------------------------------------
def sample_inputs(n: int) -> list[Image.Image]:
    """``n`` small generated car photos, each with a plate (valid ``predict`` inputs)."""
    rng = np.random.default_rng(1234)
    return [render_scene(rng=rng, size=(480, 360), max_plates=1).image for _ in range(n)]


def bad_input() -> bytes:
    """Bytes that are not an image: ``predict`` must reject them with InvalidInput."""
    return b"this is not an image"



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

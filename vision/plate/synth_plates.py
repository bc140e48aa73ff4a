"""Generated plate faces: the five styles (ID, EU, US, Mercosur, old grey BR), their texts, and how a
registration is drawn (fitted, stretched, with the rounded-rectangle O and Q of the "Mandatory" face)."""
from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vision.plate.synth_fonts import DIGITS, LETTERS, _chars, _pick_font, _printable

log = logging.getLogger(__name__)


ID_REGIONS = ("B", "D", "F", "AB", "AD", "AG", "BK", "DK", "E", "H", "L", "N", "R", "T", "W", "Z", "KT", "DA")
BR_CITIES = ("SP-SAO PAULO", "RJ-RIO DE JANEIRO", "BA-SALVADOR", "DF-BRASILIA", "MG-BELO HORIZONTE",
             "PR-CURITIBA", "ES-CARIACICA", "RS-PORTO ALEGRE")
US_STATES = ("CALIFORNIA", "TEXAS", "OHIO", "NEW YORK", "FLORIDA", "NEVADA", "OREGON", "ARIZONA")
EU_COUNTRIES = ("F", "I", "E", "P", "B", "NL")



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


def render_plate(rng: np.random.Generator, style_name: str | None = None, text: str | None = None) -> RenderedPlate:
    """Draw one plate face-on with a random text of the chosen (or a random) style; ``text`` (letters and
    digits) replaces the style's own (plates in a client's formats, ``learned_formats``)."""
    if style_name is None:
        names = list(STYLE_WEIGHTS)
        probs = np.array([STYLE_WEIGHTS[n] for n in names])
        style_name = names[rng.choice(len(names), p=probs / probs.sum())]
    style = STYLES[style_name]
    printed, label = style.make_text(rng) if text is None else (text, text)
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



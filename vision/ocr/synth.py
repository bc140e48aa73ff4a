"""Rendered document pages with exact ground truth (text in reading order and word boxes) for tests and evaluation.

Pages are drawn with PIL from installed TrueType fonts (DejaVu, Liberation, FreeFont), in one to
three columns under a full-width title, then optionally degraded (noise, blur, small skew) and
turned by a multiple of 90 degrees.

>>> page = render_page(PageSpec(font="DejaVuSans", columns=2, height_in=2.0, dpi=100), seed=1)
>>> page.image.size[0], page.columns
(827, 2)
"""
from __future__ import annotations

import io
import random
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from core.errors import InvalidInput

FONT_DIRS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/truetype/liberation"),
    Path("/usr/share/fonts/truetype/freefont"),
)
# Four families with different shapes: humanist sans, grotesque sans, transitional serif, old-style serif.
DEFAULT_FONTS: tuple[str, ...] = ("DejaVuSans", "LiberationSans-Regular", "LiberationSerif-Regular", "FreeSerif")

# Common English words plus numbers and punctuation, so the recogniser's language prior is realistic.
_WORDS = ["the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "they", "you", "were", "her", "she", "there", "been", "one", "all", "we", "their", "has", "would", "when", "if", "so", "no", "will", "more", "other", "its", "time", "about", "up", "out", "them", "some", "could", "into", "than", "then", "these", "two", "may", "first", "any", "like", "now", "my", "such", "make", "over", "our", "even", "most", "after", "also", "made", "many", "before", "must", "through", "back", "years", "where", "much", "your", "way", "well", "down", "should", "because", "each", "just", "those", "people", "how", "too", "little", "state", "good", "very", "world", "still", "own", "see", "men", "work", "long", "here", "between", "both", "life", "being", "under", "never", "day", "same", "another", "know", "while", "last", "might", "great", "old", "year", "off", "come", "since", "against", "go", "came", "right", "used", "take", "three", "states", "himself", "few", "house", "use", "during", "without", "again", "place", "around", "however", "home", "small", "found", "thought", "went", "say", "part", "once", "general", "high", "upon", "school", "every", "does", "got", "united", "left", "number", "course", "war", "until", "always", "away", "something", "fact", "though", "water", "less", "public", "put", "think", "almost", "hand", "enough", "far", "took", "head", "yet", "government", "system", "better", "set", "told", "nothing", "night", "end", "why", "called", "didn", "eyes", "find", "going", "look", "asked", "later", "knew", "point", "next", "program", "city", "business", "give", "group", "toward", "young", "days", "let", "room", "president", "side", "social", "given", "present", "several", "order", "national", "possible", "rather", "second", "face", "per", "among", "form", "important", "often", "things", "looking", "early", "white", "case", "become", "large", "big", "need", "four", "within", "felt", "along", "children", "saw", "best", "church", "ever", "least", "power", "development", "light", "thing", "seemed", "family", "interest", "want", "members", "mind", "country", "area", "others", "done", "turned", "although", "open", "service", "problem", "certain", "kind", "began", "different", "door", "thus", "help", "sense", "means", "whole", "matter", "perhaps", "itself", "york", "times", "report", "invoice", "total", "amount", "customer", "account", "balance", "payment", "delivery", "address", "contract", "section", "quarterly", "revenue", "increased", "market", "analysis", "results", "method", "sample", "measured", "value", "table", "figure"]
_PUNCT = (".", ",", ";", ":", "?")


@dataclass(frozen=True)
class PageSpec:
    """How to draw one page: font and size, layout, degradations and a quarter-turn rotation."""

    font: str = "DejaVuSans"
    size_pt: float = 12.0
    dpi: int = 300
    columns: int = 1
    width_in: float = 8.27
    height_in: float = 11.69
    margin_in: float = 0.6
    column_gap_in: float = 0.35
    line_spacing: float = 1.45
    rotation: int = 0  # degrees counter-clockwise applied to the upright page (0, 90, 180, 270)
    skew_deg: float = 0.0
    noise_sigma: float = 0.0
    blur_radius: float = 0.0
    contrast: float = 1.0  # < 1 washes the page out (grey text on light grey paper)


@dataclass
class WordTruth:
    """One drawn word and its box on the upright, unskewed page (pixel xyxy)."""

    text: str
    box: tuple[float, float, float, float]


@dataclass
class RenderedPage:
    """A page image with its ground truth: ``text`` is the page in reading order, one line per row."""

    image: Image.Image
    text: str
    words: list[WordTruth] = field(default_factory=list)
    spec: PageSpec = field(default_factory=PageSpec)

    @property
    def columns(self) -> int:
        return self.spec.columns


def font_path(name: str) -> Path:
    """Path of an installed TrueType font by file stem (``DejaVuSans``, ``LiberationSerif-Regular``...)."""
    for folder in FONT_DIRS:
        candidate = folder / f"{name}.ttf"
        if candidate.is_file():
            return candidate
    raise InvalidInput(f"font {name!r} is not installed under {', '.join(str(d) for d in FONT_DIRS)}")


@lru_cache(maxsize=32)
def _font(name: str, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(name)), size_px)


def _sentence_words(rng: random.Random, n: int) -> list[str]:
    words: list[str] = []
    while len(words) < n:
        length = rng.randint(5, 14)
        sentence = [rng.choice(_WORDS) for _ in range(length)]
        sentence[0] = sentence[0].capitalize()
        if rng.random() < 0.25:
            sentence.insert(rng.randrange(1, length), str(rng.choice([rng.randint(2, 99), rng.randint(100, 2030)])))
        for i in range(1, len(sentence) - 1):
            if rng.random() < 0.06:
                sentence[i] += ","
        sentence[-1] += rng.choice(_PUNCT[:1] * 4 + _PUNCT[3:])
        words.extend(sentence)
    return words[:n]


def _wrap(words: list[str], font: ImageFont.FreeTypeFont, width: float) -> tuple[list[list[str]], int]:
    """Greedy line filling; returns the lines and how many words were used."""
    lines: list[list[str]] = []
    line: list[str] = []
    space = font.getlength(" ")
    used_width = 0.0
    for word in words:
        w = font.getlength(word)
        if line and used_width + space + w > width:
            lines.append(line)
            line, used_width = [], 0.0
        used_width = used_width + space + w if line else w
        line.append(word)
    if line:
        lines.append(line)
    return lines, sum(len(x) for x in lines)


def render_page(spec: PageSpec, seed: int = 0) -> RenderedPage:
    """Draw a page: a full-width title line, then body text flowing down column 1, column 2..."""
    if spec.columns not in (1, 2, 3):
        raise InvalidInput(f"columns must be 1, 2 or 3, got {spec.columns}")
    if spec.rotation not in (0, 90, 180, 270):
        raise InvalidInput(f"rotation must be 0, 90, 180 or 270, got {spec.rotation}")
    rng = random.Random(seed)
    px = spec.dpi / 72.0
    size_px = max(6, round(spec.size_pt * px))
    font = _font(spec.font, size_px)
    title_font = _font(spec.font, round(size_px * 1.4))
    width, height = round(spec.width_in * spec.dpi), round(spec.height_in * spec.dpi)
    margin, gap = spec.margin_in * spec.dpi, spec.column_gap_in * spec.dpi
    line_h = size_px * spec.line_spacing

    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    truth_lines: list[str] = []
    truth_words: list[WordTruth] = []

    def draw_line(words: list[str], x: float, y: float, f: ImageFont.FreeTypeFont) -> None:
        space = f.getlength(" ")
        for word in words:
            draw.text((x, y), word, font=f, fill=0)
            x1, y1, x2, y2 = draw.textbbox((x, y), word, font=f)
            truth_words.append(WordTruth(word, (float(x1), float(y1), float(x2), float(y2))))
            x += f.getlength(word) + space
        truth_lines.append(" ".join(words))

    title_words = [w.rstrip(".,;:?") for w in _sentence_words(rng, rng.randint(3, 6))]
    title_words[0] = title_words[0].capitalize()
    draw_line(title_words, margin, margin, title_font)
    top = margin + size_px * 1.4 * 2.4  # a clear gap under the title, as in real documents
    col_w = (width - 2 * margin - (spec.columns - 1) * gap) / spec.columns
    room = height - margin - top - size_px  # body lines must end above the bottom margin
    rows = int(room // line_h) + 1 if room >= 0 else 0
    for col in range(spec.columns):
        lines, _ = _wrap(_sentence_words(rng, rows * 20), font, col_w)
        x = margin + col * (col_w + gap)
        for r, words in enumerate(lines[:rows]):
            draw_line(words, x, top + r * line_h, font)

    image = _degrade(image, spec, rng)
    if spec.rotation:
        image = image.rotate(spec.rotation, expand=True)
    return RenderedPage(image=image.convert("RGB"), text="\n".join(truth_lines), words=truth_words, spec=spec)


def _degrade(image: Image.Image, spec: PageSpec, rng: random.Random) -> Image.Image:
    if spec.skew_deg:
        image = image.rotate(spec.skew_deg, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if spec.blur_radius > 0:
        image = image.filter(ImageFilter.GaussianBlur(spec.blur_radius))
    if spec.contrast != 1.0 or spec.noise_sigma > 0:
        pixels = np.asarray(image, dtype=np.float32)
        if spec.contrast != 1.0:
            pixels = 255.0 - (255.0 - pixels) * spec.contrast  # ink fades towards the paper
            pixels = pixels * 0.9 + 12.0  # grey paper
        if spec.noise_sigma > 0:
            noise = np.random.default_rng(rng.randrange(2**32)).normal(0.0, spec.noise_sigma, pixels.shape)
            pixels = pixels + noise
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return image


def rendered_set(n: int = 8, *, columns: tuple[int, ...] = (1, 2, 3), rotations: tuple[int, ...] = (0,),
                 fonts: tuple[str, ...] = DEFAULT_FONTS, base: PageSpec | None = None, seed: int = 0) -> list[RenderedPage]:
    """``n`` pages cycling through fonts, column layouts and rotations (deterministic for a seed)."""
    if n < 1:
        raise InvalidInput(f"n must be at least 1, got {n}")
    base = base or PageSpec()
    pages = []
    for i in range(n):
        spec = replace(base, font=fonts[i % len(fonts)], columns=columns[i % len(columns)],
                       rotation=rotations[i % len(rotations)])
        pages.append(render_page(spec, seed=seed * 1000 + i))
    return pages


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def sample_inputs(n: int) -> list[bytes]:
    """``n`` small rendered pages as PNG bytes (valid ``predict`` inputs for contract tests and benchmarks)."""
    spec = PageSpec(size_pt=12, dpi=150, width_in=4.0, height_in=1.6, margin_in=0.3)
    return [_png(render_page(replace(spec, font=DEFAULT_FONTS[i % len(DEFAULT_FONTS)]), seed=i).image)
            for i in range(n)]


def bad_input() -> bytes:
    """Bytes that look like a PNG but are truncated: ``predict`` must answer ``InvalidInput``."""
    return _png(Image.new("RGB", (8, 8), "white"))[:20]

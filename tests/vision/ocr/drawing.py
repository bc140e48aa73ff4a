"""Fixed-pitch text drawn for the OCR tests (DejaVu Sans Mono, as receipt print is fixed-pitch)."""
from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from core.errors import InvalidInput
from vision.ocr.synth import font_path


def mono_font(size: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans Mono at ``size`` px; the calling test is skipped when the font is not installed."""
    try:
        return ImageFont.truetype(str(font_path("DejaVuSansMono")), size)
    except InvalidInput:
        pytest.skip("DejaVu Sans Mono is not installed (apt-get install fonts-dejavu-core)")


def text_line(text: str, size: int, margin: int, height: int, top: int) -> Image.Image:
    """``text`` in black on a white RGB image ``height`` px tall, ``margin`` px left and right, drawn at ``top``."""
    font = mono_font(size)
    image = Image.new("RGB", (2 * margin + int(font.getlength(text)), height), "white")
    ImageDraw.Draw(image).text((margin, top), text, font=font, fill="black")
    return image

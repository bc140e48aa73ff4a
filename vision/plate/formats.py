"""Plate text formats per country: character-class templates that the reader's decoding is constrained to.

A template is a string over ``L`` (letter) and ``D`` (digit). Confusions such as O/0, I/1, B/8, S/5
are repaired only by decoding under a known template, never on free text.

>>> [f.name for f in formats_for("BR")]
['br_old', 'br_mercosur']
>>> match_format("ABC1D23").name
'br_mercosur'
"""
from __future__ import annotations

import itertools
import re
import string
from dataclasses import dataclass
from typing import Literal

from core.errors import InvalidInput

LETTERS = string.ascii_uppercase
DIGITS = string.digits
ALPHABET = DIGITS + LETTERS


@dataclass(frozen=True)
class PlateFormat:
    """One text layout of one country, e.g. Brazil's old ``LLLDDDD`` (printed ``ABC-1234``)."""

    name: str
    country: str
    template: str  # over L/D
    prior: float = 0.0  # log-prior added to the decoding score; breaks ties between countries

    def matches(self, text: str) -> bool:
        return len(text) == len(self.template) and all(
            (c in LETTERS) if t == "L" else (c in DIGITS) for c, t in zip(text, self.template))

    def display(self, text: str) -> str:
        """Printed form: separators where the plates of this format have them."""
        if self.name == "br_old":
            return f"{text[:3]}-{text[3:]}"
        if self.name == "eu_fr":
            return f"{text[:2]}-{text[2:5]}-{text[5:]}"
        if self.name == "us_std":
            return f"{text[:3]} {text[3:]}"
        if self.country == "ID":
            groups = [g for g in re.findall(r"[A-Z]+|[0-9]+", text)]
            return " ".join(groups)
        return text


@dataclass(frozen=True)
class PlateShape:
    """A country's plate outline around its registration row, for boxing a plate found by its text."""

    aspect: float  # plate width / height
    row: Literal["bottom", "centre", "top"]  # where the registration sits: under a strip, alone, above a row
    text_width: float  # share of the plate's width the registration spans
    text_centre: float  # height of the registration's centre line, as a share of the plate's height from its top


# Brazil 400 x 130 mm with the city or BRASIL strip on top; EU 520 x 110 mm; US 12 x 6 in with the
# state above; Indonesia 430 x 135 mm with the validity date below. Where the registration sits is
# the layout the generator draws (``synth.render_plate``'s text boxes, less its mean shrink).
PLATE_SHAPES: dict[str, PlateShape] = {
    "BR": PlateShape(400 / 130, "bottom", 0.89, 0.58),
    "EU": PlateShape(520 / 110, "centre", 0.83, 0.50),
    "US": PlateShape(2.0, "centre", 0.86, 0.565),
    "ID": PlateShape(430 / 135, "top", 0.89, 0.43),
}


def _indonesian() -> list[PlateFormat]:
    # Region prefix of 1-2 letters, 1-4 digits, 1-3 letters (e.g. B 1234 XYZ).
    return [PlateFormat(f"id_{a}{d}{s}", "ID", "L" * a + "D" * d + "L" * s, prior=-0.3)
            for a, d, s in itertools.product((1, 2), (1, 2, 3, 4), (1, 2, 3))]


FORMATS: tuple[PlateFormat, ...] = (
    PlateFormat("br_old", "BR", "LLLDDDD", prior=0.0),
    PlateFormat("br_mercosur", "BR", "LLLDLDD", prior=0.0),
    PlateFormat("eu_fr", "EU", "LLDDDLL", prior=-0.1),
    PlateFormat("us_ca", "US", "DLLLDDD", prior=-0.1),
    PlateFormat("us_std", "US", "LLLDDDD", prior=-0.2),  # same letters as br_old; colour decides
    *_indonesian(),
)
COUNTRIES: tuple[str, ...] = ("BR", "EU", "US", "ID")


def formats_for(country: str | None) -> list[PlateFormat]:
    """Formats of one country (``None`` or ``"auto"``: all of them)."""
    if country is None or country.lower() == "auto":
        return list(FORMATS)
    code = country.upper()
    if code not in COUNTRIES:
        raise InvalidInput(f"unknown plate country {country!r}; known: {', '.join(COUNTRIES)} or 'auto'")
    return [f for f in FORMATS if f.country == code]


def normalise(text: str) -> str:
    """Upper-case letters and digits only: the form plate texts are compared in."""
    return "".join(c for c in text.upper() if c in ALPHABET)


def match_format(text: str, candidates: list[PlateFormat] | None = None) -> PlateFormat | None:
    """The most likely format a normalised text fits as it is (no repair), or None."""
    fits = [f for f in (candidates or list(FORMATS)) if f.matches(normalise(text))]
    return max(fits, key=lambda f: f.prior) if fits else None

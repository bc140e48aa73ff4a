"""Readers of real labelled OCR data: SROIE/ICDAR receipts (box files, key JSON) and page + transcription pairs.

SROIE layout (``--format sroie``)::

    folder/img/NNN.jpg       the scanned receipt
    folder/box/NNN.csv       one text line per row: x1,y1,x2,y2,x3,y3,x4,y4,transcript
                             (split on the first 8 commas; the transcript may hold commas;
                             a transcript of ``###`` marks unreadable text and is ignored)
    folder/key/NNN.json      optional: {"company", "date", "address", "total"}

Pages layout (``--format pages``): ``folder/NAME.png|jpg|tif`` with ``folder/NAME.txt`` holding
the page text in reading order. ``detect_format`` picks one from what the folder holds.

Malformed files raise ``DataFormatError`` naming the file and line.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from core.errors import DataFormatError, InvalidInput

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp")
IGNORED_TRANSCRIPT = "###"
KEY_FIELDS = ("company", "date", "address", "total")
DataFormat = Literal["sroie", "pages"]
# The fixed split of the 100 SROIE development receipts (file numbers 001-105 without multiples of
# 20): rules and options are tuned on numbers <= TUNE_LAST_NUMBER, results are reported on the rest.
TUNE_LAST_NUMBER = 52


@dataclass(frozen=True)
class TruthLine:
    """One transcribed text line: its axis-aligned box (from the quadrilateral) and text."""

    box: tuple[float, float, float, float]
    text: str


@dataclass
class LabelledPage:
    """A real page or receipt with its transcription (lines with boxes when known) and key fields when known."""

    name: str
    image_path: Path
    lines: list[TruthLine] = field(default_factory=list)
    text: str = ""
    key: dict[str, str] | None = None

    @property
    def reference_text(self) -> str:
        """The transcription as one text (lines joined by line breaks)."""
        return self.text if self.text else "\n".join(line.text for line in self.lines)


@dataclass
class LabelledSet:
    """Pages of one labelled folder and the format they were read in."""

    name: str
    format: DataFormat
    pages: list[LabelledPage]

    def __len__(self) -> int:
        return len(self.pages)


def split_of(name: str) -> Literal["tune", "report"]:
    """The fixed development split by file number: ``tune`` up to TUNE_LAST_NUMBER, else ``report``."""
    digits = "".join(c for c in Path(name).stem if c.isdigit())
    if not digits:
        return "report"
    return "tune" if int(digits) <= TUNE_LAST_NUMBER else "report"


def detect_format(folder: Path) -> DataFormat:
    """``sroie`` when the folder has ``img/`` and ``box/``; ``pages`` when it has images with same-stem .txt."""
    if (folder / "img").is_dir() and (folder / "box").is_dir():
        return "sroie"
    if any(p.suffix.lower() in IMAGE_SUFFIXES and p.with_suffix(".txt").is_file() for p in folder.iterdir()):
        return "pages"
    raise InvalidInput(f"{folder}: neither SROIE (img/ and box/) nor page images with same-stem .txt transcripts")


def read_labelled(folder: str | Path, data_format: str = "auto") -> LabelledSet:
    """Read a labelled folder in the given format (``auto`` detects it)."""
    root = Path(folder)
    if not root.is_dir():
        raise InvalidInput(f"dataset folder {str(root)!r} does not exist")
    chosen = detect_format(root) if data_format == "auto" else data_format
    if chosen == "sroie":
        return LabelledSet(root.name, "sroie", read_sroie(root))
    if chosen == "pages":
        return LabelledSet(root.name, "pages", read_pages(root))
    raise InvalidInput(f"unknown data format {data_format!r}; choose auto, sroie or pages")


def read_box_file(path: Path) -> list[TruthLine]:
    """Lines of one SROIE box file; ``###`` lines are dropped, malformed rows raise DataFormatError."""
    lines: list[TruthLine] = []
    try:
        content = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFormatError(path, None, f"not UTF-8 text ({exc.reason})") from exc
    for number, raw in enumerate(content.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = raw.split(",", 8)
        if len(parts) < 9:
            raise DataFormatError(path, number, f"expected 8 coordinates and a transcript, got {len(parts)} fields")
        try:
            coords = [float(v) for v in parts[:8]]
        except ValueError as exc:
            raise DataFormatError(path, number, f"a coordinate is not a number: {exc}") from exc
        text = parts[8].strip()
        if text == IGNORED_TRANSCRIPT or not text:
            continue
        xs, ys = coords[0::2], coords[1::2]
        lines.append(TruthLine(box=(min(xs), min(ys), max(xs), max(ys)), text=text))
    return lines


def read_key_file(path: Path) -> dict[str, str]:
    """Key fields of one receipt (string values; absent fields and fields labelled blank are left out: a blank
    label says nothing about the receipt, so it is not scored)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise DataFormatError(path, exc.lineno, f"invalid JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise DataFormatError(path, 1, "expected a JSON object of field names to strings")
    out: dict[str, str] = {}
    for name, value in data.items():
        if not isinstance(value, str):
            raise DataFormatError(path, None, f"field {name!r} is not a string")
        if value.strip():
            out[str(name)] = value
    return out


def read_sroie(root: Path) -> list[LabelledPage]:
    """Every image of ``img/`` that has a box file; key JSON attached where present."""
    pages = []
    for image in sorted((root / "img").iterdir()):
        if image.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        box = root / "box" / f"{image.stem}.csv"
        if not box.is_file():
            continue
        key_path = root / "key" / f"{image.stem}.json"
        key = read_key_file(key_path) if key_path.is_file() else None
        pages.append(LabelledPage(name=image.stem, image_path=image, lines=read_box_file(box), key=key))
    if not pages:
        raise InvalidInput(f"{root}: no image in img/ with a box/<stem>.csv")
    return pages


def read_pages(root: Path) -> list[LabelledPage]:
    """Images with a same-stem UTF-8 ``.txt`` transcription."""
    pages = []
    for image in sorted(root.iterdir()):
        truth = image.with_suffix(".txt")
        if image.suffix.lower() not in IMAGE_SUFFIXES or not truth.is_file():
            continue
        try:
            text = truth.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise DataFormatError(truth, None, f"not UTF-8 text ({exc.reason})") from exc
        if not text.strip():
            raise DataFormatError(truth, 1, "the transcription is empty")
        pages.append(LabelledPage(name=image.stem, image_path=image, text=text))
    if not pages:
        raise InvalidInput(f"{root}: no image with a same-stem .txt transcription")
    return pages

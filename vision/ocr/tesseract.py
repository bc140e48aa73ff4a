"""Tesseract 5 as an engine of the OCR task: the Debian binary called with TSV output, parsed into words and lines.

Tesseract's own page segmentation (``--psm 3``, fully automatic) finds blocks, paragraphs and
lines and recognises them with its LSTM; its TSV output gives one row per word with the block,
paragraph and line numbers that put it in reading order. Nothing is downloaded: the binary and
the English model come from the Debian packages ``tesseract-ocr`` and ``tesseract-ocr-eng``
(``scripts/install.sh`` installs them).

>>> rows = parse_tsv("level\\tpage_num\\tblock_num\\tpar_num\\tline_num\\tword_num\\tleft\\ttop\\twidth\\theight\\tconf\\ttext\\n"
...                  "5\\t1\\t1\\t1\\t1\\t1\\t10\\t20\\t30\\t12\\t91.5\\tHello\\n")
>>> rows[0].text, rows[0].box, rows[0].line_key
('Hello', (10.0, 20.0, 40.0, 32.0), (1, 1, 1))
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import numpy as np

from core.errors import InvalidInput, WeightsUnavailable

INSTALL_HINT = "install the Debian packages: apt-get install -y tesseract-ocr (it brings the English model)"
TIMEOUT_S = 120.0


Xyxy = tuple[float, float, float, float]


@dataclass(frozen=True)
class TesseractChar:
    """One recognised character (hOCR ``ocrx_cinfo``): text, pixel box, confidence (0-1)."""

    text: str
    box: Xyxy
    confidence: float


@dataclass(frozen=True)
class TesseractWord:
    """One word of Tesseract's output: text, pixel box, confidence (0-1), its block/paragraph/line numbers
    and, when read with ``char_boxes=True`` (hOCR), its characters with their boxes."""

    text: str
    box: Xyxy
    confidence: float
    block: int
    paragraph: int
    line: int
    chars: tuple[TesseractChar, ...] = ()

    @property
    def line_key(self) -> tuple[int, int, int]:
        return (self.block, self.paragraph, self.line)


def find_binary(binary: str = "tesseract") -> Path | None:
    """The tesseract executable on PATH (or the given path), or None."""
    found = shutil.which(binary)
    return Path(found) if found else None


def parse_tsv(tsv: str) -> list[TesseractWord]:
    """Word rows (level 5, non-empty text) of Tesseract's TSV output, in its reading order."""
    lines = tsv.splitlines()
    if not lines or not lines[0].startswith("level"):
        raise InvalidInput("tesseract returned no TSV header")
    header = lines[0].split("\t")
    col = {name: k for k, name in enumerate(header)}
    words: list[TesseractWord] = []
    for raw in lines[1:]:
        parts = raw.split("\t")
        if len(parts) < len(header) or parts[col["level"]] != "5":
            continue
        text = parts[col["text"]].strip()
        if not text:
            continue
        left, top = float(parts[col["left"]]), float(parts[col["top"]])
        width, height = float(parts[col["width"]]), float(parts[col["height"]])
        conf = float(parts[col["conf"]])
        words.append(TesseractWord(
            text=text, box=(left, top, left + width, top + height),
            confidence=float(np.clip(conf / 100.0, 0.0, 1.0)),
            block=int(parts[col["block_num"]]), paragraph=int(parts[col["par_num"]]), line=int(parts[col["line_num"]]),
        ))
    return words


def _title_fields(title: str) -> dict[str, list[str]]:
    """``'bbox 1 2 3 4; x_wconf 93'`` -> ``{'bbox': ['1', '2', '3', '4'], 'x_wconf': ['93']}``."""
    out: dict[str, list[str]] = {}
    for part in title.split(";"):
        items = part.split()
        if items:
            out[items[0]] = items[1:]
    return out


def _box(values: list[str]) -> Xyxy:
    x1, y1, x2, y2 = (float(v) for v in values[:4])
    return (x1, y1, x2, y2)


class _HocrParser(HTMLParser):
    """Collects words (with their characters when hOCR has ``ocrx_cinfo``) and their block/paragraph/line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.words: list[TesseractWord] = []
        self.block = self.paragraph = self.line = 0
        self._stack: list[str] = []
        self._word: dict[str, object] | None = None
        self._char: dict[str, object] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        kind = values.get("class") or ""
        self._stack.append(kind)
        title = _title_fields(values.get("title") or "")
        if kind == "ocr_carea":
            self.block += 1
        elif kind == "ocr_par":
            self.paragraph += 1
        elif kind in ("ocr_line", "ocr_caption", "ocr_header", "ocr_textfloat"):
            self.line += 1
        elif kind == "ocrx_word" and "bbox" in title:
            conf = float(title.get("x_wconf", ["0"])[0])
            self._word = {"box": _box(title["bbox"]), "conf": conf, "text": [], "chars": []}
        elif kind == "ocrx_cinfo" and self._word is not None and "x_bboxes" in title:
            self._char = {"box": _box(title["x_bboxes"]), "conf": float(title.get("x_conf", ["0"])[0]), "text": []}

    def handle_endtag(self, tag: str) -> None:
        kind = self._stack.pop() if self._stack else ""
        if kind == "ocrx_cinfo" and self._char is not None and self._word is not None:
            text = "".join(self._char["text"])  # type: ignore[arg-type]
            if text:
                self._word["chars"].append(TesseractChar(  # type: ignore[attr-defined]
                    text, self._char["box"], float(np.clip(float(self._char["conf"]) / 100.0, 0.0, 1.0))))  # type: ignore[arg-type]
            self._char = None
        elif kind == "ocrx_word" and self._word is not None:
            word, self._word = self._word, None
            chars: list[TesseractChar] = word["chars"]  # type: ignore[assignment]
            text = ("".join(c.text for c in chars) if chars else "".join(word["text"])).strip()  # type: ignore[arg-type]
            if text:
                self.words.append(TesseractWord(
                    text=text, box=word["box"], confidence=float(np.clip(float(word["conf"]) / 100.0, 0.0, 1.0)),  # type: ignore[arg-type]
                    block=self.block, paragraph=self.paragraph, line=self.line, chars=tuple(chars)))

    def handle_data(self, data: str) -> None:
        if self._char is not None:
            self._char["text"].append(data)  # type: ignore[attr-defined]
        elif self._word is not None:
            self._word["text"].append(data)  # type: ignore[attr-defined]


def parse_hocr(hocr: str) -> list[TesseractWord]:
    """Words of Tesseract's hOCR output in its reading order, with character boxes when it has them.

    >>> words = parse_hocr("<div class='ocr_carea' title='bbox 0 0 9 9'><p class='ocr_par'>"
    ...     "<span class='ocr_line' title='bbox 0 0 9 9'><span class='ocrx_word' title='bbox 1 2 30 12; x_wconf 90'>"
    ...     "<span class='ocrx_cinfo' title='x_bboxes 1 2 20 12; x_conf 95'>A</span>"
    ...     "<span class='ocrx_cinfo' title='x_bboxes 26 2 30 12; x_conf 80'>:</span></span></span></p></div>")
    >>> words[0].text, words[0].confidence, [c.text for c in words[0].chars], words[0].chars[1].box
    ('A:', 0.9, ['A', ':'], (26.0, 2.0, 30.0, 12.0))
    """
    if "ocr_page" not in hocr and "ocrx_word" not in hocr:
        raise InvalidInput("tesseract returned no hOCR page")
    parser = _HocrParser()
    parser.feed(hocr)
    parser.close()
    return parser.words


class TesseractEngine:
    """Runs the tesseract binary on a greyscale page and returns its words.

    ``psm`` is Tesseract's page segmentation mode (3 = automatic layout, 4 = one column of
    variable-size text, 6 = one uniform block); ``threads`` bounds its OpenMP threads.
    """

    def __init__(self, language: str = "eng", psm: int = 3, binary: str = "tesseract", threads: int = 1) -> None:
        path = find_binary(binary)
        if path is None:
            raise WeightsUnavailable(f"the tesseract binary was not found; {INSTALL_HINT}")
        self.binary = path
        self.language = language
        self.psm = psm
        self.threads = threads
        self._check_language()

    def _check_language(self) -> None:
        listed = subprocess.run([str(self.binary), "--list-langs"], capture_output=True, text=True,
                                timeout=TIMEOUT_S, check=False)
        langs = {line.strip() for line in listed.stdout.splitlines()[1:]}
        if self.language not in langs:
            raise WeightsUnavailable(f"tesseract has no {self.language!r} model (has {sorted(langs)}); {INSTALL_HINT}")

    def read(self, grey: np.ndarray, psm: int | None = None, char_boxes: bool = False) -> list[TesseractWord]:
        """Words of one greyscale (or RGB) page in Tesseract's reading order; with ``char_boxes`` (hOCR
        output) each word also carries its characters' boxes and confidences."""
        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(grey).save(buffer, format="PNG")
        env = {**os.environ, "OMP_THREAD_LIMIT": str(self.threads)}
        command = [str(self.binary), "stdin", "stdout", "-l", self.language, "--psm", str(psm or self.psm)]
        command += ["-c", "hocr_char_boxes=1", "hocr"] if char_boxes else ["tsv"]
        done = subprocess.run(command, input=buffer.getvalue(), capture_output=True, timeout=TIMEOUT_S,
                              env=env, check=False)
        if done.returncode != 0:
            raise InvalidInput(f"tesseract failed on the page: {done.stderr.decode(errors='replace')[-300:]}")
        output = done.stdout.decode("utf-8", errors="replace")
        return parse_hocr(output) if char_boxes else parse_tsv(output)

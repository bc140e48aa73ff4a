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
from pathlib import Path

import numpy as np

from core.errors import InvalidInput, WeightsUnavailable

INSTALL_HINT = "install the Debian packages: apt-get install -y tesseract-ocr (it brings the English model)"
TIMEOUT_S = 120.0


@dataclass(frozen=True)
class TesseractWord:
    """One word of Tesseract's TSV: text, pixel box, confidence (0-1) and its block/paragraph/line numbers."""

    text: str
    box: tuple[float, float, float, float]
    confidence: float
    block: int
    paragraph: int
    line: int

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

    def read(self, grey: np.ndarray, psm: int | None = None) -> list[TesseractWord]:
        """Words of one greyscale (or RGB) page in Tesseract's reading order."""
        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(grey).save(buffer, format="PNG")
        env = {**os.environ, "OMP_THREAD_LIMIT": str(self.threads)}
        command = [str(self.binary), "stdin", "stdout", "-l", self.language, "--psm", str(psm or self.psm), "tsv"]
        done = subprocess.run(command, input=buffer.getvalue(), capture_output=True, timeout=TIMEOUT_S,
                              env=env, check=False)
        if done.returncode != 0:
            raise InvalidInput(f"tesseract failed on the page: {done.stderr.decode(errors='replace')[-300:]}")
        return parse_tsv(done.stdout.decode("utf-8", errors="replace"))

"""Corpora for topic evaluation: AG News (development data) and a client's CSV/TSV with optional labels/dates."""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import InvalidInput


@dataclass(frozen=True)
class Corpus:
    """Documents with optional known categories (for NMI/ARI) and dates (for topics over time)."""

    name: str
    texts: list[str]
    labels: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)

    def head(self, n: int) -> Corpus:
        return Corpus(f"{self.name}[:{n}]", self.texts[:n], self.labels[:n], self.dates[:n])


def _shared_data() -> Path:
    return Path(os.environ.get("AIS_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))


def agnews(path: str | Path | None = None) -> Corpus:
    """AG News dev: 10,000 ``text<TAB>category`` lines (no header), four categories."""
    path = Path(path) if path else _shared_data() / "agnews" / "dev.tsv"
    if not path.is_file():
        raise InvalidInput(f"AG News file not found at {path} (set AIS_SHARED_DATA)")
    texts, labels = [], []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            text, _, label = line.rstrip("\n").rpartition("\t")
            if text.strip():
                texts.append(text)
                labels.append(label)
    return Corpus("agnews-dev", texts, labels)


def agnews_quick() -> Corpus:
    """The first 2,000 AG News dev items: the reduced set of ``ais bench --quick`` (fit and score on them)."""
    return agnews().head(2000)


def read_corpus(path: str | Path, text_col: str = "text", label_col: str | None = None,
                date_col: str | None = None) -> Corpus:
    """A CSV/TSV with a header; blank texts are skipped."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"data file {str(path)!r} does not exist")
    sep = "\t" if path.suffix.lower() in {".tsv", ".tab"} else ","
    texts, labels, dates = [], [], []
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle, delimiter=sep)
            for col in filter(None, (text_col, label_col, date_col)):
                if col not in (reader.fieldnames or []):
                    raise InvalidInput(f"{path.name}: no column {col!r}; columns are {reader.fieldnames}")
            for record in reader:
                text = (record.get(text_col) or "").strip()
                if not text:
                    continue
                texts.append(text)
                if label_col:
                    labels.append(record[label_col])
                if date_col:
                    dates.append(record[date_col])
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path.name} is not valid UTF-8 (byte offset {exc.start})") from exc
    return Corpus(path.stem, texts, labels, dates)

"""Corpora for topic evaluation: AG News (development data) and a client's CSV/TSV with optional labels/dates."""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from core.errors import InvalidInput


@dataclass(frozen=True)
class Corpus:
    """Documents with optional known categories (for NMI/ARI) and dates (for topics over time)."""

    name: str
    texts: list[str]
    labels: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    origin: Literal["generated", "labelled"] = "labelled"  # real documents labelled by others, unless we made them

    def head(self, n: int) -> Corpus:
        return Corpus(f"{self.name}[:{n}]", self.texts[:n], self.labels[:n], self.dates[:n], self.origin)

    def rows(self, start: int, stop: int | None = None) -> Corpus:
        """Items ``start`` to ``stop`` (exclusive; None: to the end), e.g. one half of a set to choose settings on."""
        part = slice(start, stop)
        return Corpus(f"{self.name}[{start}:{'' if stop is None else stop}]", self.texts[part], self.labels[part],
                      self.dates[part], self.origin)


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


def read_corpus(path: str | Path, text_col: str | int = "text", label_col: str | int | None = None,
                date_col: str | None = None, *, header: bool = True, delimiter: str | None = None) -> Corpus:
    """A CSV/TSV (header: named columns, else 0-based numbers); blank texts are skipped.

    With a label column the rows go through ``nlp.labelled_table`` (a malformed row is a
    ``DataFormatError`` naming the file and line).
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"data file {str(path)!r} does not exist")
    if label_col is not None and date_col is None:
        from nlp.labelled_table import read_table

        rows = read_table(path, text_col, label_col, header=header, delimiter=delimiter)
        return Corpus(path.stem, [r.text for r in rows], [r.label for r in rows])
    sep = delimiter or ("\t" if path.suffix.lower() in {".tsv", ".tab"} else ",")
    texts, labels, dates = [], [], []
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle, delimiter=sep)
            for col in filter(None, (text_col, label_col, date_col)):
                if col not in (reader.fieldnames or []):
                    raise InvalidInput(f"{path.name}: no column {col!r}; columns are {reader.fieldnames}")
            for record in reader:
                text = (record.get(str(text_col)) or "").strip()
                if not text:
                    continue
                texts.append(text)
                if label_col:
                    labels.append(record[str(label_col)])
                if date_col:
                    dates.append(record[date_col])
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path.name} is not valid UTF-8 (byte offset {exc.start})") from exc
    return Corpus(path.stem, texts, labels, dates)


def read_folders(root: str | Path, suffix: str = ".txt") -> Corpus:
    """A labelled corpus folder: ``<class>/<doc>.txt`` (the BBC News / 20 Newsgroups layout), any length.

    Files are read in sorted order; an empty or non-UTF-8 document is a ``DataFormatError`` naming the
    file; a folder without class sub-folders is ``InvalidInput``.
    """
    from core.errors import DataFormatError

    root = Path(root)
    if not root.is_dir():
        raise InvalidInput(f"corpus folder {str(root)!r} does not exist")
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    texts, labels = [], []
    for folder in classes:
        for doc in sorted(folder.glob(f"*{suffix}")):
            try:
                text = doc.read_text(encoding="utf-8").strip()
            except UnicodeDecodeError as exc:
                raise DataFormatError(doc, None, f"not valid UTF-8 (byte offset {exc.start})") from exc
            if not text:
                raise DataFormatError(doc, 1, "the document is empty")
            texts.append(text)
            labels.append(folder.name)
    if len(set(labels)) < 2:
        raise InvalidInput(f"{root}: expected at least two class folders holding *{suffix} documents "
                           f"(<class>/<doc>{suffix}), found {len(set(labels))}")
    return Corpus(root.name, texts, labels)


def read_labelled_corpus(path: str | Path, text_col: str | int = "text", label_col: str | int = "label", *,
                         header: bool = True, data_format: str = "auto") -> Corpus:
    """A labelled corpus in any supported layout: a folder of class folders, or a TSV/CSV table."""
    path = Path(path)
    formats = {"auto", "folders", "tsv", "csv"}
    if data_format not in formats:
        raise InvalidInput(f"format must be one of {sorted(formats)}, got {data_format!r}")
    if data_format == "folders" or (data_format == "auto" and path.is_dir()):
        return read_folders(path)
    delimiter = {"tsv": "\t", "csv": ","}.get(data_format)
    return read_corpus(path, text_col, label_col, header=header, delimiter=delimiter)


def read_data(path: str | Path, data_format: str = "auto") -> Corpus:
    """An outside labelled corpus for ``evaluate`` / ``ais bench --data`` (``TaskSpec.read_data``): a folder
    of ``<class>/<doc>.txt``, or a TSV/CSV whose header names a text and a label column (text/category...)
    or, without a header, has the text first and the label last (AG News style)."""
    from nlp.labelled_table import guess_columns

    path = Path(path)
    if data_format == "folders" or (data_format == "auto" and path.is_dir()):
        return read_folders(path)
    delimiter = {"tsv": "\t", "csv": ","}.get(data_format)
    if data_format not in ("auto", "tsv", "csv"):
        raise InvalidInput(f"topics data format must be auto, folders, tsv or csv, got {data_format!r}")
    header, text_col, label_col = guess_columns(path, delimiter)
    return read_corpus(path, text_col, label_col, header=header, delimiter=delimiter)

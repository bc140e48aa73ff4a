"""Loaders for labelled sentiment data: SST-2 (development) and a client's CSV/TSV with chosen columns."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from core.errors import InvalidInput

LABELS: tuple[str, str] = ("negative", "positive")
_POSITIVE = {"1", "positive", "pos", "p", "true", "yes", "good", "+1", "+"}
_NEGATIVE = {"0", "negative", "neg", "n", "false", "no", "bad", "-1", "-"}


@dataclass(frozen=True)
class LabelledTexts:
    """Texts with binary labels (1 = positive), and where they came from."""

    name: str
    texts: list[str]
    labels: list[int]

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise InvalidInput(f"{self.name}: {len(self.texts)} texts but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.texts)

    def head(self, n: int) -> LabelledTexts:
        return LabelledTexts(f"{self.name}[:{n}]", self.texts[:n], self.labels[:n])


def parse_label(value: str, *, row: int) -> int:
    """Map common spellings of a binary sentiment label to 0/1; anything else is InvalidInput."""
    key = str(value).strip().lower()
    if key in _POSITIVE:
        return 1
    if key in _NEGATIVE:
        return 0
    raise InvalidInput(f"row {row}: label {value!r} is not a binary sentiment label "
                       f"(use 1/0, positive/negative or pos/neg)", row=row)


def read_labelled(path: str | Path, text_col: str = "text", label_col: str = "label",
                  delimiter: str | None = None) -> LabelledTexts:
    """Read a CSV/TSV with a header; the delimiter is taken from the extension unless given."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"data file {str(path)!r} does not exist")
    sep = delimiter or ("\t" if path.suffix.lower() in {".tsv", ".tab"} else ",")
    texts: list[str] = []
    labels: list[int] = []
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle, delimiter=sep, quoting=csv.QUOTE_NONE if sep == "\t" else csv.QUOTE_MINIMAL)
            columns = reader.fieldnames or []
            for col in (text_col, label_col):
                if col not in columns:
                    raise InvalidInput(f"{path.name}: no column {col!r}; columns are {columns}", column=col)
            for row, record in enumerate(reader, start=2):
                text = (record.get(text_col) or "").strip()
                if not text:
                    continue  # blank rows carry no signal; skipping them beats failing a whole client file
                texts.append(text)
                labels.append(parse_label(record.get(label_col) or "", row=row))
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path.name} is not valid UTF-8 (byte offset {exc.start})") from exc
    if len(set(labels)) < 2:
        raise InvalidInput(f"{path.name}: need both positive and negative examples, found {len(set(labels))} class")
    return LabelledTexts(path.name, texts, labels)


def sst2(split: str = "dev", root: str | Path | None = None) -> LabelledTexts:
    """SST-2 phrases from the development data folder (``train`` or ``dev``; dev is never trained on)."""

    base = Path(root) if root else _shared_data() / "sst2"
    data = read_labelled(base / f"{split}.tsv", text_col="sentence", label_col="label")
    return LabelledTexts(f"sst2-{split}", data.texts, data.labels)


def sst2_dev() -> LabelledTexts:
    return sst2("dev")


def _shared_data() -> Path:
    import os

    default = Path(__file__).resolve().parents[3] / "shared" / "data"
    return Path(os.environ.get("AIS_SHARED_DATA", default))

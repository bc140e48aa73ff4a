"""Loaders for labelled sentiment data: SST-2 (development) and a client's CSV/TSV with chosen columns.

Labels are either ``binary`` (the common spellings of positive/negative, mapped to the shipped
model's two classes) or ``auto``: whatever label names the file has (2 or more), in sorted order,
e.g. a client's positive/neutral/negative.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from core.errors import DataFormatError, InvalidInput
from nlp.labelled_table import read_table, stratified_split

LABELS: tuple[str, str] = ("negative", "positive")
LabelMode = Literal["binary", "auto"]
_POSITIVE = {"1", "positive", "pos", "p", "true", "yes", "good", "+1", "+"}
_NEGATIVE = {"0", "negative", "neg", "n", "false", "no", "bad", "-1", "-"}


@dataclass(frozen=True)
class LabelledTexts:
    """Texts with labels (indices into ``label_names``; binary: 1 = positive), and where they came from."""

    name: str
    texts: list[str]
    labels: list[int]
    label_names: tuple[str, ...] = field(default=LABELS)

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise InvalidInput(f"{self.name}: {len(self.texts)} texts but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.texts)

    def head(self, n: int) -> LabelledTexts:
        return LabelledTexts(f"{self.name}[:{n}]", self.texts[:n], self.labels[:n], self.label_names)

    def subset(self, indices: list[int], name: str) -> LabelledTexts:
        return LabelledTexts(name, [self.texts[i] for i in indices], [self.labels[i] for i in indices],
                             self.label_names)

    def split(self, fraction: float, seed: int, suffix: str = "heldout") -> tuple[LabelledTexts, LabelledTexts]:
        """Stratified (kept, held-out) split; kept rows never repeat a held-out text."""
        kept, held = stratified_split(self.labels, self.texts, fraction, seed)
        return (self.subset(kept, f"{self.name}-minus-{suffix}"),
                self.subset(held, f"{self.name}-{suffix}{round(fraction * 100)}%-seed{seed}"))

    def counts(self) -> dict[str, int]:
        return {name: self.labels.count(i) for i, name in enumerate(self.label_names)}


def parse_label(value: str, *, row: int) -> int:
    """Map common spellings of a binary sentiment label to 0/1; anything else is InvalidInput."""
    key = str(value).strip().lower()
    if key in _POSITIVE:
        return 1
    if key in _NEGATIVE:
        return 0
    raise InvalidInput(f"row {row}: label {value!r} is not a binary sentiment label "
                       f"(use 1/0, positive/negative or pos/neg, or --labels auto for any label names)", row=row)


def read_labelled(path: str | Path, text_col: str | int = "text", label_col: str | int = "label",
                  delimiter: str | None = None, labels: LabelMode = "binary", header: bool = True,
                  label_names: tuple[str, ...] | None = None) -> LabelledTexts:
    """Read a CSV/TSV (header: named columns; none: 0-based indices).

    ``labels="binary"`` maps positive/negative spellings to 1/0; ``"auto"`` keeps the file's label
    names (sorted; at least two). ``label_names`` fixes the label order (e.g. a trained model's): a
    label outside it is a ``DataFormatError`` naming the line.
    """
    path = Path(path)
    rows = read_table(path, text_col, label_col, header=header, delimiter=delimiter)
    texts = [r.text for r in rows]
    if labels == "binary" and label_names in (None, LABELS):
        values = []
        for r in rows:
            try:
                values.append(parse_label(r.label, row=r.line))
            except InvalidInput as exc:
                raise DataFormatError(path, r.line, str(exc).split(": ", 1)[-1]) from None
        if len(set(values)) < 2:
            raise InvalidInput(f"{path.name}: need both positive and negative examples, found {len(set(values))} class")
        return LabelledTexts(path.name, texts, values)
    if labels not in ("binary", "auto"):
        raise InvalidInput(f"labels must be 'binary' or 'auto', got {labels!r}")
    names = label_names or tuple(sorted({r.label for r in rows}))
    if len(names) < 2:
        raise InvalidInput(f"{path.name}: need at least two label values to train a classifier, found {list(names)}")
    index = {n: i for i, n in enumerate(names)}
    for r in rows:
        if r.label not in index:
            raise DataFormatError(path, r.line, f"label {r.label!r} is not one of the model's labels {list(names)}")
    return LabelledTexts(path.name, texts, [index[r.label] for r in rows], names)


def read_data(path: str | Path, data_format: str = "auto") -> LabelledTexts:
    """An outside labelled set for ``evaluate`` / ``ais bench --data`` (``TaskSpec.read_data``).

    GLUE style: a TSV/CSV whose header names a text column (sentence, text, review...) and a label
    column (label, sentiment...), or two columns without a header; binary labels (1/0,
    positive/negative...), the shipped model's label set. ``data_format``: auto (by extension), tsv, csv.
    """
    from nlp.labelled_table import guess_columns

    if data_format not in ("auto", "tsv", "csv"):
        raise InvalidInput(f"sentiment data format must be auto, tsv or csv, got {data_format!r}")
    delimiter = {"tsv": "\t", "csv": ","}.get(data_format)
    header, text_col, label_col = guess_columns(path, delimiter)
    return read_labelled(path, text_col, label_col, delimiter=delimiter, header=header)


def sst2(split: str = "dev", root: str | Path | None = None) -> LabelledTexts:
    """SST-2 phrases from the development data folder (``train`` or ``dev``; dev is never trained on)."""

    base = Path(root) if root else _shared_data() / "sst2"
    data = read_labelled(base / f"{split}.tsv", text_col="sentence", label_col="label")
    return LabelledTexts(f"sst2-{split}", data.texts, data.labels)


def sst2_dev() -> LabelledTexts:
    return sst2("dev")


def sst2_heldout(root: str | Path | None = None, n: int = 2000, seed: int = 13) -> LabelledTexts:
    """The 2,000 SST-2 train phrases the shipped model never trained on (its early-stopping rows).

    The same split as the shipped model's training (``random.Random(13)`` shuffle, first 2,000); it
    chose the model's stopping step, so it is a development number next to SST-2 dev.
    """
    import random

    train = sst2("train", root)
    order = list(range(len(train)))
    random.Random(seed).shuffle(order)
    return train.subset(order[:n], f"sst2-train-heldout{n}-seed{seed}")


def _shared_data() -> Path:
    import os

    default = Path(__file__).resolve().parents[3] / "shared" / "data"
    return Path(os.environ.get("AIS_SHARED_DATA", default))

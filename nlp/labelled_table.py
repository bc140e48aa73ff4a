"""Reading a labelled text table: GLUE-style TSV/CSV, one text column and one label column (any label names).

Shared by sentiment (fine-tuning, evaluation) and topics (evaluation against human categories). The
delimiter follows the extension (``.tsv``/``.tab``: tab, else comma) unless given; with a header the
columns are named, without one they are 0-based indices. A row with too few fields, or a label cell
that is empty, is a ``DataFormatError`` naming the file and line; a blank text is skipped (it carries
no signal, and client exports often have a few).

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "mini.tsv"
>>> _ = path.write_text("sentence\\tlabel\\ngreat\\t1\\nawful\\t0\\n")
>>> [(r.text, r.label) for r in read_table(path, "sentence", "label")]
[('great', '1'), ('awful', '0')]
"""
from __future__ import annotations

import csv
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.errors import DataFormatError, InvalidInput

LONG_CELL = 2**31 - 1  # long documents are legitimate cells of a corpus file


@contextmanager
def _long_cells() -> Iterator[None]:
    """Lift the csv module's (process-wide) cell limit while a corpus file is read, then put it back:
    the HTTP CSV reader relies on the default to refuse huge cells."""
    previous = csv.field_size_limit(LONG_CELL)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


@dataclass(frozen=True)
class LabelledRow:
    """One text with its label as written in the file, and the file line it came from."""

    line: int
    text: str
    label: str


def delimiter_for(path: Path, delimiter: str | None = None) -> str:
    return delimiter or ("\t" if path.suffix.lower() in {".tsv", ".tab"} else ",")


def _column(name: str | int, columns: list[str] | None, path: Path) -> int:
    if columns is None:
        try:
            return int(name)
        except ValueError:
            raise InvalidInput(f"{path.name} is read without a header, so columns are 0-based numbers, "
                               f"got {name!r}", column=str(name)) from None
    if str(name) in columns:
        return columns.index(str(name))
    raise InvalidInput(f"{path.name}: no column {name!r}; columns are {columns}", column=str(name))


def read_table(path: str | Path, text_col: str | int = "text", label_col: str | int = "label", *,
               header: bool = True, delimiter: str | None = None) -> list[LabelledRow]:
    """Rows of ``path`` with a non-blank text; raises ``DataFormatError`` (file and line) on a malformed row."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"data file {str(path)!r} does not exist")
    sep = delimiter_for(path, delimiter)
    rows: list[LabelledRow] = []
    try:
        with _long_cells(), path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle, delimiter=sep, quoting=csv.QUOTE_NONE if sep == "\t" else csv.QUOTE_MINIMAL)
            columns = None
            if header:
                first = next(reader, None)
                if first is None:
                    raise DataFormatError(path, 1, "the file is empty (expected a header row)")
                columns = [c.strip() for c in first]
            t_idx, l_idx = _column(text_col, columns, path), _column(label_col, columns, path)
            need = max(t_idx, l_idx) + 1
            for record in reader:
                line = reader.line_num
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue  # an empty line
                if len(record) < need:
                    raise DataFormatError(path, line, f"{len(record)} field(s), expected at least {need} "
                                                      f"(separator {sep!r})")
                text, label = record[t_idx].strip(), record[l_idx].strip()
                if not text:
                    continue
                if not label:
                    raise DataFormatError(path, line, "the label is empty")
                rows.append(LabelledRow(line, text, label))
    except UnicodeDecodeError as exc:
        raise DataFormatError(path, None, f"not valid UTF-8 (byte offset {exc.start})") from exc
    except csv.Error as exc:
        raise DataFormatError(path, None, f"not a readable table ({exc})") from exc
    return rows


def stratified_split(labels: Sequence[int], texts: Sequence[str], fraction: float,
                     seed: int) -> tuple[list[int], list[int]]:
    """Indices (kept, held out): ``fraction`` of every class held out (seeded), at least one per class.

    A kept row whose text also occurs in the held-out part is dropped from the kept part, so nothing
    held out has been seen verbatim (client files often repeat a text).

    >>> labels = [0] * 8 + [1] * 4
    >>> kept, held = stratified_split(labels, [str(i) for i in range(12)], 0.25, seed=1)
    >>> len(kept), len(held), sorted({labels[i] for i in held})
    (9, 3, [0, 1])
    """
    if not 0.0 < fraction < 1.0:
        raise InvalidInput(f"held-out fraction must be in (0, 1), got {fraction}")
    rng = random.Random(seed)
    held: list[int] = []
    for cls in sorted(set(labels)):
        members = [i for i, y in enumerate(labels) if y == cls]
        rng.shuffle(members)
        held.extend(members[:max(1, round(len(members) * fraction))])
    held_set = set(held)
    held_texts = {texts[i] for i in held}
    kept = [i for i in range(len(labels)) if i not in held_set and texts[i] not in held_texts]
    return kept, sorted(held)


TEXT_COLUMNS = ("sentence", "text", "review", "content", "document", "body")
LABEL_COLUMNS = ("label", "sentiment", "category", "class", "topic", "target")


def guess_columns(path: str | Path, delimiter: str | None = None) -> tuple[bool, str | int, str | int]:
    """(header, text column, label column) of a labelled table: a header naming a usual text column
    (sentence, text, review...) and label column (label, sentiment, category...), else no header with
    the text first and the label last (AG News style ``text<TAB>category``)."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"data file {str(path)!r} does not exist")
    sep = delimiter_for(path, delimiter)
    try:
        with _long_cells(), path.open(newline="", encoding="utf-8") as handle:
            first = next(csv.reader(handle, delimiter=sep, quoting=csv.QUOTE_NONE if sep == "\t" else csv.QUOTE_MINIMAL),
                         None)
    except UnicodeDecodeError as exc:
        raise DataFormatError(path, 1, f"not valid UTF-8 (byte offset {exc.start})") from exc
    if not first:
        raise DataFormatError(path, 1, "the file is empty")
    names = [c.strip().lower() for c in first]
    text = next((first[names.index(n)].strip() for n in TEXT_COLUMNS if n in names), None)
    label = next((first[names.index(n)].strip() for n in LABEL_COLUMNS if n in names), None)
    if text is not None and label is not None:
        return True, text, label
    if len(first) < 2:
        raise DataFormatError(path, 1, f"expected a text and a label column separated by {sep!r}")
    return False, 0, len(first) - 1

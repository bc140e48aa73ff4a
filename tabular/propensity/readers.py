"""Read what clients send: CSV of any dialect, Parquet, Excel, and CoIL-style whitespace tables.

CSV files are sniffed, not assumed: gzip by its magic bytes, a UTF-8 byte-order mark stripped
(else cp1252), the delimiter among ``, ; TAB |`` and the quote character from a sample, decimal
commas recognised per column (``1.234,5`` -> 1234.5, only when the delimiter is not a comma).
Header cells become unique column names (``sqlnames.unique_names``). A row with the wrong
number of fields raises ``DataFormatError`` naming the file and line.

CoIL-style tables (the insurance-marketing challenge's ``ticdata2000.txt`` layout) have no
header, whitespace-separated numbers and the target in the last column.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import DataFormatError, InvalidInput
from tabular.propensity.sqlnames import unique_names

if TYPE_CHECKING:
    import pandas as pd

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-"})
_DECIMAL_COMMA = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
_DELIMITERS = ",;\t|"
FORMATS = ("auto", "csv", "parquet", "excel", "coil")


@dataclass
class ReadInfo:
    """How a file was read: what the report shows the client."""

    path: str
    format: str
    rows: int = 0
    delimiter: str | None = None
    quotechar: str | None = None
    encoding: str | None = None
    bom: bool = False
    compressed: bool = False
    decimal_comma_columns: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # header cell -> unique column name

    def describe(self) -> str:
        parts = [f"{self.format}", f"{self.rows:,} rows"]
        if self.format == "csv":
            parts.append(f"delimiter {self.delimiter!r}, quote {self.quotechar!r}, {self.encoding}")
            if self.bom:
                parts.append("BOM stripped")
        if self.compressed:
            parts.append("gzip")
        if self.decimal_comma_columns:
            parts.append(f"decimal commas in {self.decimal_comma_columns}")
        if self.renamed:
            parts.append("renamed " + ", ".join(f"{k!r} -> {v!r}" for k, v in self.renamed.items()))
        return "; ".join(parts)


def _raw_bytes(path: Path) -> tuple[bytes, bool]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data), True
        except (OSError, EOFError) as exc:
            raise DataFormatError(path, None, f"corrupt gzip file ({exc})") from exc
    return data, False


def _decode(data: bytes) -> tuple[str, str, bool]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8", True
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252", False


def sniff_dialect(sample: str) -> tuple[str, str]:
    """(delimiter, quote character) of a CSV sample; falls back to the most consistent delimiter."""
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS)
        return dialect.delimiter, dialect.quotechar or '"'
    except csv.Error:
        lines = [ln for ln in sample.splitlines()[:50] if ln.strip()]
        best, best_score = ",", -1.0
        for d in _DELIMITERS:
            counts = [ln.count(d) for ln in lines]
            if not counts or min(counts) == 0:
                continue
            score = min(counts) - (max(counts) - min(counts))
            if score > best_score:
                best, best_score = d, score
        return best, '"'


def _column_values(values: list[str], delimiter: str) -> tuple[list[object], bool]:
    """Cells of one column typed: numbers when every non-missing cell is one (decimal commas allowed
    when the delimiter is not a comma), else text; missing tokens become None. Returns (values, comma)."""
    present = [v.strip() for v in values if v.strip().lower() not in MISSING_TOKENS]
    if not present:
        return [None] * len(values), False

    def as_float(text: str, comma: bool) -> float | None:
        t = text.strip()
        if t.lower() in MISSING_TOKENS:
            return None
        if comma:
            t = t.replace(".", "").replace(",", ".")
        return float(t)

    comma = (
        delimiter != ","
        and any("," in v for v in present)
        and all(_DECIMAL_COMMA.match(v) for v in present)
    )
    try:
        return [as_float(v, comma) for v in values], comma
    except ValueError:
        return [None if v.strip().lower() in MISSING_TOKENS else v.strip() for v in values], False


def read_csv_file(path: str | Path) -> tuple[pd.DataFrame, ReadInfo]:
    """A CSV (or gzip of one) of any common dialect; every row must have the header's field count."""
    import pandas as pd

    path = Path(path)
    data, compressed = _raw_bytes(path)
    text, encoding, bom = _decode(data)
    if not text.strip():
        raise DataFormatError(path, 1, "the file is empty")
    delimiter, quotechar = sniff_dialect(text[:65536])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quotechar)
    try:
        header = next(reader)
        width = len(header)
        rows: list[list[str]] = []
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                raise DataFormatError(
                    path, reader.line_num, f"expected {width} fields (as in the header), found {len(row)}"
                )
            rows.append(row)
    except csv.Error as exc:
        raise DataFormatError(path, reader.line_num, f"unreadable CSV ({exc})") from exc
    if not rows:
        raise DataFormatError(path, 2, "the file has a header but no data rows")
    names = unique_names(header)
    info = ReadInfo(
        str(path), "csv", len(rows), delimiter, quotechar, encoding, bom, compressed,
        renamed={h: n for h, n in zip(header, names) if h != n},
    )
    columns: dict[str, list[object]] = {}
    for j, name in enumerate(names):
        values, comma = _column_values([r[j] for r in rows], delimiter)
        columns[name] = values
        if comma:
            info.decimal_comma_columns.append(name)
    frame = pd.DataFrame(columns)
    for name in names:
        if all(v is None or isinstance(v, float) for v in columns[name]):
            frame[name] = pd.to_numeric(frame[name], errors="coerce")
            as_int = frame[name].dropna()
            if len(as_int) == len(frame) and (as_int % 1 == 0).all():
                frame[name] = frame[name].astype("int64")
        else:
            frame[name] = frame[name].astype(object)
    return frame, info


def read_coil_file(path: str | Path, targets: str | Path | None = None) -> tuple[pd.DataFrame, ReadInfo]:
    """A CoIL-style whitespace table: no header, numbers only, the target in the last column (or in a
    separate one-column ``targets`` file). Columns are named ``col_1..col_<n>`` and ``target``."""
    import numpy as np
    import pandas as pd

    path = Path(path)
    data, compressed = _raw_bytes(path)
    text, encoding, _ = _decode(data)
    rows: list[list[float]] = []
    width = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if width is None:
            width = len(fields)
            if width < 2 and targets is None:
                raise DataFormatError(path, number, "a CoIL table needs feature columns and a target column")
        if len(fields) != width:
            raise DataFormatError(path, number, f"expected {width} whitespace-separated values, found {len(fields)}")
        try:
            rows.append([float(f) for f in fields])
        except ValueError as exc:
            raise DataFormatError(path, number, f"non-numeric value ({exc})") from exc
    if not rows or width is None:
        raise DataFormatError(path, 1, "the file has no rows")
    matrix = np.asarray(rows)
    if targets is not None:
        y_frame, _ = read_coil_targets(targets, len(matrix))
        matrix = np.column_stack([matrix, y_frame])
    n_features = matrix.shape[1] - 1
    names = [f"col_{i}" for i in range(1, n_features + 1)] + ["target"]
    frame = pd.DataFrame(matrix, columns=names)
    for c in names:
        if (frame[c] % 1 == 0).all():
            frame[c] = frame[c].astype("int64")
    return frame, ReadInfo(str(path), "coil", len(frame), None, None, encoding, False, compressed)


def read_coil_targets(path: str | Path, expected: int) -> tuple[object, int]:
    """One target value per line (the CoIL ``tictgts2000.txt`` layout), as many as the table has rows."""
    import numpy as np

    path = Path(path)
    text, _, _ = _decode(_raw_bytes(path)[0])
    values = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            values.append(float(line.strip()))
        except ValueError as exc:
            raise DataFormatError(path, number, f"a target must be a number ({exc})") from exc
    if len(values) != expected:
        raise DataFormatError(path, None, f"{len(values)} targets for {expected} rows")
    return np.asarray(values), len(values)


def detect_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    with path.open("rb") as fh:
        head = fh.read(4)
    if ".parquet" in suffixes or head == b"PAR1":
        return "parquet"
    if suffixes and suffixes[-1] in (".xlsx", ".xls"):
        return "excel"
    return "csv"


def read_client_file(path: str | Path, fmt: str = "auto") -> tuple[pd.DataFrame, ReadInfo]:
    """Any supported file as a DataFrame with unique column names, plus how it was read."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"file {str(path)!r} does not exist", path=str(path))
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; use one of {list(FORMATS)}")
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt == "csv":
        return read_csv_file(path)
    if fmt == "coil":
        return read_coil_file(path)
    if fmt == "parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several unrelated types for a broken file
            raise DataFormatError(path, None, f"unreadable Parquet ({exc})") from exc
    else:
        try:
            frame = pd.read_excel(path)
        except ImportError as exc:
            raise InvalidInput(
                "reading Excel needs openpyxl: `pip install openpyxl`, or export the sheet as CSV"
            ) from exc
    header = [str(c) for c in frame.columns]
    names = unique_names(header)
    frame.columns = names
    info = ReadInfo(str(path), fmt, len(frame), renamed={h: n for h, n in zip(header, names) if h != n})
    return frame, info

"""Reading a batch job's inputs into one table of ``id`` + payload columns, whatever the source format.

Sources: a folder or a glob of images; a CSV, Parquet or JSONL file of texts (column ``text``) or of
records (every column but the id); a Parquet file of image bytes (column ``image``) or image paths
(column ``path``). Ids come from the ``id`` column when there is one, else the row number (files:
the path relative to the folder), and must be unique: resume is keyed by them.
"""
from __future__ import annotations

import csv
import glob
import json
from pathlib import Path
from typing import Literal

import pyarrow as pa

from core.errors import DataFormatError, InvalidInput, NotFound

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"})
TABLE_SUFFIXES = frozenset({".csv", ".parquet", ".jsonl", ".ndjson"})
InputKind = Literal["image", "text", "record"]
# payload columns of the input table; exactly one is filled per kind (images: ``image`` or ``path``)
PAYLOAD_COLUMNS = ("text", "image", "path", "record")


def _image_files(source: str) -> tuple[list[Path], Path]:
    path = Path(source)
    if path.is_dir():
        root = path
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    else:
        root = Path(glob.escape(source)).parent if not glob.has_magic(source) else _glob_root(source)
        files = sorted(Path(p) for p in glob.glob(source, recursive=True) if Path(p).is_file())
    return files, root


def _glob_root(pattern: str) -> Path:
    parts = []
    for part in Path(pattern).parts:
        if glob.has_magic(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path(".")


def _read_table(path: Path) -> pa.Table:
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path)
        if suffix == ".csv":
            import pyarrow.csv as pcsv

            # every column as text: ids like 007 and texts like "12" stay what the file says
            with path.open(encoding="utf-8-sig", newline="") as fh:
                names = next(csv.reader(fh), [])
            return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
                column_types={name: pa.string() for name in names}, strings_can_be_null=False))
        rows = []
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataFormatError(path, number, f"not JSON: {exc.msg}") from exc
                if not isinstance(row, dict):
                    raise DataFormatError(path, number, f"expected a JSON object, got {type(row).__name__}")
                rows.append(row)
        return pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise DataFormatError(path, None, str(exc)) from exc


def _ids(table: pa.Table, id_column: str, path: Path) -> list[str]:
    if id_column in table.column_names:
        ids = ["" if v is None else str(v) for v in table.column(id_column).to_pylist()]
    else:
        ids = [str(i) for i in range(table.num_rows)]
    seen: set[str] = set()
    for row, value in enumerate(ids):
        if value in seen:
            raise DataFormatError(path, row + 1, f"id {value!r} repeats; ids must be unique (resume is keyed by them)")
        seen.add(value)
    return ids


def read_inputs(source: str | Path, kind: InputKind, *, id_column: str = "id",
                column: str | None = None) -> pa.Table:
    """The inputs as a table ``id`` + one payload column (``text``, ``image``, ``path`` or ``record``)."""
    source = str(source)
    path = Path(source)
    if path.suffix.lower() in TABLE_SUFFIXES and not glob.has_magic(source):
        if not path.is_file():
            raise NotFound(f"input file {source!r} does not exist")
        return _from_table(path, kind, id_column, column)
    if kind != "image":
        raise InvalidInput(f"{source!r}: a {kind} task reads a CSV, Parquet or JSONL file, not a folder or glob")
    files, root = _image_files(source)
    if not files:
        raise NotFound(f"no image files ({', '.join(sorted(IMAGE_SUFFIXES))}) found at {source!r}")
    ids = [p.relative_to(root).as_posix() if p.is_relative_to(root) else p.as_posix() for p in files]
    return pa.table({"id": ids, "path": [str(p.resolve()) for p in files]})


def _from_table(path: Path, kind: InputKind, id_column: str, column: str | None) -> pa.Table:
    table = _read_table(path)
    ids = _ids(table, id_column, path)
    if kind == "text":
        name = column or "text"
        if name not in table.column_names:
            raise DataFormatError(path, None, f"no column {name!r} (columns: {table.column_names}); "
                                  "name the text column with --column")
        texts = ["" if v is None else str(v) for v in table.column(name).to_pylist()]
        return pa.table({"id": ids, "text": texts})
    if kind == "image":
        name = column or next((c for c in ("image", "path") if c in table.column_names), None)
        if name is None or name not in table.column_names:
            raise DataFormatError(path, None, f"no image column (looked for {column or 'image, path'}; "
                                  f"columns: {table.column_names})")
        values = table.column(name)
        if pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type):
            return pa.table({"id": ids, "image": values.cast(pa.binary())})
        base = path.parent
        paths = [str((base / str(v)).resolve()) if v is not None else "" for v in values.to_pylist()]
        return pa.table({"id": ids, "path": paths})
    keep = [c for c in table.column_names if c != id_column]
    records = [json.dumps(row, default=str) for row in table.select(keep).to_pylist()]
    return pa.table({"id": ids, "record": records})

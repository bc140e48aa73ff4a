"""A batch job's output: part files written as results arrive, merged into one Parquet file at the end.

Results are first written as ``OUT.parquet.parts/part-*.parquet`` (one per finished block, atomically:
written under a temporary name, then renamed), so a job that dies keeps every finished input. The
merge writes ``OUT.parquet`` (one row per input, in input order) and removes the parts. A rerun reads
the ids already in ``OUT.parquet`` and in the parts, and skips them.
"""
from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from batch.predictor import RESULT_SCHEMA
from core.errors import DataFormatError


def parts_dir(output: Path) -> Path:
    return output.with_name(output.name + ".parts")


def _read(path: Path) -> pa.Table:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataFormatError(path, None, f"not a readable Parquet file: {exc}") from exc
    missing = set(RESULT_SCHEMA.names) - set(table.column_names)
    if missing:
        raise DataFormatError(path, None, f"not a batch output (missing columns {sorted(missing)}); "
                              "choose another --output")
    return table.select(RESULT_SCHEMA.names).cast(RESULT_SCHEMA)


def finished_tables(output: Path) -> list[pa.Table]:
    """Every result already written for this output: the merged file and the parts of an unfinished run."""
    tables = [_read(output)] if output.is_file() else []
    folder = parts_dir(output)
    if folder.is_dir():
        tables += [_read(part) for part in sorted(folder.glob("part-*.parquet"))]
    return tables


def finished_ids(output: Path) -> set[str]:
    return {i for table in finished_tables(output) for i in table.column("id").to_pylist()}


def write_part(output: Path, table: pa.Table) -> Path:
    """Write one block of results so that a reader sees all of it or none of it."""
    folder = parts_dir(output)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"part-{uuid.uuid4().hex}.parquet"
    tmp = folder / f".{name}.tmp"
    pq.write_table(table.cast(RESULT_SCHEMA), tmp)
    os.replace(tmp, folder / name)
    return folder / name


def merge(output: Path, order: Sequence[str]) -> int:
    """Write ``output`` from everything finished (ids in ``order`` first, in that order); return its rows."""
    tables = finished_tables(output)
    combined = pa.concat_tables(tables) if tables else RESULT_SCHEMA.empty_table()
    ids = combined.column("id").to_pylist()
    first: dict[str, int] = {}
    for row, value in enumerate(ids):
        first.setdefault(value, row)  # a duplicate can only come from a part written twice: keep one
    rank = {value: i for i, value in enumerate(order)}
    rows = sorted(first.values(), key=lambda r: (rank.get(ids[r], len(rank)), r))
    merged = combined.take(pa.array(rows, type=pa.int64()))
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    pq.write_table(merged, tmp)
    os.replace(tmp, output)
    shutil.rmtree(parts_dir(output), ignore_errors=True)
    return merged.num_rows

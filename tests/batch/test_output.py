"""Batch output: part files survive a dead job, the merge keeps input order and one row per id."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from batch.output import finished_ids, merge, parts_dir, write_part
from batch.predictor import RESULT_SCHEMA
from core.errors import DataFormatError


def _rows(ids: list[str], error: str | None = None) -> pa.Table:
    return pa.table({"id": ids, "result": [None if error else f'{{"v": "{i}"}}' for i in ids],
                     "error": [error] * len(ids), "error_type": ["InvalidInput" if error else None] * len(ids)},
                    schema=RESULT_SCHEMA)


def test_parts_then_merge_in_input_order(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    write_part(out, _rows(["c", "a"]))
    write_part(out, _rows(["b"], error="empty text"))
    assert finished_ids(out) == {"a", "b", "c"}
    assert not out.exists()
    assert merge(out, ["a", "b", "c"]) == 3
    table = pq.read_table(out)
    assert table.column("id").to_pylist() == ["a", "b", "c"]
    assert table.column("error").to_pylist() == [None, "empty text", None]
    assert not parts_dir(out).exists()


def test_rerun_adds_to_the_merged_file_and_keeps_one_row_per_id(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    write_part(out, _rows(["a", "b"]))
    merge(out, ["a", "b", "c"])
    write_part(out, _rows(["c"]))
    write_part(out, _rows(["c"]))  # a block delivered twice must not give two rows
    assert finished_ids(out) == {"a", "b", "c"}
    assert merge(out, ["c", "b", "a"]) == 3
    assert pq.read_table(out).column("id").to_pylist() == ["c", "b", "a"]


def test_a_half_written_part_is_invisible(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    parts_dir(out).mkdir()
    (parts_dir(out) / ".part-x.parquet.tmp").write_bytes(b"PAR1 half")
    assert finished_ids(out) == set()


def test_an_output_that_is_not_a_batch_output_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    pq.write_table(pa.table({"x": [1]}), out)
    with pytest.raises(DataFormatError, match="not a batch output"):
        finished_ids(out)

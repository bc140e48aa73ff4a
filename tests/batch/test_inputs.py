"""Reading batch inputs: folders, globs, CSV/JSONL/Parquet of texts, records, image bytes and paths."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from batch.inputs import read_inputs
from core.errors import DataFormatError, InvalidInput, NotFound


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buf, "PNG")
    return buf.getvalue()


def test_folder_of_images_ids_are_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "b.png").write_bytes(_png())
    (tmp_path / "sub" / "a.JPG").write_bytes(b"not really a jpeg")  # read later: a bad image is an error row
    (tmp_path / "notes.txt").write_text("skip me")
    table = read_inputs(tmp_path, "image")
    assert table.column("id").to_pylist() == ["b.png", "sub/a.JPG"]
    assert table.column("path").to_pylist() == [str((tmp_path / "b.png").resolve()),
                                                str((tmp_path / "sub" / "a.JPG").resolve())]


def test_glob_of_images(tmp_path: Path) -> None:
    for name in ("x1.png", "x2.png", "y.png"):
        (tmp_path / name).write_bytes(_png())
    table = read_inputs(str(tmp_path / "x*.png"), "image")
    assert table.column("id").to_pylist() == ["x1.png", "x2.png"]


def test_empty_folder_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        read_inputs(tmp_path, "image")


def test_csv_of_texts_keeps_ids_and_empty_texts_as_text(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('id,text\n007,"good, really"\n8,\n9,12\n', encoding="utf-8")
    table = read_inputs(path, "text")
    assert table.column("id").to_pylist() == ["007", "8", "9"]
    assert table.column("text").to_pylist() == ["good, really", "", "12"]  # empty stays: predict rejects it


def test_jsonl_texts_without_id_get_row_numbers_and_a_named_column(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"review": "fine"}\n\n{"review": "bad"}\n', encoding="utf-8")
    table = read_inputs(path, "text", column="review")
    assert table.column("id").to_pylist() == ["0", "1"]
    assert table.column("text").to_pylist() == ["fine", "bad"]


def test_missing_text_column_names_the_file_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,body\n1,x\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="no column 'text'.*body"):
        read_inputs(path, "text")


def test_bad_jsonl_line_is_a_data_format_error_with_line(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "a"}\n{oops\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"t.jsonl:2"):
        read_inputs(path, "text")


def test_repeated_ids_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,text\na,x\na,y\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="repeats"):
        read_inputs(path, "text")


def test_parquet_of_image_bytes_and_of_paths(tmp_path: Path) -> None:
    data = tmp_path / "bytes.parquet"
    pq.write_table(pa.table({"id": ["p", "q"], "image": pa.array([_png(), b"\x89PNG broken"], pa.binary())}), data)
    table = read_inputs(data, "image")
    assert table.column_names == ["id", "image"] and table.column("image")[0].as_py() == _png()
    (tmp_path / "img.png").write_bytes(_png())
    paths = tmp_path / "paths.parquet"
    pq.write_table(pa.table({"path": ["img.png"]}), paths)  # relative to the Parquet file's folder
    table = read_inputs(paths, "image")
    assert table.to_pylist() == [{"id": "0", "path": str((tmp_path / "img.png").resolve())}]


def test_records_are_json_objects_without_the_id(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    pq.write_table(pa.table({"id": [1, 2], "age": [30, 41], "region": ["N", "S"]}), path)
    table = read_inputs(path, "record")
    assert table.column("id").to_pylist() == ["1", "2"]
    assert [json.loads(r) for r in table.column("record").to_pylist()] == [{"age": 30, "region": "N"},
                                                                           {"age": 41, "region": "S"}]


def test_a_text_task_refuses_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="CSV, Parquet or JSONL"):
        read_inputs(tmp_path, "text")


def test_a_missing_input_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        read_inputs(tmp_path / "reviews.csv", "text")

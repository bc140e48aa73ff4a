"""Reading what clients send: sniffed CSV dialects, Parquet, CoIL tables, and clear errors for broken files."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core.errors import DataFormatError
from tabular.propensity.readers import read_client_file
from tabular.propensity.sqlnames import quote_identifier, unique_names


def test_semicolon_bom_decimal_commas_quotes_and_duplicates(tmp_path: Path) -> None:
    text = (
        "\ufeffdefault;emp.var.rate;order id;Größe;select;select;y\n"
        'no;1,1;A-1;"1.234,5";"a;b";x;yes\n'
        'yes;-0,5;A-2;"12,0";plain;x;no\n'
        "unknown;2;A-3;;\"say \"\"hi\"\"\";x;no\n"
    )
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("utf-8"))
    frame, info = read_client_file(path)
    assert list(frame.columns) == ["default", "emp.var.rate", "order id", "Größe", "select", "select_2", "y"]
    assert info.delimiter == ";" and info.bom and info.renamed == {"select": "select_2"}
    assert frame["emp.var.rate"].tolist() == [1.1, -0.5, 2.0]
    assert frame["Größe"].tolist()[:2] == [1234.5, 12.0] and pd.isna(frame["Größe"].iloc[2])
    assert frame["select"].tolist() == ["a;b", "plain", 'say "hi"']
    assert set(info.decimal_comma_columns) == {"emp.var.rate", "Größe"}
    # the same file gzipped (as the bank-marketing drop is) reads the same
    gz = tmp_path / "export.csv.gz"
    gz.write_bytes(gzip.compress(text.encode("utf-8")))
    again, info_gz = read_client_file(gz)
    assert info_gz.compressed and again.equals(frame)


def test_comma_csv_keeps_dots_and_parquet(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("a,b,c\n1.5,x,\n2.5,y,3\n")
    frame, info = read_client_file(path)
    assert info.delimiter == "," and frame["a"].tolist() == [1.5, 2.5] and frame["c"].isna().iloc[0]
    pq = tmp_path / "t.parquet"
    pd.DataFrame({"order id": [1, 2], "select": ["u", "v"]}).to_parquet(pq)
    frame, info = read_client_file(pq)
    assert info.format == "parquet" and list(frame.columns) == ["order id", "select"]


def test_malformed_csv_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text("a;b;c\n1;2;3\n4;5;6\n7;8\n")
    with pytest.raises(DataFormatError, match=r"broken\.csv:4: expected 3 fields") as err:
        read_client_file(path)
    assert err.value.detail["line"] == 4


def test_coil_table_and_its_errors(tmp_path: Path) -> None:
    good = tmp_path / "ticdata.txt"
    good.write_text("33 1 3 0\n37 1 2 1\n\n9 0 1 0\n")
    frame, info = read_client_file(good, "coil")
    assert info.format == "coil" and list(frame.columns) == ["col_1", "col_2", "col_3", "target"]
    assert frame["target"].tolist() == [0, 1, 0] and frame["col_1"].dtype == "int64"
    short = tmp_path / "short.txt"
    short.write_text("1 2 3 0\n1 2 3 1\n1 2 0\n")
    with pytest.raises(DataFormatError, match=r"short\.txt:3: expected 4"):
        read_client_file(short, "coil")
    text = tmp_path / "text.txt"
    text.write_text("1 2 3 0\n1 two 3 1\n")
    with pytest.raises(DataFormatError, match=r"text\.txt:2: non-numeric"):
        read_client_file(text, "coil")


def test_identifiers_survive_duckdb() -> None:
    names = unique_names(["default", "emp.var.rate", "order id", "Größe", "select", 'q"uote', "select"])
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t ({', '.join(quote_identifier(n) + ' INTEGER' for n in names)})")
    assert [r[0] for r in con.execute("DESCRIBE t").fetchall()] == names
    with pytest.raises(ValueError):
        quote_identifier("")


def test_broken_parquet_and_empty_csv(tmp_path: Path) -> None:
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"PAR1 this is not a parquet file")
    with pytest.raises(DataFormatError, match=r"broken\.parquet: unreadable Parquet"):
        read_client_file(bad)
    empty = tmp_path / "empty.csv"
    empty.write_text("a;b\n")
    with pytest.raises(DataFormatError, match=r"empty\.csv:2: the file has a header but no data rows"):
        read_client_file(empty)

"""Reading a client's labelled CSV: columns, label spellings, bad files."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InvalidInput
from nlp.sentiment.datasets import parse_label, read_labelled, sst2


def test_labels_in_common_spellings() -> None:
    assert [parse_label(v, row=1) for v in ("1", "positive", "POS", "0", "neg", "Negative")] == [1, 1, 1, 0, 0, 0]
    with pytest.raises(InvalidInput, match="row 7"):
        parse_label("maybe", row=7)


def test_read_csv_with_named_columns(tmp_path: Path) -> None:
    path = tmp_path / "client.csv"
    path.write_text('review,stars\n"Great, really",positive\nawful,negative\n   ,positive\n', encoding="utf-8")
    data = read_labelled(path, "review", "stars")
    assert data.texts == ["Great, really", "awful"] and data.labels == [1, 0]


def test_missing_column_and_single_class_and_bad_bytes(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("text,label\nok,1\nfine,1\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="no column 'sentiment'"):
        read_labelled(path, "text", "sentiment")
    with pytest.raises(InvalidInput, match="both positive and negative"):
        read_labelled(path)
    path.write_bytes(b"text,label\n\xff\xfe bad,1\n")
    with pytest.raises(InvalidInput, match="UTF-8"):
        read_labelled(path)
    with pytest.raises(InvalidInput, match="does not exist"):
        read_labelled(tmp_path / "nope.csv")


def test_sst2_dev_loads(shared_data: Path) -> None:
    dev = sst2("dev", shared_data / "sst2")
    assert len(dev) == 6735 and set(dev.labels) == {0, 1}

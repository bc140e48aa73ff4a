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


def test_auto_labels_keep_the_clients_names(tmp_path: Path) -> None:
    path = tmp_path / "smsa_like.tsv"
    path.write_text("enak sekali\tpositive\nbiasa saja\tneutral\nburuk\tnegative\nmantap\tpositive\n", encoding="utf-8")
    data = read_labelled(path, 0, 1, labels="auto", header=False)
    assert data.label_names == ("negative", "neutral", "positive")
    assert data.labels == [2, 1, 0, 2] and data.counts() == {"negative": 1, "neutral": 1, "positive": 2}
    fixed = read_labelled(path, 0, 1, labels="auto", header=False, label_names=("positive", "neutral", "negative"))
    assert fixed.labels == [0, 1, 2, 0]
    with pytest.raises(InvalidInput, match="at least two label values"):
        path.write_text("a\tx\nb\tx\n", encoding="utf-8")
        read_labelled(path, 0, 1, labels="auto", header=False)


def test_malformed_rows_name_file_and_line(tmp_path: Path) -> None:
    from core.errors import DataFormatError

    path = tmp_path / "bad.tsv"
    path.write_text("sentence\tlabel\ngood\t1\nno label column here\nbad\t0\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"bad.tsv:3: 1 field"):
        read_labelled(path, "sentence", "label")
    path.write_text("sentence\tlabel\ngood\t1\nbad\tmaybe\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"bad.tsv:3: .*'maybe'"):
        read_labelled(path, "sentence", "label")
    path.write_text("sentence\tlabel\ngood\t\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"bad.tsv:2: the label is empty"):
        read_labelled(path, "sentence", "label", labels="auto")
    path.write_text("good\tpositive\nfine\tnegative\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="without a header"):
        read_labelled(path, "sentence", "label", header=False)


def test_stratified_split_keeps_class_shares_and_never_repeats_a_held_out_text() -> None:
    from nlp.sentiment.datasets import LabelledTexts

    texts = [f"t{i}" for i in range(100)] + ["dup"] * 4
    labels = [0] * 70 + [1] * 20 + [2] * 10 + [0] * 4
    data = LabelledTexts("d", texts, labels, ("a", "b", "c"))
    kept, held = data.split(0.1, seed=3)
    assert held.counts() == {"a": 7, "b": 2, "c": 1}
    assert not set(kept.texts) & set(held.texts)
    _, again_held = data.split(0.1, seed=3)
    assert again_held.texts == held.texts

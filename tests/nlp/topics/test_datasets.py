"""Readers of labelled corpora for topic evaluation: TSV/CSV tables and <class>/<doc>.txt folders."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import DataFormatError, InvalidInput
from nlp.topics.datasets import Corpus, read_folders, read_labelled_corpus


def test_table_with_header_and_without(tmp_path: Path) -> None:
    path = tmp_path / "news.csv"
    path.write_text('text,label\n"Stocks fell, again",business\nUnited won,sport\n', encoding="utf-8")
    corpus = read_labelled_corpus(path)
    assert corpus.texts == ["Stocks fell, again", "United won"] and corpus.labels == ["business", "sport"]
    assert corpus.origin == "labelled"
    plain = tmp_path / "news.tsv"
    plain.write_text("Stocks fell\tbusiness\nUnited won\tsport\n", encoding="utf-8")
    assert read_labelled_corpus(plain, 0, 1, header=False).labels == ["business", "sport"]


def test_malformed_table_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("text\tlabel\nStocks fell\tbusiness\nno label here\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"bad.tsv:3"):
        read_labelled_corpus(path)
    with pytest.raises(InvalidInput, match="format must be"):
        read_labelled_corpus(path, data_format="xml")


def test_class_folders(tmp_path: Path) -> None:
    for cls, docs in {"business": ["Shares rose.", "Profit fell."], "sport": ["A late goal." * 3000]}.items():
        (tmp_path / "bbc" / cls).mkdir(parents=True)
        for i, doc in enumerate(docs):
            (tmp_path / "bbc" / cls / f"{i:03d}.txt").write_text(doc, encoding="utf-8")
    corpus = read_labelled_corpus(tmp_path / "bbc")
    assert corpus.labels == ["business", "business", "sport"] and len(corpus.texts[2]) > 20_000
    (tmp_path / "bbc" / "sport" / "001.txt").write_bytes(b"\xff\xfe broken")
    with pytest.raises(DataFormatError, match=r"sport/001.txt"):
        read_folders(tmp_path / "bbc")
    (tmp_path / "flat").mkdir()
    with pytest.raises(InvalidInput, match="two class folders"):
        read_folders(tmp_path / "flat")


def test_read_data_guesses_the_layout(tmp_path: Path) -> None:
    from nlp.sentiment.datasets import read_data as sentiment_data
    from nlp.topics.datasets import read_data

    agnews_like = tmp_path / "dev.tsv"
    agnews_like.write_text("Oil prices rose\tBusiness\nUnited won\tSports\n", encoding="utf-8")
    assert read_data(agnews_like).labels == ["Business", "Sports"]
    glue = tmp_path / "glue.csv"
    glue.write_text("id,sentence,label\n1,great film,1\n2,awful,0\n", encoding="utf-8")
    assert sentiment_data(glue).labels == [1, 0] and sentiment_data(glue).texts == ["great film", "awful"]
    (tmp_path / "bad.tsv").write_text("only one column\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="bad.tsv:1"):
        read_data(tmp_path / "bad.tsv")


def test_rows_give_the_halves_settings_are_chosen_on() -> None:
    corpus = Corpus("c", ["a", "b", "c", "d"], ["x", "y", "x", "y"], [], "generated")
    first, second = corpus.rows(0, 2), corpus.rows(2)
    assert first.texts + second.texts == corpus.texts and second.labels == ["x", "y"]
    assert second.name == "c[2:]" and second.origin == "generated"

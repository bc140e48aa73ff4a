"""Readers of real labelled data (SROIE boxes + keys, page + transcription pairs) and their scoring, on generated fixtures."""
from __future__ import annotations

import json

import pytest
from PIL import Image

from core.errors import DataFormatError, InvalidInput
from vision.ocr.labelled import detect_format, read_labelled, split_of
from vision.ocr.labelled_eval import PageReading, ReadLine, score_page, summarise


def _sroie(root, box_rows: list[str], key: object | None = None) -> None:
    for sub in ("img", "box", "key"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (200, 100), "white").save(root / "img" / "007.jpg")
    (root / "box" / "007.csv").write_text("\n".join(box_rows) + "\n", encoding="utf-8")
    if key is not None:
        (root / "key" / "007.json").write_text(key if isinstance(key, str) else json.dumps(key), encoding="utf-8")


def test_sroie_lines_keys_and_ignored_transcripts(tmp_path) -> None:
    _sroie(tmp_path, ["10,10,90,10,90,30,10,30,ABC TRADING, SDN BHD", "10,40,90,40,90,60,10,60,###",
                      "10,70,190,70,190,90,10,90,TOTAL 9.00"], {"company": "ABC TRADING", "total": "9.00"})
    data = read_labelled(tmp_path)
    assert data.format == "sroie" and len(data) == 1
    page = data.pages[0]
    assert [line.text for line in page.lines] == ["ABC TRADING, SDN BHD", "TOTAL 9.00"]  # commas kept, ### dropped
    assert page.lines[0].box == (10, 10, 90, 30) and page.key == {"company": "ABC TRADING", "total": "9.00"}


def test_malformed_box_file_names_file_and_line(tmp_path) -> None:
    _sroie(tmp_path, ["10,10,90,10,90,30,10,30,FINE", "10,10,90,10,oops,30,10,30,BAD"])
    with pytest.raises(DataFormatError, match=r"007\.csv:2") as caught:
        read_labelled(tmp_path, "sroie")
    assert caught.value.detail["line"] == 2
    _sroie(tmp_path, ["10,10,90,10,90,30,10"])
    with pytest.raises(DataFormatError, match=r"007\.csv:1"):
        read_labelled(tmp_path, "sroie")


def test_blank_key_field_is_not_scored(tmp_path) -> None:
    """A field labelled ``""`` (SROIE tuning receipt 033's total) is unlabelled, not a miss of every extractor."""
    _sroie(tmp_path, ["10,10,90,10,90,30,10,30,ABC TRADING"], {"company": "ABC TRADING", "total": " "})
    page = read_labelled(tmp_path).pages[0]
    assert page.key == {"company": "ABC TRADING"}
    reading = PageReading(lines=[ReadLine("ABC TRADING", (10, 10, 90, 30), (("ABC", (10, 10, 40, 30)),
                                                                              ("TRADING", (45, 10, 90, 30))))],
                          text="ABC TRADING")
    score = score_page(page, reading, upper=True, fields={"company": "ABC TRADING", "total": "8.20"})
    assert score.fields == {"company": True}


def test_malformed_key_file(tmp_path) -> None:
    _sroie(tmp_path, ["10,10,90,10,90,30,10,30,FINE"], '{"company": "A",\n "total": }')
    with pytest.raises(DataFormatError, match=r"007\.json:2"):
        read_labelled(tmp_path)


def test_pages_format_and_empty_transcription(tmp_path) -> None:
    Image.new("RGB", (40, 20), "white").save(tmp_path / "p1.png")
    (tmp_path / "p1.txt").write_text("two columns\nread in order", encoding="utf-8")
    assert detect_format(tmp_path) == "pages"
    data = read_labelled(tmp_path)
    assert data.pages[0].reference_text.startswith("two columns")
    (tmp_path / "p1.txt").write_text("  \n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"p1\.txt:1"):
        read_labelled(tmp_path, "pages")
    with pytest.raises(InvalidInput):
        read_labelled(tmp_path / "missing")


def test_split_is_fixed_by_file_number() -> None:
    assert split_of("001") == split_of("052.jpg") == "tune"
    assert split_of("053") == split_of("105") == "report"


def test_scores_words_lines_and_fields(tmp_path) -> None:
    _sroie(tmp_path, ["10,10,90,10,90,30,10,30,ABC TRADING", "10,70,190,70,190,90,10,90,TOTAL 9.00"],
           {"company": "ABC TRADING", "total": "9.00"})
    page = read_labelled(tmp_path).pages[0]
    reading = PageReading(lines=[ReadLine("abc trading", (10, 10, 90, 30),
                                          (("abc", (10, 10, 40, 30)), ("trading", (45, 10, 90, 30)))),
                                 ReadLine("TOTAL 9,00", (10, 70, 190, 90),
                                          (("TOTAL", (10, 70, 60, 90)), ("9,00", (100, 70, 190, 90))))],
                          text="abc trading\nTOTAL 9,00")
    score = score_page(page, reading, upper=True, fields={"company": "ABC  TRADING", "total": "9.01"})
    assert (score.words.matched, score.words.n_reference, score.words.n_predicted) == (3, 4, 4)
    assert score.line_edits == 1 and score.line_chars == len("ABC TRADING") + len("TOTAL 9.00")
    assert score.fields == {"company": True, "total": False}
    values, intervals = summarise([score, score])
    assert values["word_f1"] == pytest.approx(0.75) and values["field_exact[company]"] == 1.0
    assert values["field_exact_mean"] == 0.5 and intervals["field_exact_mean"][0] < 0.5
    assert PageReading.from_json(reading.to_json()) == reading

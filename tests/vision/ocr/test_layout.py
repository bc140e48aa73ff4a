"""Reading order from word boxes: the true boxes of rendered pages, shuffled, come back in reading order."""
from __future__ import annotations

import random

import pytest

from vision.ocr.layout import WordBox, reading_order
from vision.ocr.synth import PageSpec, render_page


def _read(page, shuffle_seed: int) -> str:
    words = list(page.words)
    random.Random(shuffle_seed).shuffle(words)
    lines = reading_order([WordBox(*w.box) for w in words])
    return "\n".join(" ".join(words[i].text for i in line.words) for line in lines)


@pytest.mark.parametrize("columns", [1, 2, 3])
@pytest.mark.parametrize("font", ["DejaVuSans", "LiberationSerif-Regular"])
def test_columns_are_read_one_after_another(columns: int, font: str) -> None:
    page = render_page(PageSpec(font=font, dpi=100, columns=columns, height_in=5.0), seed=columns)
    assert _read(page, shuffle_seed=7) == page.text


def test_plain_top_edge_order_would_interleave_columns() -> None:
    page = render_page(PageSpec(dpi=100, columns=2, height_in=4.0), seed=2)
    by_top = sorted(page.words, key=lambda w: (round(w.box[1]), w.box[0]))
    assert " ".join(w.text for w in by_top) != " ".join(page.text.split())


def test_every_word_appears_once_and_blocks_are_numbered() -> None:
    page = render_page(PageSpec(dpi=100, columns=3, height_in=4.0), seed=5)
    lines = reading_order([WordBox(*w.box) for w in page.words])
    indices = [i for line in lines for i in line.words]
    assert sorted(indices) == list(range(len(page.words)))
    assert {line.block for line in lines} >= {0, 1, 2, 3}  # title + three columns


def test_empty_and_single() -> None:
    assert reading_order([]) == []
    assert [line.words for line in reading_order([WordBox(0, 0, 5, 5)])] == [[0]]


def test_hyphenated_line_ends_join_in_text_only_within_a_block() -> None:
    from vision.ocr.layout import page_text

    assert page_text([("we ex-", 0), ("plain it", 0)]) == "we explain it"
    assert page_text([("we ex-", 0), ("plain it", 0)], join_hyphens=False) == "we ex-\nplain it"
    assert page_text([("ex-", 0), ("Plain", 0), ("co-", 1), ("op", 2), ("3-", 2), ("four", 2)]) == \
        "ex-\nPlain\nco-\nop\n3-\nfour"

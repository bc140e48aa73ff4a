"""Rendered pages: deterministic, laid out as asked, turned and degraded on request."""
from __future__ import annotations

from collections import Counter

import pytest

from core.errors import InvalidInput
from core.images import load_image
from vision.ocr.synth import PageSpec, bad_input, render_page, sample_inputs

SMALL = PageSpec(dpi=100, height_in=3.0)


def test_render_is_deterministic_and_truth_matches_words() -> None:
    a, b = render_page(SMALL, seed=3), render_page(SMALL, seed=3)
    assert a.text == b.text and a.image.tobytes() == b.image.tobytes()
    assert " ".join(w.text for w in a.words) == " ".join(a.text.split())


@pytest.mark.parametrize("columns", [1, 2, 3])
def test_columns_have_one_left_edge_each(columns: int) -> None:
    page = render_page(PageSpec(dpi=100, height_in=3.0, columns=columns), seed=1)
    title_bottom = page.words[0].box[3]
    lefts = Counter(round(w.box[0], 1) for w in page.words if w.box[1] > title_bottom)
    assert len([x for x, count in lefts.items() if count >= 3]) == columns


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_turns_the_image(rotation: int) -> None:
    upright = render_page(SMALL, seed=0).image.size
    turned = render_page(PageSpec(dpi=100, height_in=3.0, rotation=rotation), seed=0).image.size
    assert turned == (upright if rotation == 180 else upright[::-1])


def test_bad_specs_are_rejected() -> None:
    with pytest.raises(InvalidInput):
        render_page(PageSpec(columns=4))
    with pytest.raises(InvalidInput):
        render_page(PageSpec(font="NoSuchFont"))


def test_contract_inputs() -> None:
    assert all(load_image(x).size[0] > 100 for x in sample_inputs(3))
    with pytest.raises(InvalidInput):
        load_image(bad_input())

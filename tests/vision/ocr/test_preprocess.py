"""Deskew, contrast stretching, quarter turns and box mapping."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from vision.ocr.preprocess import estimate_skew, rotate_small, stretch_contrast, turn, turn_box
from vision.ocr.synth import PageSpec, render_page

PAGE = PageSpec(dpi=100, height_in=4.0)


@pytest.mark.parametrize("skew", [-3.0, 1.5, 2.5])
def test_skew_is_estimated_within_half_a_degree(skew: float) -> None:
    grey = np.asarray(render_page(replace(PAGE, skew_deg=skew), seed=1).image.convert("L"))
    assert abs(estimate_skew(grey) - skew) <= 0.5


def test_deskewed_page_measures_straight() -> None:
    grey = np.asarray(render_page(replace(PAGE, skew_deg=2.0), seed=2).image.convert("L"))
    assert abs(estimate_skew(rotate_small(grey, -estimate_skew(grey)))) <= 0.5


def test_blank_page_has_no_skew() -> None:
    assert estimate_skew(np.full((100, 200), 255, np.uint8)) == 0.0


def test_stretch_contrast_spans_the_range() -> None:
    faded = np.asarray(render_page(replace(PAGE, contrast=0.3), seed=0).image.convert("L"))
    stretched = stretch_contrast(faded)
    assert np.ptp(faded) < 120 and stretched.min() == 0 and stretched.max() == 255


@pytest.mark.parametrize("degrees", [0, 90, 180, 270])
def test_turn_box_follows_turn(degrees: int) -> None:
    image = np.zeros((40, 70), np.uint8)
    image[5:12, 20:33] = 255  # box (20, 5, 33, 12)
    turned = turn(image, degrees)
    ys, xs = np.nonzero(turned)
    assert turn_box((20, 5, 33, 12), degrees, 70, 40) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)

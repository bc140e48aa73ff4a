"""Reader pieces that need no weights: the text band of a crop and how views are fused."""
from __future__ import annotations

import numpy as np

from vision.plate.formats import formats_for
from vision.plate.read import Reading, crop_views, fuse, text_band
from vision.plate.synth import render_plate


def test_text_band_drops_the_city_strip_of_an_old_brazilian_plate() -> None:
    plate = np.asarray(render_plate(np.random.default_rng(2), "br_old").image)
    band = text_band(plate)
    assert 0.4 * plate.shape[0] < band.shape[0] < 0.95 * plate.shape[0]
    assert band.shape[1] <= plate.shape[1]
    assert len(crop_views(plate)) == 3


def test_text_band_leaves_a_blank_crop_alone() -> None:
    blank = np.full((40, 120, 3), 200, np.uint8)
    assert text_band(blank).shape == blank.shape


def test_fuse_votes_per_character_within_the_winning_format() -> None:
    br_old = formats_for("BR")[0]
    readings = [
        Reading("ABC1234", 0.9, [0.9] * 7, "ABC1234", br_old),
        Reading("ABO1234", 0.6, [0.9, 0.9, 0.3, 0.9, 0.9, 0.9, 0.9], "AB01234", br_old),
        Reading("ABC123", 0.95, [0.95] * 6, "ABC123", None),
    ]
    fused = fuse(readings)
    assert fused.text == "ABC1234" and fused.format is br_old
    assert fuse([readings[2]]).text == "ABC123"

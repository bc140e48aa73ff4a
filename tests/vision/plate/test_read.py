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


class _FixedReadings:
    """Hands back given readings in order: the combiners are tested on their rule alone."""

    def __init__(self, readings: list[Reading]) -> None:
        self.readings = readings
        self.calls: list[int] = []

    def read(self, crops: list[np.ndarray]) -> list[Reading]:
        self.calls.append(len(crops))
        return self.readings[: len(crops)]


def test_cascade_asks_the_fallback_only_where_the_primary_is_unsure() -> None:
    from vision.plate.read import CascadeRecognizer, FusedRecognizer

    br_old = formats_for("BR")[0]
    crops = [np.zeros((20, 60, 3), np.uint8)] * 3
    primary = _FixedReadings([Reading("ABC1234", 0.9, [0.9] * 7, "ABC1234", br_old),
                              Reading("XY1", 0.7, [0.7] * 3, "XY1", None),
                              Reading("ABD1234", 0.3, [0.3] * 7, "ABD1234", br_old)])
    fallback = _FixedReadings([Reading("QRS5678", 0.8, [0.8] * 7, "QRS5678", br_old),
                               Reading("ZZ9", 0.99, [0.99] * 3, "ZZ9", None)])
    out = CascadeRecognizer(primary, fallback, min_confidence=0.5).read(crops)
    assert fallback.calls == [2]  # only the formatless and the unsure reading are read again
    # A formatted, more confident fallback replaces; a formatless one never does.
    assert [r.text for r in out] == ["ABC1234", "QRS5678", "ABD1234"]
    fused = FusedRecognizer([_FixedReadings(primary.readings), _FixedReadings(primary.readings)]).read(crops)
    assert [r.text for r in fused] == ["ABC1234", "XY1", "ABD1234"]

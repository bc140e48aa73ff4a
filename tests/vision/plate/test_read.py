"""Reader pieces that need no weights (the text band of a crop, how views are fused) and easyocr (slow)."""
from __future__ import annotations

import numpy as np
import pytest

from vision.plate.formats import formats_for
from vision.plate.read import Reading, crop_views, fuse, text_band
from vision.plate.synth_plates import render_plate


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


def test_format_priors_penalise_mercosur_only_on_colour_crops_without_a_blue_band() -> None:
    from vision.plate.read import NO_BAND_PENALTY, blue_band_share, format_priors

    rng = np.random.default_rng(4)
    old = np.asarray(render_plate(rng, "br_old").image)
    mercosur = np.asarray(render_plate(rng, "br_mercosur").image)
    assert format_priors(old) == {"br_mercosur": -NO_BAND_PENALTY}
    assert format_priors(mercosur) == {}
    assert (blue_band_share(mercosur) or 0.0) > 0.1
    grey = np.repeat(mercosur.mean(axis=2, keepdims=True).astype(np.uint8), 3, axis=2)  # an IR camera
    assert blue_band_share(grey) is None and format_priors(grey) == {}


def test_fused_parts_read_only_crops_as_wide_as_they_need() -> None:
    from vision.plate.read import FusedRecognizer

    br_old = formats_for("BR")[0]
    crops = [np.zeros((20, 60, 3), np.uint8), np.zeros((40, 200, 3), np.uint8)]
    small_ok = _FixedReadings([Reading("ABC1234", 0.6, [0.6] * 7, "ABC1234", br_old)] * 2)
    big_only = _FixedReadings([Reading("ABD1234", 0.9, [0.9] * 7, "ABD1234", br_old)])
    out = FusedRecognizer([small_ok, big_only], min_widths=(0, 80)).read(crops)
    assert big_only.calls == [1] and small_ok.calls == [2]
    assert out[0].text == "ABC1234" and out[1].text == "ABD1234"  # the narrow crop keeps the first part's reading
    assert FusedRecognizer([big_only], min_widths=(80,)).read(crops[:1])[0].text == ""


def test_a_grey_plate_in_a_colour_photo_still_counts_as_colour() -> None:
    from vision.plate.read import blue_band_share

    rng = np.random.default_rng(5)
    grey = np.repeat(np.asarray(render_plate(rng, "br_old").image).mean(axis=2, keepdims=True), 3, axis=2)
    photo = np.clip(grey + rng.normal(0, 1.5, grey.shape), 0, 255).astype(np.uint8)  # sensor noise per channel
    assert np.abs(photo[..., 0].astype(int) - photo[..., 2]).mean() < 2  # channels nearly equal on average
    assert blue_band_share(photo) == 0.0


@pytest.mark.slow
def test_easyocr_reads_a_crop_the_same_alone_and_among_others() -> None:
    """easyocr's default int8 dynamic quantization scaled activations per batch: one crop read alone and
    in a batch came out as different plates."""
    from core.errors import WeightsUnavailable
    from vision.plate.read import EasyOcrPlateRecognizer

    try:
        reader = EasyOcrPlateRecognizer().load()
    except (WeightsUnavailable, FileNotFoundError) as exc:
        pytest.skip(f"easyocr weights unavailable: {exc}")
    rng = np.random.default_rng(5)
    crops = [np.asarray(render_plate(rng, style).image.resize((w, w * 130 // 400)))
             for style, w in (("br_old", 160), ("br_mercosur", 240), ("eu", 120), ("us", 300), ("br_old", 90))]
    alone = [reader.read([crop])[0] for crop in crops]
    together = reader.read(crops)
    assert [(r.text, round(r.confidence, 4)) for r in alone] == [(r.text, round(r.confidence, 4)) for r in together]

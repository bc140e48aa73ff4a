"""Plate boxes from where the reader placed the characters: text rows that run on, loose detector boxes."""
from __future__ import annotations

import numpy as np
import pytest

from core.schemas import Box
from vision.plate.boxes import fit_to_text, plate_box_from_text
from vision.plate.detect import Detection
from vision.plate.formats import PLATE_SHAPES, formats_for
from vision.plate.read import Reading

BR_OLD = formats_for("BR")[0]


def _reading(centres: list[float]) -> Reading:
    return Reading("ABC1234", 0.9, [0.9] * 7, "ABC1234", BR_OLD, centres)


def test_the_plate_spans_the_characters_over_its_text_share() -> None:
    # Characters centred at 100, 150, ... 400 px of a crop 0..500: text 75..425 px (pitch 50).
    reading = _reading([0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    box = plate_box_from_text(reading, (0, 500), Detection(0, 200, 500, 240, 0.0), 1000, 1000)
    assert box is not None
    shape = PLATE_SHAPES["BR"]
    assert box.x2 - box.x1 == pytest.approx(350 / shape.text_width)
    assert (box.x1 + box.x2) / 2 == pytest.approx(250)
    assert (box.x2 - box.x1) / (box.y2 - box.y1) == pytest.approx(shape.aspect)
    assert box.y1 + shape.text_centre * (box.y2 - box.y1) == pytest.approx(220)  # text centre line on the row's
    # No positions, a count that does not match the text, or no format: no box.
    assert plate_box_from_text(_reading([]), (0, 500), Detection(0, 200, 500, 240, 0.0), 1000, 1000) is None
    assert plate_box_from_text(_reading([0.2, 0.5]), (0, 500), Detection(0, 200, 500, 240, 0.0), 1000, 1000) is None
    free = Reading("ABC1234", 0.9, [0.9] * 7, "ABC1234", None, [0.1 * i for i in range(7)])
    assert plate_box_from_text(free, (0, 500), Detection(0, 200, 500, 240, 0.0), 1000, 1000) is None


def test_a_loose_detector_box_is_fitted_and_a_tight_one_kept() -> None:
    loose = Detection(100, 100, 700, 340, 0.4)  # plate + housing: 600 px wide for a ~400 px plate
    reading = _reading([0.25, 0.3333, 0.4167, 0.5, 0.5833, 0.6667, 0.75])  # glyphs 250..550 px of the crop
    fitted = fit_to_text(loose, reading, (100, 700), 1000, 1000, share=0.8)
    plate_w = (300 + 50) / PLATE_SHAPES["BR"].text_width
    assert fitted.x2 - fitted.x1 == pytest.approx(plate_w, rel=0.01)
    assert (fitted.y1 + fitted.y2) / 2 == pytest.approx(220) and fitted.confidence == 0.4
    assert Box(x1=fitted.x1, y1=fitted.y1, x2=fitted.x2, y2=fitted.y2).containment(
        Box(x1=loose.x1, y1=loose.y1, x2=loose.x2, y2=loose.y2)) == pytest.approx(1.0)
    tight = Detection(200, 150, 600, 280, 0.9)
    spread = _reading([0.1, 0.233, 0.367, 0.5, 0.633, 0.767, 0.9])
    assert fit_to_text(tight, spread, (200, 600), 1000, 1000, share=0.8) == tight
    assert fit_to_text(loose, reading, (100, 700), 1000, 1000, share=0.0) == loose


@pytest.mark.slow
def test_the_crnn_places_the_characters_of_a_real_reading() -> None:
    """A generated plate in a crop that runs on past it (as text rows do), read by the shipped CRNN: the
    box its characters imply fits the plate much better than the crop does."""
    from vision.plate.crnn import CrnnPlateRecognizer
    from vision.plate.synth_plates import render_plate

    try:
        reader = CrnnPlateRecognizer().load()
    except Exception as exc:  # noqa: BLE001 - weights missing is a skip, not a failure
        pytest.skip(f"CRNN weights unavailable: {exc}")
    plate = render_plate(np.random.default_rng(11), "br_old")
    canvas = np.full((200, 700, 3), 60, np.uint8)
    canvas[60:125, 60:260] = np.asarray(plate.image.resize((200, 65)))
    crop = canvas[60:125, 20:340]  # the plate, 40 px of nothing to its left and 80 px to its right
    [reading] = reader.read([crop])
    assert reading.text == plate.text and len(reading.char_centres) == len(reading.text)
    box = plate_box_from_text(reading, (20, 340), Detection(20, 60, 340, 125, 0.0), 700, 200)
    assert box is not None
    truth = Box(x1=60, y1=60, x2=260, y2=125)
    fitted = truth.iou(Box(x1=box.x1, y1=box.y1, x2=box.x2, y2=box.y2))
    assert fitted >= 0.75 and fitted > truth.iou(Box(x1=20, y1=60, x2=340, y2=125)) + 0.1

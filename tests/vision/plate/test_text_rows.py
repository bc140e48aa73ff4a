"""Plates the detector misses are looked for among rows of glyph-like strokes and kept only when read."""
from __future__ import annotations

import numpy as np
import pytest

from core.schemas import Box
from vision.plate.boxes import plate_box_from_row
from vision.plate.detect import Detection
from vision.plate.formats import formats_for
from vision.plate.propose import text_rows
from vision.plate.read import Reading
from vision.plate.reader import PlateReader
from vision.plate.synth_plates import render_plate

PLATE_AT = (220, 300, 420, 365)  # x1, y1, x2, y2 of the pasted plate (200 x 65 px)


def _car_photo() -> np.ndarray:
    """A dark car body with one old Brazilian plate pasted at ``PLATE_AT``."""
    image = np.full((480, 640, 3), 35, np.uint8)
    image[250:420, 120:520] = 20  # bumper
    plate = render_plate(np.random.default_rng(4), "br_old").image
    x1, y1, x2, y2 = PLATE_AT
    image[y1:y2, x1:x2] = np.asarray(plate.resize((x2 - x1, y2 - y1)))
    return image


def test_the_registration_row_of_a_plate_is_proposed() -> None:
    plate = Box(x1=PLATE_AT[0], y1=PLATE_AT[1], x2=PLATE_AT[2], y2=PLATE_AT[3])
    rows = text_rows(_car_photo(), max_rows=8)
    assert rows and all(r.confidence == 0.0 for r in rows)
    inside = [r for r in rows if plate.containment(Box(x1=r.x1, y1=r.y1, x2=r.x2, y2=r.y2)) > 0.9]
    assert any(r.x2 - r.x1 >= 0.6 * plate.width for r in inside)  # the registration, not one glyph
    assert text_rows(np.zeros((40, 60, 3), np.uint8)) == [] and text_rows(np.zeros((4, 4, 3), np.uint8)) == []


def test_the_plate_box_is_grown_from_its_row_the_way_each_country_prints_it() -> None:
    row = Detection(100, 200, 300, 240, 0.0)
    br, plate_id, eu = (plate_box_from_row(row, c, 640, 480) for c in ("BR", "ID", "EU"))
    assert br.x1 == pytest.approx(90) and br.x2 == pytest.approx(310)
    assert br.y1 < row.y1 - 20 and br.y2 - row.y2 < 5  # the city strip above the row
    assert plate_id.y2 > row.y2 + 20 and row.y1 - plate_id.y1 < 5  # the date row below
    assert (eu.y1 + eu.y2) / 2 == pytest.approx(220)
    assert plate_box_from_row(Detection(0, 0, 200, 20, 0.0), "BR", 150, 100).x2 == 150  # clipped
    tall = plate_box_from_row(Detection(0, 100, 100, 180, 0.0), "BR", 640, 480)
    assert tall.y2 - tall.y1 >= 80  # never smaller than the row


class _Nothing:
    def detect(self, images: list) -> list:
        return [[] for _ in images]


class _OneBox:
    """A sure detection at the plate, read as ``text``."""

    def detect(self, images: list) -> list:
        return [[Detection(*PLATE_AT, 0.9)] for _ in images]


class _ReadsPlateRows:
    """Reads ``ABC1234`` where a crop overlaps the pasted plate, a short Indonesian-like scrap elsewhere."""

    def __init__(self, text: str = "ABC1234") -> None:
        self.text, self.calls = text, 0

    def read(self, crops: list) -> list:
        self.calls += len(crops)
        br_old, id_111 = formats_for("BR")[0], formats_for("ID")[0]
        out = []
        for crop in crops:
            light = float((crop.mean(axis=2) > 120).mean())  # plates are the only light thing in the photo
            out.append(Reading(self.text, 0.95, [0.95] * len(self.text), self.text, br_old if len(self.text) == 7
                               else id_111) if light > 0.3 else Reading("", 0.0, [], "", None))
        return out


def test_rows_are_read_where_the_detector_finds_nothing_and_kept_when_read_as_a_plate() -> None:
    image = _car_photo()
    reader = _ReadsPlateRows()
    [found] = PlateReader(device="cpu", detector=_Nothing(), recognizer=reader).load().predict([image])
    assert [p.text for p in found.plates] == ["ABC1234"] and reader.calls > 0
    plate = found.plates[0]
    assert plate.box.confidence == 0.0  # not the detector's
    assert plate.box.iou(Box(x1=PLATE_AT[0], y1=PLATE_AT[1], x2=PLATE_AT[2], y2=PLATE_AT[3])) >= 0.5
    off = PlateReader(device="cpu", detector=_Nothing(), recognizer=_ReadsPlateRows(), text_rows=0).load()
    assert off.predict([image])[0].plates == []
    strict = PlateReader(device="cpu", detector=_Nothing(), recognizer=_ReadsPlateRows(), text_rows_conf=0.99).load()
    assert strict.predict([image])[0].plates == []


def test_rows_are_not_read_where_the_detector_found_a_sure_plate() -> None:
    reader = _ReadsPlateRows()
    task = PlateReader(device="cpu", detector=_OneBox(), recognizer=reader, views=((0.04, 0.08),)).load()
    assert [p.text for p in task.predict([_car_photo()])[0].plates] == ["ABC1234"]
    assert reader.calls == 1  # the detector's box only
    # A 3-character reading (grille slots read as Indonesian ``C8D``) does not stop the search.
    short = _ReadsPlateRows("C8D")
    PlateReader(device="cpu", detector=_OneBox(), recognizer=short, views=((0.04, 0.08),)).load().predict([_car_photo()])
    assert short.calls > 1

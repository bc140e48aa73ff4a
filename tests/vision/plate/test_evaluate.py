"""Scoring one image: one-to-one IoU matching, exact text, confident misreads."""
from __future__ import annotations

from core.schemas import Box
from vision.plate.datasets import LabelledPlate
from vision.plate.evaluate import (
    MIN_CHAR_HEIGHT,
    PlateOutcome,
    by_char_height,
    by_confidence,
    by_width,
    score_image,
)
from vision.plate.schemas import Plate, PlateResult


def _plate(box: tuple[float, float, float, float], text: str, confidence: float = 0.9) -> Plate:
    return Plate(box=Box(x1=box[0], y1=box[1], x2=box[2], y2=box[3], confidence=0.8), text=text, display=text,
                 confidence=confidence)


def test_matching_counts_each_plate_once() -> None:
    truths = [LabelledPlate((0, 0, 10, 10), "ABC1234"), LabelledPlate((50, 50, 60, 60), "XYZ9876")]
    result = PlateResult(width=100, height=100, plates=[
        _plate((0, 0, 10, 10), "ABC1234"),
        _plate((1, 1, 10, 10), "ABC1234"),      # a duplicate of the first plate: not a second hit
        _plate((50, 50, 60, 61), "XYZ9878"),    # found but misread, confidently
    ])
    score, errors = score_image(result, truths)
    assert (score.truths, score.predictions, score.detected, score.read_exact) == (2, 3, 2, 1)
    assert score.confident_wrong == 1
    assert errors == [{"truth": "XYZ9876", "read": "XYZ9878", "confidence": 0.9}]


def test_missed_plate_and_low_overlap() -> None:
    truths = [LabelledPlate((0, 0, 10, 10), None)]
    result = PlateResult(width=100, height=100, plates=[_plate((5, 5, 15, 15), "ABC1234")])
    score, errors = score_image(result, truths, iou=0.5)
    assert score.detected == 0 and score.with_text == 0
    assert errors[0]["error"] == "missed"


def test_outcomes_by_plate_width() -> None:
    truths = [LabelledPlate((0, 0, 20, 8), "ABC1234"), LabelledPlate((40, 40, 140, 70), "XYZ9876"),
              LabelledPlate((0, 80, 100, 99), "DEF5555")]
    result = PlateResult(width=200, height=100, plates=[_plate((40, 40, 140, 70), "XYZ9876"),
                                                        _plate((0, 80, 100, 99), "DEF5556")])
    score, _ = score_image(result, truths)
    assert score.outcomes == [PlateOutcome(20.0, False, False), PlateOutcome(100.0, True, True, confidence=0.9),
                              PlateOutcome(100.0, True, False, confidence=0.9)]
    bands = by_width(score.outcomes)
    assert bands["0-30 px"] == {"plates": 1.0, "recall": 0.0, "exact": 0.0}
    assert bands["60-120 px"] == {"plates": 2.0, "recall": 1.0, "exact": 0.5}
    assert "30-60 px" not in bands  # empty bands are left out


def test_outcomes_carry_the_character_height_and_the_capture_spec() -> None:
    truths = [LabelledPlate((0, 0, 40, 12), "ABC1234", char_height=7.0),
              LabelledPlate((50, 0, 150, 30), "XYZ9876", char_height=MIN_CHAR_HEIGHT),
              LabelledPlate((0, 50, 100, 80), "DEF5555")]  # a real label: its size is not known
    result = PlateResult(width=200, height=100, plates=[_plate((0, 0, 40, 12), "ABC1284"),
                                                        _plate((50, 0, 150, 30), "XYZ9876")])
    score, _ = score_image(result, truths)
    assert [o.in_spec for o in score.outcomes] == [False, True, True]
    assert score.outcomes[0] == PlateOutcome(40.0, True, False, 7.0, 0.9)
    bands = by_char_height(score.outcomes)
    assert bands == {"0-8 px tall": {"plates": 1.0, "recall": 1.0, "exact": 0.0},
                     "15-25 px tall": {"plates": 1.0, "recall": 1.0, "exact": 1.0}}


def test_coverage_and_accuracy_at_each_confidence() -> None:
    outcomes = [PlateOutcome(100.0, True, True, confidence=0.97), PlateOutcome(100.0, True, False, confidence=0.85),
                PlateOutcome(100.0, True, True, confidence=0.6), PlateOutcome(100.0, False, False)]
    table = by_confidence(outcomes, thresholds=(0.5, 0.9, 0.99))
    assert table[">=0.5"] == {"plates": 3.0, "coverage": 0.75, "accuracy": 2 / 3}
    assert table[">=0.9"] == {"plates": 1.0, "coverage": 0.25, "accuracy": 1.0}
    assert table[">=0.99"] == {"plates": 0.0, "coverage": 0.0, "accuracy": 0.0}

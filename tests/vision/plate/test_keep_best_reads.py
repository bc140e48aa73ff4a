"""One plate per place: overlapping or nested detections of one plate are resolved by how they read."""
from __future__ import annotations

from core.schemas import Box
from vision.plate.schemas import Plate
from vision.plate.votes import keep_best_reads


def _plate(box: tuple[float, float, float, float], text: str, confidence: float, fmt: str | None,
           det: float = 0.5) -> Plate:
    return Plate(box=Box(x1=box[0], y1=box[1], x2=box[2], y2=box[3], confidence=det), text=text, display=text,
                 confidence=confidence, format=fmt)


def test_a_part_of_a_plate_loses_to_the_plate_even_when_the_detector_prefers_it() -> None:
    whole = _plate((0, 0, 90, 30), "ABC1234", 0.9, "br_old", det=0.3)
    part = _plate((0, 0, 40, 30), "ABC1", 0.95, None, det=0.8)       # nested, IoU 0.44, no format
    loose = _plate((-20, -15, 120, 50), "ABC1234", 0.6, "br_old")    # the plate with bumper around it
    other = _plate((300, 0, 390, 30), "XYZ9876", 0.7, "br_old")
    kept = keep_best_reads([part, loose, whole, other])
    assert [p.text for p in kept] == ["ABC1234", "XYZ9876"]
    assert kept[0].box.x2 == 90


def test_separate_plates_are_all_kept() -> None:
    plates = [_plate((i * 100, 0, i * 100 + 90, 30), f"ABC123{i}", 0.9, "br_old") for i in range(3)]
    assert len(keep_best_reads(plates)) == 3
    assert keep_best_reads([]) == []

"""Box geometry shared by detection tasks: intersection, IoU, containment."""
from __future__ import annotations

from core.schemas import Box


def test_iou_and_containment_of_nested_and_disjoint_boxes() -> None:
    plate = Box(x1=0, y1=0, x2=90, y2=30)
    part = Box(x1=0, y1=0, x2=30, y2=30)
    far = Box(x1=200, y1=0, x2=290, y2=30)
    assert plate.intersection(part) == 900
    assert abs(plate.iou(part) - 1 / 3) < 1e-9
    assert plate.containment(part) == part.containment(plate) == 1.0
    assert plate.iou(far) == plate.containment(far) == 0.0

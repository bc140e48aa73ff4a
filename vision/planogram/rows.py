"""Shelf structure: group product boxes into shelf rows (top to bottom) and order each row left to right.

Packs stand on the shelf board, so their bottom edges line up even when their heights differ
(a can beside a bottle); rows are therefore clustered on the bottom edge, with a centre-based
fallback for boxes whose bottom is cut off.

>>> rows = group_rows([(0, 0, 10, 50), (12, 20, 22, 50), (0, 60, 10, 110)])
>>> rows.shelf, rows.position
([0, 0, 1], [0, 1, 0])
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RowAssignment:
    """Shelf row and left-to-right position of each input box, in input order."""

    shelf: list[int]
    position: list[int]
    n_rows: int


def group_rows(boxes: list[tuple[float, float, float, float]], gap_ratio: float = 0.45) -> RowAssignment:
    """Cluster boxes into rows: a new row starts where sorted bottom edges jump by more than
    ``gap_ratio`` x the median box height."""
    if not boxes:
        return RowAssignment([], [], 0)
    arr = np.asarray(boxes, dtype=np.float64)
    bottoms = arr[:, 3]
    heights = arr[:, 3] - arr[:, 1]
    step = gap_ratio * float(np.median(heights))
    order = np.argsort(bottoms)
    row_of = np.zeros(len(arr), np.int64)
    row = 0
    anchor = bottoms[order[0]]
    for idx in order:
        # Compare with the row's first (highest) bottom edge, not the previous box, so a
        # slow tilt from perspective cannot chain two rows together.
        if bottoms[idx] - anchor > step:
            row += 1
            anchor = bottoms[idx]
        row_of[idx] = row
    positions = np.zeros(len(arr), np.int64)
    for r in range(row + 1):
        members = np.flatnonzero(row_of == r)
        centres = (arr[members, 0] + arr[members, 2]) / 2
        positions[members[np.argsort(centres, kind="stable")]] = np.arange(len(members))
    return RowAssignment(row_of.tolist(), positions.tolist(), row + 1)

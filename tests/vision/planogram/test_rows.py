"""Shelf rows from boxes of different heights, tilted by perspective, in any input order."""
from __future__ import annotations

import random

from vision.planogram.rows import group_rows


def test_rows_use_bottom_edges_not_centres() -> None:
    boxes = [(0, 10, 20, 100), (22, 60, 42, 100), (44, 30, 64, 101), (0, 130, 20, 220), (22, 190, 42, 221)]
    rows = group_rows(boxes)
    assert rows.n_rows == 2
    assert rows.shelf == [0, 0, 0, 1, 1]
    assert rows.position == [0, 1, 2, 0, 1]


def test_tilted_rows_in_random_order() -> None:
    rng = random.Random(0)
    boxes = []
    for row in range(4):
        for k in range(12):
            bottom = 110 * (row + 1) + k * 1.5  # ~17 px of tilt across the row
            height = rng.uniform(50, 90)
            boxes.append((k * 40.0, bottom - height, k * 40.0 + 38, bottom, row, k))
    rng.shuffle(boxes)
    rows = group_rows([b[:4] for b in boxes])
    assert rows.n_rows == 4
    assert [(s, p) for s, p in zip(rows.shelf, rows.position)] == [(b[4], b[5]) for b in boxes]


def test_empty() -> None:
    assert group_rows([]).n_rows == 0

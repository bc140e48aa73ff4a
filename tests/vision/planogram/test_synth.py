"""Generated shelves: ground truth is consistent with the planted faults, splits differ, inputs are valid."""
from __future__ import annotations

import random

import numpy as np
import pytest

from vision.planogram.schemas import UNKNOWN
from vision.planogram.skus import foreign_skus, render_packshot, synthetic_skus
from vision.planogram.synth import Fault, Scene, bad_input, render_scene, sample_inputs


def test_catalogue_designs_are_distinct() -> None:
    skus = synthetic_skus()
    assert len({s.sku for s in skus}) == 24 and len({s.brand for s in skus}) == 8
    assert not {s.sku for s in skus} & {s.sku for s in foreign_skus()}
    shot = np.asarray(render_packshot(skus[0], 100))
    assert shot.shape[0] == 100 and shot.shape[2] == 4


def test_truth_matches_planted_faults(faulty_scene: Scene) -> None:
    w, h = faulty_scene.image.size
    for p in faulty_scene.products:
        x1, y1, x2, y2 = p.box
        assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
    statuses = {(t.shelf, t.position): t.status for t in faulty_scene.truth}
    swap, gap, _extra, foreign = faulty_scene.faults
    assert statuses[(0, swap.position)] == statuses[(0, swap.position + 1)] == "misplaced"
    assert statuses[(1, gap.position)] == "missing"
    assert statuses[(2, None)] == "unexpected"
    assert statuses[(3, foreign.position)] == "unexpected"
    n_expected = faulty_scene.spec.n_positions
    assert len(faulty_scene.products) == n_expected - 1 + 1  # one gap, one extra
    assert sum(p.sku == UNKNOWN for p in faulty_scene.products) == 1


def test_bad_fault_is_rejected() -> None:
    plan = render_scene(random.Random(1), faults=None, degrade=False)
    with pytest.raises(ValueError, match="outside"):
        render_scene(random.Random(1), spec=plan.spec, faults=[Fault("gap", 0, 999)], degrade=False)


def test_sample_and_bad_inputs() -> None:
    images = sample_inputs(2)
    assert len(images) == 2 and images[0].size == (640, 480)
    assert isinstance(bad_input(), bytes)

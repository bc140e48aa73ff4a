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


def test_heldout_evaluation_set_is_pinned() -> None:
    """The acceptance set must not drift when training styles change (issue #7): same plans, faults, pixels."""
    from vision.planogram.evaluate import heldout_scenes

    first, second = heldout_scenes(2, 1)
    assert (first.spec.fixture_id, len(first.products)) == ("synthetic-563678", 55)
    assert [(f.kind, f.shelf, f.position) for f in second.faults] == [
        ("extra", 0, 0), ("foreign", 0, 8), ("swap", 1, 7), ("extra", 1, 6), ("swap", 2, 7), ("foreign", 2, 3)]
    assert abs(float(np.asarray(first.image).mean()) - 114.7) < 0.5
    assert abs(float(np.asarray(second.image).mean()) - 132.3) < 0.5


def test_wide_training_style_is_valid_and_differs() -> None:
    from vision.planogram.synth import scenes

    wide = scenes(3, "wide", seed=0)
    train = scenes(3, "train", seed=0)
    for scene in wide:
        w, h = scene.image.size
        assert all(0 <= p.box[0] < p.box[2] <= w and 0 <= p.box[1] < p.box[3] <= h for p in scene.products)
        assert len(scene.truth) >= scene.spec.n_positions
    # Its own seed space: the same seed gives other shelves than the train style.
    assert [s.spec.fixture_id for s in wide] != [s.spec.fixture_id for s in train]


def test_training_refuses_the_heldout_style(tmp_path) -> None:
    from vision.planogram.train import TrainConfig, run_training

    with pytest.raises(ValueError, match="evaluation only"):
        run_training(tmp_path, work_dir=tmp_path / "work", config=TrainConfig(style="heldout", n_train=1, n_val=1))

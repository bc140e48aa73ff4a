"""The gate study's bookkeeping on a tiny hand-made study: admission counts, protocols, reference weights,
and the gallery reading gate limits from task options."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vision.face.gate_choice import Study, System, plan_mixed, plan_per_condition, reliability, simulate
from vision.face.quality import QualityGate


def _study() -> Study:
    # persons a and b: one enrollment face and one probe face each; one stranger s.
    units = [{"face_id": 0, "person": "a", "role": "enroll"}, {"face_id": 1, "person": "b", "role": "enroll"},
             {"face_id": 2, "person": "a", "role": "probe"}, {"face_id": 3, "person": "b", "role": "probe"},
             {"face_id": 4, "person": "s", "role": "stranger"}]
    centre = {"a": np.array([0.0, 0.0]), "b": np.array([2.0, 0.0]), "s": np.array([0.0, 2.0])}
    rows, vectors = [], []
    for unit in units:
        for condition, shift, size in (("clean", 0.0, 200.0), ("tiny", 1.5, 10.0)):
            rows.append({"face_id": unit["face_id"], "condition": condition, "family": condition, "detected": True,
                         "n_faces": 1, "size": size, "sharpness": 300.0, "yaw": 0.0, "roll": 0.0})
            # a tiny face drifts 1.5 towards the stranger: unreliable
            vectors.append(centre[unit["person"]] + np.array([0.0, shift]) + 0.01 * unit["face_id"])
    matrix = np.asarray(vectors, dtype=np.float32)
    study = Study(units, rows, matrix, matrix, seed=1, upscale_to=150.0)
    study.index = {(r["face_id"], r["condition"]): i for i, r in enumerate(rows)}
    return study


def test_protocol_a_counts_refusals_and_persons_left_out() -> None:
    study = _study()
    plain, counts = simulate(study, System("plain", None, False), plan_per_condition(study))
    assert counts["photos"] == 4 and counts["accepted"] == 4 and counts["persons_not_enrolled"] == 0
    gate = QualityGate(min_face_size=18, warn_face_size=36)
    gated, counts = simulate(study, System("gate", gate, False), plan_per_condition(study))
    assert counts["accepted"] == 2 and counts["persons_not_enrolled"] == 2  # the "tiny" trial enrolls nobody
    # 2 trials x 4 known probe variants; in the tiny trial nobody is enrolled: never identified
    assert len(gated.known_distance) == 8 and np.isinf(gated.known_distance[4:]).all()
    # tiny references sit 1.5 towards the stranger: without the gate the stranger comes closer
    assert plain.stranger_distance.min() < gated.stranger_distance.min()


def test_reliability_flags_references_that_reach_a_stranger() -> None:
    records = reliability(_study(), upscale=False)
    tiny = [r for r in records if r["condition"] == "tiny"]
    assert tiny and all(r["self"] == pytest.approx(1.5) for r in tiny)
    assert all(r["stranger_min"] < 0.6 for r in tiny if r["person"] == "a")


def test_mixed_plan_is_seeded() -> None:
    study = _study()
    assert plan_mixed(study, trials=5) == plan_mixed(study, trials=5)
    assert all(len(trial) == 4 for trial in plan_mixed(study, trials=5))  # 2 photos x 2 versions


def test_gallery_reads_gate_limits_and_weights_from_task_options(tmp_path: Path) -> None:
    from vision.face.analyzer import FaceAnalyzer
    from vision.face.gallery import Gallery

    analyzer = FaceAnalyzer(device="cpu", enroll_min_face_size=50, enroll_max_yaw=0.3, quality_penalty=0.1,
                            min_references=2)
    gallery = Gallery(tmp_path / "g.db", analyzer=analyzer)  # options only: no model is loaded here
    assert gallery.quality.min_face_size == 50.0 and gallery.quality.max_yaw == 0.3
    assert gallery.quality.min_sharpness == QualityGate().min_sharpness
    assert gallery.quality_penalty == 0.1 and gallery.min_references == 2
    assert Gallery(tmp_path / "h.db", analyzer=FaceAnalyzer(device="cpu")).quality == QualityGate()

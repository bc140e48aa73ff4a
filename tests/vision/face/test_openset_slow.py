"""``ais face evaluate --data``: open-set identification on identity folders and verification on pairs,
each beside the plain MTCNN + dlib baseline, on the real development photos."""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _folders(faces: Path, root: Path) -> Path:
    extra = {"alex_lacamoire": "alex_lacamoire1.jpg", "kit_harington": "johnsnow_test1.jpg", "obama": "obama1.jpg"}
    for person_dir in sorted((faces / "knn" / "train").iterdir()):
        (root / person_dir.name).mkdir(parents=True)
        for photo in sorted(person_dir.iterdir()):
            (root / person_dir.name / photo.name).symlink_to(photo)
        if person_dir.name in extra:
            (root / person_dir.name / "z_test.jpg").symlink_to(faces / "knn" / "test" / extra[person_dir.name])
    for photo in sorted((faces / "facenet" / "test_images").glob("*/1.jpg")):
        (root / photo.parent.name).mkdir()
        (root / photo.parent.name / "1.jpg").symlink_to(photo)
    return root


def test_open_set_on_identity_folders(analyzer, shared_data: Path, tmp_path: Path) -> None:
    from vision.face.datasets import identity_folders, open_set_split
    from vision.face.evaluate import PLAIN, evaluate_open_set

    split = open_set_split(identity_folders(_folders(shared_data / "faces", tmp_path / "people")),
                           stranger_share=0.3, seed=0)
    metrics = evaluate_open_set(analyzer, split, threshold=0.6, plot=tmp_path / "det.png")
    assert metrics.origin == "labelled" and PLAIN in metrics.baselines
    assert metrics.values["identification_rate"] >= metrics.baselines[PLAIN]["identification_rate"]
    assert metrics.values["false_accept_rate"] == 0.0 and metrics.values["enroll_acceptance_rate"] == 1.0
    low, high = metrics.intervals["identification_rate"]
    assert low <= metrics.values["identification_rate"] <= high
    assert "not measurable" in str(metrics.details["identification_rate_at_far_0.01"])  # < 100 strangers
    assert (tmp_path / "det.png").stat().st_size > 1000


def test_verification_on_csv_pairs(analyzer, shared_data: Path, tmp_path: Path) -> None:
    from vision.face.datasets import read_pairs
    from vision.face.evaluate import PLAIN, evaluate_pairs

    train = shared_data / "faces" / "knn" / "train"
    (tmp_path / "pairs.csv").write_text(
        "image_a,image_b,same\n"
        f"{train / 'obama' / 'obama.jpg'},{train / 'obama' / 'obama2.jpg'},1\n"
        f"{train / 'obama' / 'obama.jpg'},{train / 'biden' / 'biden.jpg'},0\n"
        f"{train / 'biden' / 'biden.jpg'},{train / 'biden' / 'biden2.jpg'},1\n")
    metrics = evaluate_pairs(analyzer, read_pairs(tmp_path / "pairs.csv"), threshold=0.6, name="pairs.csv")
    assert metrics.values["accuracy"] == 1.0 and metrics.baselines[PLAIN]["accuracy"] == 1.0
    assert metrics.intervals["accuracy"][0] < 1.0  # three pairs: a wide interval

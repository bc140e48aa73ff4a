"""Class-agnostic detection metrics on hand-made boxes: AP at IoU 0.5 and 0.5:0.95, P/R at a threshold."""
from __future__ import annotations

import numpy as np
import pytest

from vision.planogram.detection_metrics import ImageBoxes, bootstrap_map, detection_scores, image_matches

TRUTH = np.array([[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10], [60, 0, 70, 10]], float)


def one(pred: list[list[float]], conf: list[float]) -> ImageBoxes:
    return ImageBoxes(TRUTH, np.array(pred, float).reshape(-1, 4), np.array(conf, float))


def test_perfect_prediction_scores_one() -> None:
    scores = detection_scores([one(TRUTH.tolist(), [0.9, 0.8, 0.7, 0.6])], operating_conf=0.5)
    assert (scores.map50, scores.map50_95, scores.precision, scores.recall) == (1.0, 1.0, 1.0, 1.0)
    assert (scores.n_images, scores.n_truth) == (1, 4)


def test_missed_box_lowers_recall_and_ap() -> None:
    scores = detection_scores([one(TRUTH[:3].tolist(), [0.9, 0.8, 0.7])], operating_conf=0.5)
    assert scores.recall == pytest.approx(0.75)
    assert scores.precision == 1.0
    assert scores.map50 == pytest.approx(0.75)


def test_shifted_box_passes_iou_05_and_fails_075() -> None:
    shifted = TRUTH.copy()
    shifted[0] += [2, 0, 2, 0]  # IoU 8*10 / 12*10 = 0.667
    scores = detection_scores([one(shifted.tolist(), [0.9, 0.8, 0.7, 0.6])], operating_conf=0.5)
    assert scores.map50 == 1.0
    assert scores.ap_per_iou["0.65"] == 1.0
    assert scores.ap_per_iou["0.75"] < 1.0
    assert scores.map50_95 < 1.0


def test_confident_false_positive_lowers_precision_and_ap() -> None:
    pred = [[100, 100, 110, 110], *TRUTH.tolist()]
    scores = detection_scores([one(pred, [0.95, 0.9, 0.8, 0.7, 0.6])], operating_conf=0.5)
    assert scores.precision == pytest.approx(0.8)
    assert scores.recall == 1.0
    assert scores.map50 < 1.0


def test_operating_threshold_only_changes_precision_and_recall() -> None:
    image = one(TRUTH.tolist(), [0.9, 0.8, 0.3, 0.1])
    scores = detection_scores([image], operating_conf=0.5)
    assert scores.recall == pytest.approx(0.5)
    assert scores.map50 == 1.0  # AP ranks every prediction, whatever the threshold


def test_duplicate_detection_is_a_false_positive() -> None:
    pred = [TRUTH[0].tolist(), TRUTH[0].tolist()]
    scores = detection_scores([ImageBoxes(TRUTH[:1], np.array(pred), np.array([0.9, 0.8]))], operating_conf=0.5)
    assert scores.tp_at_conf == 1 and scores.n_pred_at_conf == 2


def test_no_predictions_and_empty_images() -> None:
    scores = detection_scores([one([], []), ImageBoxes(np.zeros((0, 4)), np.zeros((0, 4)), np.zeros(0))], 0.5)
    assert (scores.map50, scores.recall, scores.precision, scores.n_truth) == (0.0, 0.0, 0.0, 4)


def test_bootstrap_interval_over_images_brackets_the_value() -> None:
    rng = np.random.default_rng(0)
    images = []
    for _ in range(12):
        keep = rng.random(len(TRUTH)) < 0.7
        images.append(image_matches(one(TRUTH[keep].tolist(), rng.random(int(keep.sum())).tolist())))
    from vision.planogram.detection_metrics import scores_of

    value = scores_of(images, 0.5).map50
    (low, high), (low2, high2) = bootstrap_map(images, n_resamples=100)
    assert low <= value <= high and low < high
    assert low2 <= high2 <= 1.0

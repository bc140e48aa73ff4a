"""The enrollment quality gate rejects with a reason code: no/multiple faces, small, blurry, turned."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from core.errors import InvalidInput
from vision.face.detect import DetectedFace
from vision.face.quality import QualityGate, laplacian_variance, measure, pose

FRONTAL = np.array([[70, 80], [130, 80], [100, 115], [75, 145], [125, 145]], dtype=np.float64)


def _face(box: tuple[float, float, float, float] = (40, 40, 160, 180), landmarks: np.ndarray = FRONTAL) -> DetectedFace:
    return DetectedFace(box=np.array(box, dtype=np.float64), landmarks=landmarks, confidence=0.99)


def _textured(size: int = 200, seed: int = 0) -> Image.Image:
    noise = np.random.default_rng(seed).integers(0, 256, size=(size, size, 3), dtype=np.uint8)
    return Image.fromarray(noise)


def _reason(gate: QualityGate, image: Image.Image, faces: list[DetectedFace]) -> str:
    with pytest.raises(InvalidInput) as err:
        gate.check(image, faces)
    return str(err.value.detail["reason"])


def test_accepts_a_sharp_frontal_large_face() -> None:
    face = _face()
    assert QualityGate().check(_textured(), [face]) is face


def test_reason_codes() -> None:
    gate = QualityGate()
    image = _textured()
    assert _reason(gate, image, []) == "no_face"
    assert _reason(gate, image, [_face(), _face()]) == "multiple_faces"
    small = gate.min_face_size - 4
    assert _reason(gate, image, [_face((10, 10, 10 + small, 20 + small))]) == "face_too_small"
    assert _reason(gate, image.filter(ImageFilter.GaussianBlur(6)), [_face()]) == "too_blurry"
    turned = FRONTAL.copy()
    turned[2, 0] = 100 + 60 * (gate.max_yaw + 0.1)  # nose towards the right eye: head turned
    assert _reason(gate, image, [_face(landmarks=turned)]) == "pose_too_extreme"


def test_blur_lowers_laplacian_variance() -> None:
    gray = np.asarray(_textured().convert("L"))
    blurred = np.asarray(_textured().convert("L").filter(ImageFilter.GaussianBlur(3)))
    assert laplacian_variance(gray) > 10 * laplacian_variance(blurred)
    assert laplacian_variance(np.full((20, 20), 128, np.uint8)) == 0.0


def test_pose_separates_roll_from_yaw() -> None:
    yaw, roll = pose(FRONTAL)
    assert abs(yaw) < 1e-9 and abs(roll) < 1e-9
    angle = np.radians(25)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    tilted = (FRONTAL - 100) @ rotation.T + 100
    yaw, roll = pose(tilted)
    assert abs(yaw) < 1e-9 and roll == pytest.approx(25)
    assert measure(_textured(), _face(landmarks=tilted)).roll_degrees == pytest.approx(25)


def test_refusals_say_what_to_do_and_small_faces_pass_with_a_warning() -> None:
    gate = QualityGate()
    image = _textured()
    small = gate.min_face_size - 4
    with pytest.raises(InvalidInput) as err:
        gate.check(image, [_face((10, 10, 10 + small, 20 + small))], index=2)
    assert err.value.detail["index"] == 2 and "higher-resolution" in err.value.detail["hint"]
    assert err.value.detail["hint"] in err.value.message
    side = (gate.min_face_size + gate.warn_face_size) / 2
    face = _face((40, 40, 40 + side, 40 + side))
    assessed = gate.assess(image, [face])
    assert assessed.face is face and assessed.warnings and 0.5 <= assessed.quality < 1.0
    big = gate.assess(image, [_face()])
    assert big.quality == 1.0 and not big.warnings


def test_gate_limits_come_from_task_options() -> None:
    gate = QualityGate.from_options({"min_face_size": 50, "max_yaw": 0.3, "unrelated": 1})
    assert gate.min_face_size == 50.0 and gate.max_yaw == 0.3
    assert gate.min_sharpness == QualityGate().min_sharpness


def test_weakest_direction_catches_motion_blur_the_laplacian_misses() -> None:
    from vision.face.degrade import _motion_blur
    from vision.face.quality import weakest_direction_variance
    from vision.face.synth import _astronaut

    portrait = _astronaut().crop((150, 30, 330, 210)).resize((112, 112))  # a real face, packaged with skimage
    moved = np.asarray(_motion_blur(portrait, 15, 0.0).convert("L"))  # horizontal streaks
    sharp = np.asarray(portrait.convert("L"))
    lap_drop = laplacian_variance(moved) / laplacian_variance(sharp)
    dir_drop = weakest_direction_variance(moved) / weakest_direction_variance(sharp)
    assert dir_drop < lap_drop / 3  # measured 0.018 against 0.095
    image = _textured()
    gate = QualityGate(min_directional_sharpness=1e9)
    assert _reason(gate, image, [_face()]) == "too_blurry"
    assert QualityGate().admits(measure(image, _face()))

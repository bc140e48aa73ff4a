"""Enrollment quality gate: exactly one face, big enough, sharp enough and facing the camera.

Each rejection is an ``InvalidInput`` whose ``detail["reason"]`` is a stable code an API client can
act on: ``no_face``, ``multiple_faces``, ``face_too_small``, ``too_blurry``, ``pose_too_extreme``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from core.errors import InvalidInput
from vision.face.detect import DetectedFace

if TYPE_CHECKING:
    from PIL import Image

BLUR_SIDE = 112  # the face is resized to this before measuring sharpness, so the score ignores resolution


@dataclass(frozen=True)
class QualityScores:
    """Measured values for one face; the gate compares them with its limits."""

    size: float
    sharpness: float
    yaw: float
    roll_degrees: float


@dataclass(frozen=True)
class QualityGate:
    """Limits for an enrollment photo; the defaults admit ordinary frontal portraits and phone photos.

    - ``min_face_size``: shorter side of the face box, pixels.
    - ``min_sharpness``: variance of the Laplacian of the face resized to 112 px (grey, 0-255).
    - ``max_yaw``: horizontal offset of the nose from the eyes' midpoint, in inter-eye distances
      (0 frontal; about 0.5 near profile).
    - ``max_roll_degrees``: tilt of the line through the eyes.
    """

    min_face_size: float = 80.0
    min_sharpness: float = 40.0
    max_yaw: float = 0.4
    max_roll_degrees: float = 30.0

    def check(self, image: Image.Image, faces: Sequence[DetectedFace], *, index: int = 0) -> DetectedFace:
        """Return the single acceptable face, or raise ``InvalidInput`` with the reason code."""
        where = f"image {index}"
        if not faces:
            raise InvalidInput(f"{where}: no face found", reason="no_face", index=index)
        if len(faces) > 1:
            raise InvalidInput(f"{where}: {len(faces)} faces found; an enrollment photo must show exactly one",
                               reason="multiple_faces", index=index, faces=len(faces))
        face = faces[0]
        scores = measure(image, face)
        if scores.size < self.min_face_size:
            raise InvalidInput(f"{where}: face is {scores.size:.0f} px; at least {self.min_face_size:.0f} px needed",
                               reason="face_too_small", index=index, value=scores.size)
        if scores.sharpness < self.min_sharpness:
            raise InvalidInput(f"{where}: face is too blurry (sharpness {scores.sharpness:.1f} < "
                               f"{self.min_sharpness:.1f})", reason="too_blurry", index=index,
                               value=scores.sharpness)
        if abs(scores.yaw) > self.max_yaw or abs(scores.roll_degrees) > self.max_roll_degrees:
            raise InvalidInput(f"{where}: face is not frontal enough (yaw {scores.yaw:+.2f}, roll "
                               f"{scores.roll_degrees:+.0f} deg)", reason="pose_too_extreme", index=index,
                               yaw=scores.yaw, roll=scores.roll_degrees)
        return face


def laplacian_variance(gray: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian: low on blurred images, whose edges are soft."""
    g = gray.astype(np.float64)
    lap = g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4.0 * g[1:-1, 1:-1]
    return float(lap.var())


def pose(landmarks: np.ndarray) -> tuple[float, float]:
    """(yaw, roll in degrees) from MTCNN's five points, by symmetry of the nose between the eyes."""
    left_eye, right_eye, nose = landmarks[0], landmarks[1], landmarks[2]
    eye_vec = right_eye - left_eye
    eye_dist = float(np.hypot(*eye_vec))
    if eye_dist < 1e-6:
        return 1.0, 0.0  # collapsed landmarks: treat as profile
    roll = float(np.degrees(np.arctan2(eye_vec[1], eye_vec[0])))
    # Project the nose offset on the eye line so that head roll does not read as yaw.
    offset = nose - (left_eye + right_eye) / 2.0
    yaw = float(np.dot(offset, eye_vec / eye_dist) / eye_dist)
    return yaw, roll


def measure(image: Image.Image, face: DetectedFace) -> QualityScores:
    from PIL import Image as PILImage

    x1, y1, x2, y2 = face.box.tolist()
    w, h = image.size
    crop = image.crop((max(0, int(x1)), max(0, int(y1)), min(w, int(x2)), min(h, int(y2))))
    if crop.width < 3 or crop.height < 3:
        sharpness = 0.0
    else:
        gray = np.asarray(crop.convert("L").resize((BLUR_SIDE, BLUR_SIDE), PILImage.Resampling.BILINEAR))
        sharpness = laplacian_variance(gray)
    yaw, roll = pose(face.landmarks)
    return QualityScores(size=face.size, sharpness=sharpness, yaw=yaw, roll_degrees=roll)

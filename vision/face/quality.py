"""Enrollment quality gate: exactly one face, big enough, sharp enough and facing the camera.

Each rejection is an ``InvalidInput`` whose ``detail["reason"]`` is a stable code an API client can
act on: ``no_face``, ``multiple_faces``, ``face_too_small``, ``too_blurry``, ``pose_too_extreme``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from core.errors import InvalidInput
from vision.face.detect import DetectedFace

if TYPE_CHECKING:
    from PIL import Image

BLUR_SIDE = 112  # the face is resized to this before measuring sharpness, so the score ignores resolution

# Limits measured on the development faces and their degraded versions (README, "Enrollment gate").
# Refused where most photos are unreliable (miss most of the person's other photos or match a stranger):
MIN_FACE_SIZE = 18.0  # 15 px faces: 72 % unreliable; 18-22 px: 20 %; 22 px and up: 0-6 %
MIN_SHARPNESS = 4.0  # below 4: 76-96 % unreliable; 4-20: 30-45 %; 40 and up: 2-3 %
MAX_ROLL_DEGREES = 70.0  # dlib aligns roll away: fine to 60 deg; at 80 deg MTCNN mostly finds no face
MAX_YAW = 0.8  # not measurable here (photos and warps reach |yaw| 0.4, all reliable): near-profile only
# Enrolled with a warning and a lower weight where the degradation alone moves the embedding by a median
# 0.3 or more (half the 0.6 threshold):
# Off: refusing motion blur by it (< 1.5: 58-96 % unreliable) lowered acceptance to 82 % without raising
# identification at FAR 1 % (README, "Enrollment gate"); an option for clients whose photos need it.
MIN_DIRECTIONAL_SHARPNESS = 0.0
WARN_FACE_SIZE = 36.0
WARN_SHARPNESS = 40.0
MIN_QUALITY = 0.5  # weight of a reference at the hard limits
# The gate before issue 29 (kept to measure against): it refused most small web and CCTV faces.
LEGACY_LIMITS = {"min_face_size": 80.0, "warn_face_size": 80.0, "min_sharpness": 40.0, "warn_sharpness": 40.0,
                 "max_yaw": 0.4, "max_roll_degrees": 30.0}


@dataclass(frozen=True)
class QualityScores:
    """Measured values for one face; the gate compares them with its limits."""

    size: float
    sharpness: float
    yaw: float
    roll_degrees: float
    directional_sharpness: float = float("inf")  # the weakest of 4 directions: low under motion blur


@dataclass(frozen=True)
class Assessment:
    """A face that passed the gate: its scores, its weight as a reference (0-1], and warnings (may be empty)."""

    face: DetectedFace
    scores: QualityScores
    quality: float
    warnings: tuple[str, ...] = ()


# What to do about each refusal; the API answers it in ``detail["hint"]`` and the message ends with it.
HINTS = {
    "no_face": "use a photo in which the face is fully visible, lit and not covered, at least {min_size:.0f} px tall",
    "multiple_faces": "crop the photo to this person's face, or use a photo of them alone",
    "face_too_small": "use a larger or higher-resolution photo of the face (the original file rather than a "
                      "thumbnail or screenshot), with the face at least {min_size:.0f} px tall",
    "too_blurry": "use a sharper photo: in focus, without motion blur, not a re-compressed copy",
    "pose_too_extreme": "use a photo in which the person looks towards the camera with the head upright",
}


@dataclass(frozen=True)
class QualityGate:
    """Limits for an enrollment photo, chosen by measurement (``vision/face/README.md``, "Enrollment gate").

    A photo is refused only where its embedding is measurably unreliable; between a ``warn_*`` and
    its hard limit it is enrolled with a warning and a lower weight as a reference.

    - ``min_face_size`` / ``warn_face_size``: shorter side of the face box, pixels.
    - ``min_sharpness`` / ``warn_sharpness``: variance of the Laplacian of the face resized to 112 px
      (grey, 0-255).
    - ``max_yaw``: horizontal offset of the nose from the eyes' midpoint, in inter-eye distances
      (0 frontal; about 0.5 near profile).
    - ``max_roll_degrees``: tilt of the line through the eyes.
    - ``min_directional_sharpness``: the smallest, over 4 directions, variance of the second derivative of
      the face at 112 px; motion blur removes detail along one direction, which the Laplacian misses.
    """

    min_face_size: float = MIN_FACE_SIZE
    warn_face_size: float = WARN_FACE_SIZE
    min_sharpness: float = MIN_SHARPNESS
    warn_sharpness: float = WARN_SHARPNESS
    max_yaw: float = MAX_YAW
    max_roll_degrees: float = MAX_ROLL_DEGREES
    min_directional_sharpness: float = MIN_DIRECTIONAL_SHARPNESS

    @classmethod
    def from_options(cls, options: Mapping[str, object]) -> QualityGate:
        """The gate from task options (``min_face_size`` ... ``max_roll_degrees``); unknown keys ignored."""
        names = {f.name for f in fields(cls)}
        values = {k: float(v) for k, v in options.items() if k in names and v is not None}  # type: ignore[arg-type]
        return cls(**values)

    def _refuse(self, message: str, reason: str, index: int, **detail: object) -> InvalidInput:
        hint = HINTS[reason].format(min_size=self.min_face_size)
        return InvalidInput(f"image {index}: {message}; {hint}", reason=reason, index=index, hint=hint, **detail)

    def assess(self, image: Image.Image, faces: Sequence[DetectedFace], *, index: int = 0) -> Assessment:
        """The single acceptable face with its weight and warnings, or ``InvalidInput`` with the reason code
        and ``detail["hint"]`` (what to do)."""
        if not faces:
            raise self._refuse("no face found", "no_face", index)
        if len(faces) > 1:
            raise self._refuse(f"{len(faces)} faces found; an enrollment photo must show exactly one",
                               "multiple_faces", index, faces=len(faces))
        face = faces[0]
        scores = measure(image, face)
        if scores.size < self.min_face_size:
            raise self._refuse(f"face is {scores.size:.0f} px; at least {self.min_face_size:.0f} px needed",
                               "face_too_small", index, value=scores.size)
        if scores.sharpness < self.min_sharpness:
            raise self._refuse(f"face is too blurry (sharpness {scores.sharpness:.1f} < {self.min_sharpness:.1f})",
                               "too_blurry", index, value=scores.sharpness)
        if scores.directional_sharpness < self.min_directional_sharpness:
            raise self._refuse(f"face is blurred along one direction, as by motion (weakest-direction sharpness "
                               f"{scores.directional_sharpness:.2f} < {self.min_directional_sharpness:.2f})",
                               "too_blurry", index, value=scores.directional_sharpness)
        if abs(scores.yaw) > self.max_yaw or abs(scores.roll_degrees) > self.max_roll_degrees:
            raise self._refuse(f"face is not frontal enough (yaw {scores.yaw:+.2f}, roll {scores.roll_degrees:+.0f} "
                               f"deg; limits {self.max_yaw:.2f} and {self.max_roll_degrees:.0f} deg)",
                               "pose_too_extreme", index, yaw=scores.yaw, roll=scores.roll_degrees)
        warnings = []
        if scores.size < self.warn_face_size:
            warnings.append(f"image {index}: face is {scores.size:.0f} px (below {self.warn_face_size:.0f} px): "
                            "enrolled with a lower weight; a larger photo would make matching more reliable")
        if scores.sharpness < self.warn_sharpness:
            warnings.append(f"image {index}: face is soft (sharpness {scores.sharpness:.1f} below "
                            f"{self.warn_sharpness:.1f}): enrolled with a lower weight; a sharper photo would help")
        return Assessment(face, scores, self.quality(scores), tuple(warnings))

    def admits(self, scores: QualityScores) -> bool:
        """Whether a single detected face with these scores passes the refusal limits."""
        return not (scores.size < self.min_face_size or scores.sharpness < self.min_sharpness
                    or scores.directional_sharpness < self.min_directional_sharpness
                    or abs(scores.yaw) > self.max_yaw or abs(scores.roll_degrees) > self.max_roll_degrees)

    def check(self, image: Image.Image, faces: Sequence[DetectedFace], *, index: int = 0) -> DetectedFace:
        """Return the single acceptable face, or raise ``InvalidInput`` with the reason code."""
        return self.assess(image, faces, index=index).face

    def quality(self, scores: QualityScores) -> float:
        """Reference weight in [MIN_QUALITY, 1]: 1 at or above the warn limits, falling linearly to
        ``MIN_QUALITY`` at the hard limits (size and sharpness multiply)."""
        def ramp(value: float, low: float, high: float) -> float:
            if high <= low or value >= high:
                return 1.0
            return MIN_QUALITY + (1 - MIN_QUALITY) * max(0.0, (value - low) / (high - low))

        q = ramp(scores.size, self.min_face_size, self.warn_face_size)
        q *= ramp(scores.sharpness, self.min_sharpness, self.warn_sharpness)
        return float(max(MIN_QUALITY, min(1.0, q)))


def laplacian_variance(gray: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian: low on blurred images, whose edges are soft."""
    g = gray.astype(np.float64)
    lap = g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4.0 * g[1:-1, 1:-1]
    return float(lap.var())


def weakest_direction_variance(gray: np.ndarray) -> float:
    """The smallest variance of the second derivative along the horizontal, vertical and both diagonals:
    motion blur flattens one direction only, so this drops where the Laplacian still reads sharp."""
    g = gray.astype(np.float64)
    c = g[1:-1, 1:-1]
    second = (g[1:-1, :-2] + g[1:-1, 2:] - 2 * c, g[:-2, 1:-1] + g[2:, 1:-1] - 2 * c,
              (g[:-2, :-2] + g[2:, 2:] - 2 * c) / 2, (g[:-2, 2:] + g[2:, :-2] - 2 * c) / 2)
    return float(min(d.var() for d in second))


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
        sharpness = directional = 0.0
    else:
        gray = np.asarray(crop.convert("L").resize((BLUR_SIDE, BLUR_SIDE), PILImage.Resampling.BILINEAR))
        sharpness = laplacian_variance(gray)
        directional = weakest_direction_variance(gray)
    yaw, roll = pose(face.landmarks)
    return QualityScores(size=face.size, sharpness=sharpness, yaw=yaw, roll_degrees=roll,
                         directional_sharpness=directional)

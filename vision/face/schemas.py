"""Pydantic models the face task and its gallery return (the same objects the HTTP API returns)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.schemas import Box

UNKNOWN = "unknown"


class Point(BaseModel):
    """A pixel position in the input image."""

    model_config = ConfigDict(frozen=True)

    x: float
    y: float


class Landmarks(BaseModel):
    """MTCNN's five landmarks; left/right as seen in the image (not the subject's left)."""

    left_eye: Point
    right_eye: Point
    nose: Point
    mouth_left: Point
    mouth_right: Point


class Face(BaseModel):
    """One detected face: box (with detection confidence), landmarks and optionally its embedding."""

    box: Box
    landmarks: Landmarks
    confidence: float = Field(ge=0.0, le=1.0)
    embedding: list[float] | None = None


class FaceDetections(BaseModel):
    """All faces found in one image, largest first."""

    width: int
    height: int
    faces: list[Face]
    embedder: str | None = Field(None, description="which embedder produced the embeddings, if any")


class Person(BaseModel):
    """An enrolled person as the gallery stores it (embeddings are never returned).

    ``n_embeddings`` is the number of reference photos; ``few_references`` flags a person enrolled from
    fewer than the gallery's ``min_references`` (identification is less reliable: add photos).
    """

    person_id: str
    display_name: str
    n_embeddings: int = Field(description="reference photos (embeddings) kept for this person")
    n_images_stored: int = 0
    mean_quality: float | None = Field(None, description="mean reference weight (1 = no quality warning)")
    n_low_quality: int = Field(0, description="references enrolled with a quality warning (weight below 1)")
    few_references: bool = Field(False, description="fewer references than the gallery's min_references")
    created_at: float = Field(description="Unix time (seconds)")
    updated_at: float = Field(description="Unix time (seconds)")


class RefusedImage(BaseModel):
    """An enrollment photo the quality gate refused: why (a stable code) and what to do instead."""

    index: int
    reason: str = Field(description="no_face, multiple_faces, face_too_small, too_blurry, pose_too_extreme, "
                                    "invalid_image")
    message: str
    hint: str = Field("", description="what to do: the kind of photo that would be accepted")


class EnrollResult(BaseModel):
    """What ``enroll``/``add_images`` did: the person after the change, how many references were added
    (every photo that passed the gate), their weights, the photos refused and any warnings."""

    person: Person
    added: int
    qualities: list[float] = Field(default_factory=list, description="weight of each added reference, in order")
    refused: list[RefusedImage] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class DeleteResult(BaseModel):
    person_id: str
    deleted: Literal[True] = True
    embeddings_removed: int


class VerifyResult(BaseModel):
    """Same person or not: Euclidean distance against the embedder's (or the configured) threshold."""

    same_person: bool
    distance: float
    threshold: float
    embedder: str
    person_id: str | None = None
    probe_box: Box
    reference_box: Box | None = None


class Candidate(BaseModel):
    person_id: str
    display_name: str
    distance: float = Field(description="Euclidean distance to the person's best-matching reference, plus that "
                                        "reference's quality penalty when it is worse than the person's best")


class IdentifiedFace(BaseModel):
    """One face of the probe image: its best candidates and the decision (a person id or ``unknown``)."""

    box: Box
    landmarks: Landmarks
    decision: str = Field(description=f"the matched person_id, or {UNKNOWN!r} when no candidate is close enough")
    display_name: str | None = None
    candidates: list[Candidate]


class IdentifyResult(BaseModel):
    faces: list[IdentifiedFace]
    threshold: float
    embedder: str
    gallery_size: int = Field(description="persons of this tenant searched")


class CalibrationReport(BaseModel):
    """Threshold calibration from labelled pairs (``ais face calibrate``)."""

    embedder: str
    n_pairs: int
    n_positive: int
    n_negative: int
    roc_auc: float
    threshold: float = Field(description="distance threshold that maximises accuracy on these pairs")
    accuracy: float
    accuracy_at_default: float
    default_threshold: float
    tar_at_far: dict[str, float | None] = Field(
        description="true-accept rate at a false-accept rate; None when there are too few negative pairs")
    skipped: list[str] = Field(default_factory=list, description="images in which no usable face was found")
    plot: str | None = None
    target_far: float | None = Field(None, description="the false-accept rate the threshold below was picked for")
    threshold_at_target_far: float | None = Field(
        None, description="largest threshold whose FAR on these pairs is at most target_far (use it with "
                          "--threshold); None when there are fewer than 1/target_far negative pairs")
    tar_at_target_far: float | None = None
    far_at_target_threshold: float | None = None

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
    """An enrolled person as the gallery stores it (embeddings are never returned)."""

    person_id: str
    display_name: str
    n_embeddings: int
    n_images_stored: int = 0
    created_at: float = Field(description="Unix time (seconds)")
    updated_at: float = Field(description="Unix time (seconds)")


class EnrollResult(BaseModel):
    """What ``enroll``/``add_images`` did: the person after the change and how many embeddings were added."""

    person: Person
    added: int


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
    distance: float


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

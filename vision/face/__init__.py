"""Face recognition: detection + landmarks (MTCNN), embeddings (dlib/facenet), a per-tenant gallery.

Heavy modules load lazily: ``from vision.face import Gallery`` imports no framework until used.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vision.face.schemas import (
    UNKNOWN,
    CalibrationReport,
    Candidate,
    DeleteResult,
    EnrollResult,
    Face,
    FaceDetections,
    IdentifiedFace,
    IdentifyResult,
    Landmarks,
    Person,
    Point,
    VerifyResult,
)

if TYPE_CHECKING:
    from vision.face.analyzer import FaceAnalyzer
    from vision.face.gallery import Gallery
    from vision.face.quality import QualityGate

_LAZY = {"FaceAnalyzer": "vision.face.analyzer", "Gallery": "vision.face.gallery",
         "QualityGate": "vision.face.quality"}

__all__ = ["UNKNOWN", "CalibrationReport", "Candidate", "DeleteResult", "EnrollResult", "Face", "FaceAnalyzer",
           "FaceDetections", "Gallery", "IdentifiedFace", "IdentifyResult", "Landmarks", "Person", "Point",
           "QualityGate", "VerifyResult"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'vision.face' has no attribute {name!r}")

"""Registry entry of the face task (light: imports only core)."""
from __future__ import annotations

from core.registry import TaskSpec

SPEC = TaskSpec(
    name="face",
    summary="Detect faces with 5 landmarks, embed them, and enroll/verify/identify persons per tenant",
    task="vision.face.analyzer:FaceAnalyzer",
    extra="face",
    requires=("facenet_pytorch", "dlib", "face_recognition_models", "torch", "skimage"),
    weights="vision.face.weights:status",
    samples="vision.face.synth:sample_inputs",
    bad_input="vision.face.synth:bad_input",
    datasets={"knn": "vision.face.datasets:knn_faces"},
)

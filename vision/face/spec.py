"""Registry entry of the face task (light: imports only core)."""
from __future__ import annotations

from core.operations import Operation
from core.registry import TaskSpec

_OPS = "vision.face.operations"

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
    read_data="vision.face.outside:read_data",
    result="vision.face.schemas:FaceDetections",
    options="vision.face.options:FaceOptions",
    operations=(
        Operation("detect", "POST", "/face/detect", kind="predict",
                  summary="Faces with box, five landmarks and confidence (embeddings with the embed option)"),
        Operation("verify", "POST", "/face/verify", f"{_OPS}:verify", f"{_OPS}:VerifyRequest",
                  "vision.face.schemas:VerifyResult", "Same person? One image against another image or a person"),
        Operation("identify", "POST", "/face/identify", f"{_OPS}:identify", f"{_OPS}:IdentifyRequest",
                  "vision.face.schemas:IdentifyResult", "Who is in the image: top-k enrolled persons per face"),
        Operation("enroll", "POST", "/face/persons", f"{_OPS}:enroll", f"{_OPS}:EnrollRequest",
                  "vision.face.schemas:EnrollResult", "Enroll a person from one or more photos"),
        Operation("list_persons", "GET", "/face/persons", f"{_OPS}:list_persons", f"{_OPS}:ListPersonsRequest",
                  f"{_OPS}:PersonList", "The tenant's enrolled persons, paged"),
        Operation("get_person", "GET", "/face/persons/{person_id}", f"{_OPS}:get_person", f"{_OPS}:PersonRequest",
                  "vision.face.schemas:Person", "One enrolled person"),
        Operation("delete_person", "DELETE", "/face/persons/{person_id}", f"{_OPS}:delete_person",
                  f"{_OPS}:PersonRequest", "vision.face.schemas:DeleteResult",
                  "Erase a person, their embeddings and stored crops"),
        Operation("add_images", "POST", "/face/persons/{person_id}/images", f"{_OPS}:add_images",
                  f"{_OPS}:AddImagesRequest", "vision.face.schemas:EnrollResult", "Add photos to an enrolled person"),
    ),
)

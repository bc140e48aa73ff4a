"""Options of the face task (deployment ``tasks.face.options``): a typo is an error that names it."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FaceOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_face_size: int = Field(20, ge=4, le=4096, description="smallest face MTCNN looks for, in pixels")
    min_confidence: float = Field(0.9, ge=0.0, le=1.0, description="MTCNN face probability to keep a face")
    max_side: int = Field(1024, ge=64, le=16384, description="images are detected on a copy this long at most")
    threshold: float | None = Field(None, gt=0.0, le=4.0, description="match distance; the embedder's default when absent")
    embed: bool = Field(False, description="return each face's embedding from predict")

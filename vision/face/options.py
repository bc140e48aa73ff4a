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
    upscale_to: float = Field(0.0, ge=0.0, le=1024.0, description="enlarge faces smaller than this (px) before "
                                                                  "alignment; 0 = off (measured: no gain)")
    # The enrollment gate (vision/face/quality.py); absent = the limits measured on degraded real faces.
    enroll_min_face_size: float | None = Field(None, ge=0.0, le=4096.0, description="refuse smaller faces (px)")
    enroll_warn_face_size: float | None = Field(None, ge=0.0, le=4096.0, description="warn and down-weight below")
    enroll_min_sharpness: float | None = Field(None, ge=0.0, description="refuse blurrier faces")
    enroll_warn_sharpness: float | None = Field(None, ge=0.0, description="warn and down-weight below")
    enroll_max_yaw: float | None = Field(None, ge=0.0, le=5.0, description="refuse more turned faces")
    enroll_max_roll_degrees: float | None = Field(None, ge=0.0, le=180.0, description="refuse more tilted faces")
    enroll_min_directional_sharpness: float | None = Field(None, ge=0.0, description="refuse motion blur (off)")
    min_references: int | None = Field(None, ge=1, le=1000, description="fewer references flag a person")
    quality_penalty: float | None = Field(None, ge=0.0, le=2.0, description="distance added per unit of quality "
                                                                          "below the person's best reference")

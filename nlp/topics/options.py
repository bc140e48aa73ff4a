"""Options of the topics task (deployment ``tasks.topics.options``): a typo is an error that names it."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TopicsOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(64, ge=1, le=4096)
    max_length: int | None = Field(None, ge=8, le=512, description="tokens per window given to the encoder "
                                                                    "(default: the window the encoder was trained with)")
    encoder: str | None = Field(None, description="bundled encoder (nlp.encoders) for fitting; a saved model "
                                                  "uses the one it was fitted with, and naming another is an error")
    max_chunks: int = Field(8, ge=1, le=256, description="windows of max_length tokens embedded per long document")

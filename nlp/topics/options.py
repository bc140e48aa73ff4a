"""Options of the topics task (deployment ``tasks.topics.options``): a typo is an error that names it."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TopicsOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(64, ge=1, le=4096)
    max_length: int = Field(256, ge=8, le=512, description="tokens per text given to the encoder")
    max_chunks: int = Field(8, ge=1, le=256, description="windows of max_length tokens embedded per long document")

"""Options of the sentiment task (deployment ``tasks.sentiment.options``): a typo is an error that names it."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SentimentOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    neutral_band: float = Field(0.1, ge=0.0, lt=0.5, description="|p(pos) - 0.5| below this is 'neutral'")
    batch_size: int = Field(64, ge=1, le=4096)
    max_length: int = Field(256, ge=8, le=512, description="tokens per text given to the encoder")
    encoder_only: bool = Field(False, description="ignore a fine-tuned model's lexical (TF-IDF) head")

"""Sentiment request/response models (JSON-ready; the objects the HTTP API returns)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SentimentLabel = Literal["positive", "negative", "neutral"]


class SentimentProbabilities(BaseModel):
    """Model probabilities of the two classes (they sum to 1)."""

    model_config = ConfigDict(frozen=True)

    positive: float = Field(ge=0.0, le=1.0)
    negative: float = Field(ge=0.0, le=1.0)


class SentimentResult(BaseModel):
    """One text's sentiment: ``neutral`` when the positive probability lies inside the neutral band.

    ``chunks`` > 1 means the text was longer than the model window and was read in that many parts
    (their embeddings averaged), not truncated.
    """

    model_config = ConfigDict(frozen=True)

    label: SentimentLabel
    probabilities: SentimentProbabilities
    chunks: int = Field(ge=1)


class SentimentRequest(BaseModel):
    """A batch of texts, as a service would accept it."""

    texts: list[str] = Field(min_length=1)

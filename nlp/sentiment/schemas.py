"""Sentiment request/response models (JSON-ready; the objects the HTTP API returns)."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class SentimentResult(BaseModel):
    """One text's sentiment and a probability per label of the model (they sum to 1).

    The shipped model's labels are ``negative``/``positive``: ``label`` is ``neutral`` when
    p(positive) lies inside the neutral band. A model fine-tuned with ``--labels auto`` returns the
    client's own label names (e.g. positive/neutral/negative, or ``puas``/``kecewa``), the most
    probable one as ``label``. ``chunks`` > 1 means the text was longer than the model window and was
    read in that many parts (their embeddings averaged), not truncated.
    """

    model_config = ConfigDict(frozen=True)

    label: str
    probabilities: dict[str, Probability]
    chunks: int = Field(ge=1)


class SentimentRequest(BaseModel):
    """A batch of texts, as a service would accept it."""

    texts: list[str] = Field(min_length=1)

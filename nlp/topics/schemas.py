"""Topic request/response models (JSON-ready; the objects the HTTP API returns)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Keyword(BaseModel):
    """A topic keyword and its c-TF-IDF weight."""

    model_config = ConfigDict(frozen=True)

    word: str
    weight: float


class TopicInfo(BaseModel):
    """One topic: id, a readable label from its top words, size, keywords and representative documents."""

    id: int
    label: str
    size: int = Field(ge=0)
    keywords: list[Keyword]
    representative_docs: list[str] = Field(default_factory=list)


class TopicAssignment(BaseModel):
    """The topic of one document: ``probability`` is the model's posterior, ``score`` its log-score.

    ``chunks`` > 1 means the text was longer than the encoder window and read in parts (averaged).
    """

    model_config = ConfigDict(frozen=True)

    topic: int
    label: str
    keywords: list[str]
    score: float
    probability: float = Field(ge=0.0, le=1.0)
    chunks: int = Field(ge=1)


class TopicsOverTimeRow(BaseModel):
    """How many documents of a topic fell in a time bin, and that bin's own top words for the topic."""

    period: str
    topic: int
    count: int
    share: float
    keywords: list[str]


class FitRequest(BaseModel):
    """What a fit job needs: documents, the requested number of topics, optional ISO dates per document."""

    texts: list[str] = Field(min_length=4)
    n_topics: int | None = Field(None, ge=2, le=500)
    dates: list[str] | None = None

"""Sentiment analysis: a MiniLM classifier fine-tuned on SST-2, a VADER baseline, client fine-tuning.

Heavy modules load lazily: ``from nlp.sentiment import SentimentClassifier`` imports no torch.
"""
from __future__ import annotations

from typing import Any

from nlp.sentiment.schemas import SentimentRequest, SentimentResult

__all__ = ["SentimentClassifier", "SentimentRequest", "SentimentResult"]


def __getattr__(name: str) -> Any:
    if name == "SentimentClassifier":
        from nlp.sentiment.classifier import SentimentClassifier

        return SentimentClassifier
    raise AttributeError(name)

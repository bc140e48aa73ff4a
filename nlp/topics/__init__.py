"""Topic modelling on the shared MiniLM encoder: fit, keywords (c-TF-IDF), assign, merge, save, over time.

Heavy modules load lazily: ``from nlp.topics import TopicModel`` imports no torch or sklearn.
"""
from __future__ import annotations

from typing import Any

from nlp.topics.schemas import FitRequest, Keyword, TopicAssignment, TopicInfo, TopicsOverTimeRow

__all__ = ["FitRequest", "Keyword", "TopicAssignment", "TopicInfo", "TopicModel", "TopicsOverTimeRow"]


def __getattr__(name: str) -> Any:
    if name == "TopicModel":
        from nlp.topics.model import TopicModel

        return TopicModel
    raise AttributeError(name)

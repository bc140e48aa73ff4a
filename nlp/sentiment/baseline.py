"""The lexicon baseline: VADER (rule-based, lexicon bundled in vaderSentiment), for comparison only."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.text import validate_texts
from nlp.sentiment.labels import label_for
from nlp.sentiment.schemas import SentimentResult

# VADER's own convention: |compound| < 0.05 is neutral.
VADER_NEUTRAL = 0.05


class VaderBaseline:
    """VADER's compound score mapped to our result type; ``p(positive)`` is ``(compound + 1) / 2``."""

    def __init__(self, neutral_band: float = 0.0) -> None:
        self.neutral_band = neutral_band
        self._analyzer: Any = None

    def load(self) -> VaderBaseline:
        if self._analyzer is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            self._analyzer = SentimentIntensityAnalyzer()
        return self

    def predict(self, texts: Sequence[str]) -> list[SentimentResult]:
        self.load()
        out = []
        for text in validate_texts(list(texts)):
            p = (self._analyzer.polarity_scores(text)["compound"] + 1.0) / 2.0
            out.append(SentimentResult(label=label_for(p, self.neutral_band),
                                       probabilities={"negative": 1.0 - p, "positive": p}, chunks=1))
        return out

"""Neutral band, metrics and the VADER baseline (no model weights needed)."""
from __future__ import annotations

import pytest

from core.errors import ConfigError, InvalidInput
from nlp.sentiment.baseline import VaderBaseline
from nlp.sentiment.labels import check_band, label_for
from nlp.sentiment.metrics import binary_metrics
from nlp.sentiment.model import trainable_prefixes
from nlp.sentiment.schemas import SentimentProbabilities, SentimentResult


def test_neutral_band() -> None:
    assert label_for(0.55, 0.1) == "neutral"
    assert label_for(0.55, 0.0) == "positive"
    assert label_for(0.2, 0.1) == "negative"
    with pytest.raises(ConfigError):
        check_band(0.5)


def _result(p: float, band: float = 0.1) -> SentimentResult:
    return SentimentResult(label=label_for(p, band), probabilities=SentimentProbabilities(positive=p, negative=1 - p),
                           chunks=1)


def test_binary_metrics_and_coverage() -> None:
    results = [_result(p) for p in (0.9, 0.8, 0.55, 0.1, 0.7)]
    values, cm = binary_metrics(results, [1, 0, 1, 0, 0])
    assert values["accuracy"] == pytest.approx(3 / 5)
    assert values["coverage"] == pytest.approx(4 / 5)
    assert values["accuracy_decided"] == pytest.approx(2 / 4)
    assert cm == [[1, 2], [0, 2]]


def test_vader_baseline_and_its_input_checks() -> None:
    out = VaderBaseline().predict(["I love this wonderful movie", "This is terrible and boring"])
    assert [r.label for r in out] == ["positive", "negative"]
    with pytest.raises(InvalidInput, match="item 1"):
        VaderBaseline().predict(["fine", "   "])
    with pytest.raises(InvalidInput, match="UTF-8"):
        VaderBaseline().predict([b"\xff\xfe"])  # type: ignore[list-item]


def test_trainable_prefixes() -> None:
    assert trainable_prefixes(2) == ("head.", "backbone.encoder.layer.4.", "backbone.encoder.layer.5.")
    assert trainable_prefixes(0) == ("head.",)
    with pytest.raises(ValueError):
        trainable_prefixes(7)

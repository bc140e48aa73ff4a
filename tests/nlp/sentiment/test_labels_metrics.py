"""Neutral band, metrics and the VADER baseline (no model weights needed)."""
from __future__ import annotations

import pytest

from core.errors import ConfigError, InvalidInput
from nlp.sentiment.baseline import VaderBaseline
from nlp.sentiment.labels import check_band, label_for
from nlp.sentiment.metrics import binary_metrics
from nlp.sentiment.model import trainable_prefixes
from nlp.sentiment.schemas import SentimentResult


def test_neutral_band() -> None:
    assert label_for(0.55, 0.1) == "neutral"
    assert label_for(0.55, 0.0) == "positive"
    assert label_for(0.2, 0.1) == "negative"
    with pytest.raises(ConfigError):
        check_band(0.5)


def _result(p: float, band: float = 0.1) -> SentimentResult:
    return SentimentResult(label=label_for(p, band), probabilities={"negative": 1 - p, "positive": p},
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


def test_class_metrics_with_intervals() -> None:
    from nlp.sentiment.metrics import class_metrics

    truth = [0] * 50 + [1] * 30 + [2] * 20
    pred = [0] * 45 + [1] * 5 + [1] * 30 + [2] * 10 + [0] * 10
    values, intervals, cm = class_metrics(pred, truth, ["neg", "neu", "pos"], n_resamples=200)
    assert values["accuracy"] == 0.85 and cm == [[45, 5, 0], [0, 30, 0], [10, 0, 10]]
    low, high = intervals["macro_f1"]
    assert low < values["macro_f1"] < high
    assert values["f1_pos"] == pytest.approx(2 * 10 / (2 * 10 + 10))


def test_lexical_head_round_trips_and_learns(tmp_path) -> None:
    import numpy as np

    from nlp.sentiment.lexical import TfidfBaseline

    texts = [f"enak mantap {i}" for i in range(20)] + [f"buruk kecewa {i}" for i in range(20)] + \
        [f"pergi pasar {i}" for i in range(20)]
    labels = [2] * 20 + [0] * 20 + [1] * 20
    model = TfidfBaseline().fit(texts, labels)
    assert model.predict(["enak sekali mantap", "kecewa buruk", "ke pasar pergi"]) == [2, 0, 1]
    model.save(tmp_path)
    again = TfidfBaseline.load(tmp_path)
    probe = ["enak tapi kecewa", "pasar"]
    assert np.allclose(again.probabilities(probe), model.probabilities(probe), atol=1e-5)

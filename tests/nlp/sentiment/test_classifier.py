"""The shipped sentiment model: predictions, input rejection, chunking, accuracy vs VADER, client fine-tuning."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InvalidInput, PayloadTooLarge, WeightsUnavailable
from nlp.sentiment.classifier import SentimentClassifier
from nlp.sentiment.weights import status

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def classifier() -> SentimentClassifier:
    if not status().available:
        pytest.skip(f"default sentiment model not built: {status().message}")
    import torch

    torch.set_num_threads(1)
    return SentimentClassifier(device="cpu", neutral_band=0.1).load()


def test_predicts_clear_cases(classifier: SentimentClassifier) -> None:
    out = classifier.predict(["a gorgeous , witty , moving film", "a dull , lifeless and painfully boring mess"])
    assert [r.label for r in out] == ["positive", "negative"]
    for r in out:
        assert r.probabilities.positive + r.probabilities.negative == pytest.approx(1.0, abs=1e-4)
        assert r.chunks == 1


def test_long_text_is_chunked_and_reported(classifier: SentimentClassifier) -> None:
    long = " ".join(["a wonderful , heartfelt and beautifully acted story ."] * 80)  # about 800 tokens
    result = classifier.predict([long])[0]
    assert result.chunks >= 3 and result.label == "positive"


@pytest.mark.parametrize("bad, error", [("", InvalidInput), ("  \n ", InvalidInput), (b"\xff\xfe", InvalidInput),
                                        ("x" * 20_001, PayloadTooLarge), (42, InvalidInput)])
def test_bad_inputs_are_rejected(classifier: SentimentClassifier, bad: object, error: type) -> None:
    with pytest.raises(error):
        classifier.predict(["fine", bad])  # type: ignore[list-item]


def test_utf8_bytes_are_accepted(classifier: SentimentClassifier) -> None:
    assert classifier.predict(["très bon film , I loved it".encode()])[0].label == "positive"  # type: ignore[list-item]


def test_beats_vader_on_sst2_dev_subset(classifier: SentimentClassifier, shared_data: Path) -> None:
    from nlp.sentiment.datasets import sst2

    metrics = classifier.evaluate(sst2("dev", shared_data / "sst2").head(500))
    assert metrics.values["accuracy"] > 0.80
    assert metrics.values["accuracy"] > metrics.values["vader_accuracy"] + 0.1
    assert metrics.details["confusion_matrix"][0][0] > 0


def test_missing_weights_say_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(WeightsUnavailable, match="sentiment"):
        SentimentClassifier(weights=tmp_path, device="cpu").load()


def test_fine_tune_on_a_client_csv_saves_a_versioned_model(tmp_path: Path) -> None:
    from nlp.sentiment.datasets import read_labelled
    from nlp.sentiment.train import FineTuneConfig, train_and_save

    rows = ["text,label"] + [f"great product number {i},positive" for i in range(15)] + \
        [f"broken and useless item {i},negative" for i in range(15)]
    (tmp_path / "client.csv").write_text("\n".join(rows), encoding="utf-8")
    data = read_labelled(tmp_path / "client.csv")
    result = train_and_save(data, tmp_path / "model", FineTuneConfig(train_layers=1, epochs=2, batch_size=8,
                                                                     holdout=0.2, device="cpu"), progress=False)
    assert (tmp_path / "model" / "adapter.safetensors").stat().st_size < 5_000_000
    assert result.config.version.startswith("sentiment-") and result.history
    tuned = SentimentClassifier(weights=tmp_path / "model", device="cpu").load()
    assert tuned.version == result.config.version
    assert tuned.predict(["great product number 99"])[0].probabilities.positive > 0.5

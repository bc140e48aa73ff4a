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
        assert sum(r.probabilities.values()) == pytest.approx(1.0, abs=1e-4)
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
    assert metrics.values["accuracy"] > metrics.baselines["vader"]["accuracy"] + 0.1
    assert metrics.details["confusion_matrix"][0][0] > 0
    low, high = metrics.intervals["accuracy"]
    assert low < metrics.values["accuracy"] < high and metrics.origin == "labelled"
    assert "macro_f1" in metrics.intervals


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
    assert tuned.predict(["great product number 99"])[0].probabilities["positive"] > 0.5


def test_fine_tune_with_the_clients_own_labels(tmp_path: Path) -> None:
    """--labels auto: three Indonesian labels, class weights, a lexical head; predictions use the client's names."""
    from nlp.sentiment.adapt import adapt
    from nlp.sentiment.datasets import read_labelled
    from nlp.sentiment.train import FineTuneConfig

    rows = [f"makanan enak sekali mantap {i}\tpuas" for i in range(24)] + \
        [f"pelayanan buruk kecewa {i}\tkecewa" for i in range(12)] + [f"saya pergi ke pasar {i}\tbiasa" for i in range(8)]
    (tmp_path / "client.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = read_labelled(tmp_path / "client.tsv", 0, 1, labels="auto", header=False)
    report = adapt(data, tmp_path / "model", FineTuneConfig(train_layers=1, epochs=2, batch_size=8, holdout=0.2,
                                                            device="cpu", lexical=True),
                   start_from=None, test_fraction=0.2, progress=False)
    assert report.test is not None and report.test.n_samples == 9  # 20 % of each class: 5 + 2 + 2
    assert report.test.details["confusion_matrix_layout"].startswith("rows truth ['biasa', 'kecewa', 'puas']")
    assert "macro_f1" in report.test.intervals and "tfidf_logreg" in report.test.baselines
    assert (tmp_path / "model" / "report.json").is_file()
    tuned = SentimentClassifier(weights=tmp_path / "model", device="cpu").load()
    assert tuned.labels == ("biasa", "kecewa", "puas") and tuned.lexical is not None
    out = tuned.predict(["makanan enak sekali mantap 99", "pelayanan buruk kecewa 99"])
    assert [r.label for r in out] == ["puas", "kecewa"]
    assert set(out[0].probabilities) == {"biasa", "kecewa", "puas"}
    assert sum(out[0].probabilities.values()) == pytest.approx(1.0, abs=1e-4)


def test_a_long_review_from_a_file_is_read_whole(classifier: SentimentClassifier) -> None:
    """The 20,000-character limit is for requests; a document from a file is aggregated over its chunks."""
    review = " ".join(["a wonderful , heartfelt and beautifully acted story ."] * 450)  # ~24,000 characters
    with pytest.raises(PayloadTooLarge):
        classifier.predict([review])
    result = classifier.predict_all([review])[0]
    assert result.label == "positive" and result.chunks >= 10


def test_evaluate_any_labelled_file_and_reject_a_malformed_one(classifier: SentimentClassifier, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from nlp.sentiment.cli import app as sentiment_app

    path = tmp_path / "glue.tsv"
    path.write_text("sentence\tlabel\na gorgeous , moving film\t1\ndull and lifeless\t0\nwitty and warm\t1\n",
                    encoding="utf-8")
    out = CliRunner().invoke(sentiment_app, ["evaluate", "--data", str(path), "--device", "cpu", "--json"])
    assert out.exit_code == 0, out.output
    assert '"origin": "labelled"' in out.output and '"vader"' in out.output
    path.write_text("sentence\tlabel\nfine\t1\nno tab on this line\n", encoding="utf-8")
    out = CliRunner().invoke(sentiment_app, ["evaluate", "--data", str(path), "--device", "cpu"])
    assert out.exit_code != 0 and "glue.tsv:3" in str(out.exception)

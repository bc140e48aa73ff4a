"""The topics task end to end: shipped default topics, fit on real news, reduce, save/load, over time."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InvalidInput, PayloadTooLarge
from nlp.topics.model import TopicModel
from nlp.topics.weights import status

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def default_model() -> TopicModel:
    if not status().available:
        pytest.skip(f"default topic model missing: {status().message}")
    import torch

    torch.set_num_threads(1)
    return TopicModel(device="cpu").load()


def test_default_topics_are_readable_and_assign_news(default_model: TopicModel) -> None:
    topics = default_model.topics()
    assert len(topics) == 4 and all(len(t.keywords) == 10 and t.representative_docs for t in topics)
    sport, markets = default_model.predict(["The striker scored twice as United won the league match",
                                            "Shares fell after the bank reported lower quarterly profit"])
    assert sport.topic != markets.topic
    assert 0 <= sport.probability <= 1 and sport.chunks == 1


@pytest.mark.parametrize("bad, error", [("", InvalidInput), ("   ", InvalidInput), (b"\xc3\x28", InvalidInput),
                                        ("y" * 20_001, PayloadTooLarge), ("<b></b>", InvalidInput)])
def test_bad_inputs_are_rejected(default_model: TopicModel, bad: object, error: type) -> None:
    with pytest.raises(error):
        default_model.predict(["ok text", bad])  # type: ignore[list-item]


def test_fit_reduce_save_load_over_time(shared_data: Path, tmp_path: Path) -> None:
    from nlp.topics.datasets import agnews
    from nlp.topics.quality import label_agreement

    corpus = agnews(shared_data / "agnews" / "dev.tsv").head(300)
    dates = [f"2024-{1 + i % 3:02d}-15" for i in range(len(corpus.texts))]
    model = TopicModel(device="cpu").fit(corpus.texts, n_topics=6, dates=dates)
    assert model.state is not None and model.state.n_topics == 6
    assert {r.period for r in model.over_time} == {"2024-W03", "2024-W07", "2024-W11"}  # auto: weeks for 2 months
    model.reduce(4)
    assert len(model.topics()) == 4
    assert model.fit_labels is not None
    assert label_agreement(corpus.labels, model.fit_labels.tolist())["nmi"] > 0.3
    model.save(tmp_path / "m")
    again = TopicModel(weights=tmp_path / "m", device="cpu").load()
    assert [t.keywords for t in again.topics()] == [t.keywords for t in model.topics()]
    rows = again.topics_over_time(corpus.texts[:20], dates[:20], freq="month")
    assert sum(r.count for r in rows) == 20


def test_a_corpus_of_long_documents_is_not_a_request() -> None:
    """Fitting on the BBC News corpus failed with PayloadTooLarge on a 25,484-character article (issue 26)."""
    from nlp.topics.synth import themed_corpus

    texts, _ = themed_corpus(12)
    long_doc = " ".join([texts[0]] * 500)  # ~30,000 characters, about 5,000 tokens
    assert len(long_doc) > 20_000
    model = TopicModel(device="cpu", max_chunks=2).fit([*texts, long_doc], n_topics=3)
    assert model.state is not None and model.state.n_topics == 3
    assert model.state.vocabulary.counts([long_doc]).sum() > 2000  # counted whole for the keywords, not 2 windows
    scores, chunks = model.scores([long_doc], corpus=True)
    assert chunks == [2] and scores.shape == (1, 3)
    with pytest.raises(PayloadTooLarge):  # a request still has the limit
        model.predict([long_doc])


def test_evaluate_reports_intervals_origin_and_the_kmeans_baseline() -> None:
    from nlp.topics.datasets import Corpus
    from nlp.topics.synth import themed_corpus

    texts, labels = themed_corpus(15)
    metrics = TopicModel(device="cpu").evaluate(Corpus("themes", texts, labels, origin="generated"), n_resamples=50)
    low, high = metrics.intervals["nmi"]
    assert low <= metrics.values["nmi"] <= high and metrics.origin == "generated"
    assert 0.0 <= metrics.baselines["kmeans_minilm"]["nmi"] <= 1.0
    assert metrics.baselines["logreg_5fold_supervised"]["nmi"] > 0.9  # three clean themes: labels make it easy

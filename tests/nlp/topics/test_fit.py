"""Topic fitting, merging, saving and quality metrics on a tiny generated corpus (no encoder needed)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from core.errors import InvalidInput
from nlp.topics.clean import clean_text
from nlp.topics.ctfidf import Vocabulary, fit_vocabulary, top_terms
from nlp.topics.fit import FitOptions, fit_state
from nlp.topics.quality import label_agreement, npmi_coherence, topic_diversity
from nlp.topics.store import load_state, save_state
from nlp.topics.synth import themed_corpus
from nlp.topics.timeline import parse_dates, topics_over_time


def _random_embeddings(n: int) -> np.ndarray:
    emb = np.random.default_rng(0).normal(size=(n, 384)).astype(np.float32)
    return emb / np.linalg.norm(emb, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], list[str]]:
    return themed_corpus(30)


def test_clean_text_removes_feed_markup() -> None:
    assert clean_text("Russia #39;s oil &lt;b&gt;deal&lt;/b&gt; http://x.com/a #151; done") == "Russia's oil deal done"


def test_keywords_recover_the_themes(corpus) -> None:
    texts, labels = corpus
    # embeddings carry no signal here, so the keyword view alone must find the themes
    state, topics = fit_state(texts, _random_embeddings(len(texts)), 3, FitOptions(text_weight=0.8))
    assert label_agreement(labels, topics.tolist())["nmi"] == pytest.approx(1.0)
    assert sorted(state.sizes) == [30, 30, 30]
    words = {frozenset(w for w, _ in kw) for kw in top_terms(state.keyword_weights, state.vocabulary.terms, 5)}
    assert any({"rocket", "orbit", "nasa", "launch"} & w for w in words)
    assert all(len(r) == 3 for r in state.representatives)


@pytest.mark.parametrize("method", ["agglomerative", "hdbscan"])
def test_other_clusterers_and_automatic_count(corpus, method: str) -> None:
    texts, _ = corpus
    state, topics = fit_state(texts, _random_embeddings(len(texts)), None, FitOptions(method=method, text_weight=0.8))
    assert state.n_topics >= 2 and len(topics) == len(texts)


def test_reduce_merges_exactly(corpus) -> None:
    texts, _ = corpus
    state, _ = fit_state(texts, _random_embeddings(len(texts)), 3, FitOptions(text_weight=0.8))
    two = state.reduced(2)
    assert two.n_topics == 2 and sum(two.sizes) == len(texts)
    assert np.allclose(two.term_counts.sum(0), state.term_counts.sum(0))


def test_bad_requests(corpus) -> None:
    texts, _ = corpus
    emb = _random_embeddings(len(texts))
    with pytest.raises(InvalidInput, match="n_topics"):
        fit_state(texts, emb, 1)
    with pytest.raises(InvalidInput, match="embeddings"):
        fit_state(texts, emb[:3], 2)
    with pytest.raises(InvalidInput, match="method"):
        fit_state(texts, emb, 3, FitOptions(method="lda"))  # type: ignore[arg-type]


def test_save_load_roundtrip(corpus, tmp_path: Path) -> None:
    texts, _ = corpus
    state, _ = fit_state(texts, _random_embeddings(len(texts)), 3, FitOptions(text_weight=0.8))
    save_state(tmp_path / "m", state, {"version": "t1"})
    loaded, meta = load_state(tmp_path / "m")
    assert meta["version"] == "t1" and loaded.sizes == state.sizes
    assert np.allclose(loaded.keyword_weights, state.keyword_weights)
    assert loaded.vocabulary.terms == state.vocabulary.terms


def test_quality_metrics(corpus) -> None:
    texts, _ = corpus
    vocab, counts = fit_vocabulary(texts)
    idx = {t: i for i, t in enumerate(vocab.terms)}
    together = [idx["rocket"], idx["orbit"], idx["nasa"]]
    apart = [idx["rocket"], idx["goal"], idx["shares"]]
    good, bad = npmi_coherence([together, apart], counts)
    assert good > 0 > bad == pytest.approx(-1.0)
    assert topic_diversity([together, apart]) == pytest.approx(5 / 6)


def test_phrases_are_counted_in_new_documents_as_in_the_fit(corpus) -> None:
    texts, _ = corpus
    extra = ["Shares of Bank of America rose", "Bank of America cut jobs", "A bank in America"]
    vocab, counts = fit_vocabulary(texts + extra)
    assert "bank america" in vocab.terms and vocab.max_ngram == 2   # a phrase is formed after stop words drop
    assert (vocab.counts(texts + extra) != counts).nnz == 0          # so counting new documents drops them too
    words = Vocabulary([t for t in vocab.terms if " " not in t], vocab.doc_freq, vocab.n_docs)
    assert words.max_ngram == 1 and words.counts(extra).shape[1] == len(words.terms)  # models saved before phrases


def test_topics_over_time(corpus) -> None:
    texts, labels = corpus
    vocab, counts = fit_vocabulary(texts)
    topics = np.array([["sport", "markets", "space"].index(x) for x in labels])
    dates = parse_dates(["2024-01-05"] * 45 + ["2024-03-02T10:00:00Z"] * 45)
    rows = topics_over_time(dates, topics, counts, vocab.terms, "month")
    assert {r.period for r in rows} == {"2024-01", "2024-03"}
    assert sum(r.count for r in rows) == len(texts)
    assert all(0 < r.share <= 1 for r in rows)
    with pytest.raises(InvalidInput, match="item 1"):
        parse_dates(["2024-01-01", "yesterday"])
    assert parse_dates([date(2024, 1, 1)]) == [date(2024, 1, 1)]


def test_guided_topics_follow_the_seed_words(corpus) -> None:
    texts, labels = corpus
    seeds = (("rocket", "orbit", "nasa"), ("shares", "profit", "stocks"))
    state, topics = fit_state(texts, _random_embeddings(len(texts)), 3, FitOptions(text_weight=0.8, seed_words=seeds))
    assert state.n_topics == 3
    assert label_agreement(labels, topics.tolist())["nmi"] > 0.9
    with pytest.raises(InvalidInput, match="seed words"):
        fit_state(texts, _random_embeddings(len(texts)), 3, FitOptions(seed_words=(("zzzunknown",),)))


def test_merge_chosen_topics_after_a_fit(corpus) -> None:
    from nlp.topics.model import TopicModel

    texts, _ = corpus
    model = TopicModel(device="cpu")
    model.state, _ = fit_state(texts, _random_embeddings(len(texts)), 3, FitOptions(text_weight=0.8))
    model.merge([2, 0])
    assert model.state is not None and model.state.n_topics == 2 and sum(model.state.sizes) == len(texts)
    with pytest.raises(InvalidInput, match="two or more topic ids"):
        model.merge([0, 5])

"""The topics task: fit topics on a corpus, describe them, assign new documents, merge, save, follow over time."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Self

import numpy as np

from core.device import Placement, resolve_placement
from core.errors import InvalidInput, ModelLoading, WeightsUnavailable
from core.schemas import Metrics, TextLimits
from core.task import BaseTask
from core.text import validate_texts
from nlp.encoders import DEFAULT_ENCODER, MINILM, encoder_spec
from nlp.topics.clean import clean_text
from nlp.topics.fit import FitOptions, TopicState, fit_state, softmax
from nlp.topics.schemas import Keyword, TopicAssignment, TopicInfo, TopicsOverTimeRow

log = logging.getLogger(__name__)

DEFAULT_WEIGHTS = "package:nlp/topics/weights"
DEFAULT_TOPICS_ENCODER = DEFAULT_ENCODER  # what a fit uses unless the `encoder` option names another
LEGACY_ENCODER = MINILM.name  # the encoder of saved models that do not record one
# share of the keyword view per encoder, chosen on the two halves of AG News dev (README); others: FitOptions'
TEXT_WEIGHTS = {"all-MiniLM-L6-v2+all-mpnet-base-v2": 0.1}


def default_text_weight(encoder: str) -> float:
    return TEXT_WEIGHTS.get(encoder, FitOptions.text_weight)


CORPUS_LIMITS = TextLimits(max_chars=10**9)  # the 20,000-character limit is for HTTP requests, not corpora


class TopicModel(BaseTask[str, TopicAssignment]):
    """Topic discovery on MiniLM embeddings + c-TF-IDF keywords (in the spirit of BERTopic).

    The default weights are 4 topics fitted on AG News (World, Sports, Business, Sci/Tech-like);
    ``fit`` replaces them with topics of your own corpus. Options: ``batch_size`` (encoder chunks
    per forward pass), ``max_length`` (tokens per chunk; longer texts are chunked and averaged).

    >>> model = TopicModel(device="cpu").load()                                  # doctest: +SKIP
    >>> model.predict(["Oil prices rose as stocks fell"])[0].keywords[:3]        # doctest: +SKIP
    >>> mine = TopicModel(device="cpu").fit(texts, n_topics=8)                   # doctest: +SKIP
    >>> mine.save("my-topics/")                                                  # doctest: +SKIP
    """

    name = "topics"
    default_weights = DEFAULT_WEIGHTS

    def __init__(self, weights: Any = None, device: str = "auto", precision: str = "auto", **options: Any) -> None:
        super().__init__(weights, device, precision, **options)
        self.batch_size = int(options.get("batch_size", 64))
        # the encoder: an entry of nlp.encoders (None: the default for a fit, the recorded one for a saved model)
        self.requested_encoder: str | None = options.get("encoder")
        if self.requested_encoder is not None:
            encoder_spec(self.requested_encoder)  # an unknown name fails here, naming the known ones
        self.requested_max_length: int | None = options.get("max_length")
        # a corpus is not a request: fitting reads documents of any length, embedding the first
        # ``max_chunks`` windows (about 2,000 tokens by default) and counting every word for keywords
        self.max_chunks = int(options.get("max_chunks", 8))
        self.state: TopicState | None = None
        self.meta: dict[str, Any] = {}
        self.over_time: list[TopicsOverTimeRow] = []
        self.fit_labels: np.ndarray | None = None  # topic of each document of the last fit
        self.fit_embeddings: np.ndarray | None = None  # its document embeddings (for the k-means baseline)
        self._encoder: Any = None

    # -- loading -------------------------------------------------------------------------------
    def resolve_weights_path(self) -> Path | None:
        try:
            return super().resolve_weights_path()
        except WeightsUnavailable as exc:
            if self.weights.kind == "default":
                raise WeightsUnavailable(f"the default topic model is missing ({exc}); rebuild it with "
                                         "`ais topics build-default` or fit your own with TopicModel().fit(...)") from exc
            raise

    def _load(self, weights_path: Path | None, placement: Placement) -> None:
        from nlp.topics.store import load_state

        assert weights_path is not None
        state, meta = load_state(weights_path)
        recorded = str(meta.get("encoder") or LEGACY_ENCODER)  # models saved before the registry used MiniLM
        check_encoder(recorded, self.requested_encoder, state.embedding_sums.shape[1], str(weights_path))
        self.state, self.meta = state, {**meta, "encoder": recorded}
        self._encoder_for(placement)

    @property
    def encoder_name(self) -> str:
        """The encoder of the fitted/loaded topics, else the one a fit would use."""
        return str(self.meta.get("encoder") or self.requested_encoder or DEFAULT_TOPICS_ENCODER)

    @property
    def max_length(self) -> int:
        return int(self.requested_max_length or self.meta.get("max_length") or encoder_spec(self.encoder_name).max_length)

    def _encoder_for(self, placement: Placement) -> Any:
        if self._encoder is None or self._encoder.spec.name != self.encoder_name:
            from nlp.encoder import make_encoder

            # a combined encoder's members each read their own trained window unless one is requested
            window = self.requested_max_length or self.meta.get("max_length")
            self._encoder = make_encoder(self.encoder_name, batch_size=self.batch_size,
                                         max_length=window).load(placement)
        return self._encoder

    @property
    def version(self) -> str:
        return str(self.meta.get("version") or super().version)

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], n_topics: int | None = None, dates: Sequence[str | date] | None = None,
            options: FitOptions | None = None, progress: bool = False, cache: Path | None = None) -> Self:
        """Fit topics on ``texts`` (replacing any loaded ones); ``dates`` (ISO) also fills ``over_time``.

        ``n_topics=None`` picks a count from the corpus size (about sqrt(n/4), at most 50).
        ``cache`` (an ``.npz`` path) keeps the corpus embeddings for the next fit of the same texts.
        Returns self, loaded and ready to ``predict``; call ``save(folder)`` to keep it.
        """
        from nlp.topics.cache import read_cache, write_cache
        from nlp.topics.timeline import parse_dates, topics_over_time

        cleaned = self._clean(texts, CORPUS_LIMITS)
        parsed = parse_dates(dates) if dates is not None else None
        if parsed is not None and len(parsed) != len(cleaned):
            raise InvalidInput(f"{len(parsed)} dates for {len(cleaned)} texts")
        placement = self.placement or resolve_placement(self.device, self.precision)
        self.meta = {}  # a refit may use another encoder than the loaded topics (the requested one, or the default)
        encoder = self.encoder_name
        embeddings = read_cache(cache, cleaned, self.max_length, self.max_chunks, encoder) if cache else None
        if embeddings is None:
            embeddings = self._encoder_for(placement).encode(cleaned, progress=progress,
                                                             max_chunks=self.max_chunks).embeddings
            if cache:
                write_cache(cache, cleaned, self.max_length, embeddings, self.max_chunks, encoder)
        options = options or FitOptions(text_weight=default_text_weight(encoder))
        state, labels = fit_state(cleaned, embeddings, n_topics, options)
        self.state, self.placement = state, placement
        self.meta = {"version": f"topics-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}", "encoder": encoder,
                     "max_length": self.requested_max_length, "n_documents": len(cleaned),
                     "requested_topics": n_topics, "options": asdict(options),
                     "created": datetime.now(UTC).isoformat(timespec="seconds")}
        self.fit_labels = labels
        self.fit_embeddings = embeddings
        self.over_time = []
        if parsed is not None:
            counts = state.vocabulary.counts(cleaned)
            self.over_time = topics_over_time(parsed, labels, counts, state.vocabulary.terms)
        return self

    def merge(self, topics: Sequence[int]) -> Self:
        """Merge the given topics into one (exact: statistics are summed); other ids above them shift down."""
        state = self._require_state()
        ids = sorted({int(t) for t in topics})
        if len(ids) < 2 or ids[0] < 0 or ids[-1] >= state.n_topics:
            raise InvalidInput(f"give two or more topic ids within 0..{state.n_topics - 1}, got {list(topics)}")
        for drop in reversed(ids[1:]):
            state = state.merged(ids[0], drop)
        self.state = state
        self.meta.setdefault("merged", []).append(ids)
        return self

    def reduce(self, n_topics: int) -> Self:
        """Merge the most similar topics until ``n_topics`` remain (exact: topics keep summed statistics)."""
        self.state = self._require_state().reduced(n_topics)
        self.meta["reduced_to"] = n_topics
        return self

    def save(self, folder: str | Path) -> Path:
        """Write the fitted topics (a few hundred KB); load them with ``TopicModel(weights=folder)``."""
        from nlp.topics.store import save_state

        return save_state(Path(folder), self._require_state(), self.meta)

    # -- describing ----------------------------------------------------------------------------
    def topics(self, n_words: int = 10) -> list[TopicInfo]:
        """Every topic with its keywords (c-TF-IDF), size and representative documents."""
        state = self._require_state()
        keywords = self._keywords(n_words)
        return [TopicInfo(id=t, label=self._label(t, keywords), size=state.sizes[t],
                          keywords=[Keyword(word=w, weight=round(x, 6)) for w, x in keywords[t]],
                          representative_docs=state.representatives[t] if t < len(state.representatives) else [])
                for t in range(state.n_topics)]

    def _keywords(self, n_words: int) -> list[list[tuple[str, float]]]:
        from nlp.topics.ctfidf import top_terms

        state = self._require_state()
        return top_terms(state.keyword_weights, state.vocabulary.terms, n_words)

    @staticmethod
    def _label(topic: int, keywords: list[list[tuple[str, float]]]) -> str:
        return "_".join([str(topic), *(w for w, _ in keywords[topic][:3])])

    # -- predicting ----------------------------------------------------------------------------
    def _require_state(self) -> TopicState:
        if self.state is None:
            raise ModelLoading("no topics yet: load() a fitted model or call fit(texts, n_topics)")
        return self.state

    @staticmethod
    def _clean(texts: Sequence[str], limits: TextLimits | None = None) -> list[str]:
        """Validated, de-marked-up texts; ``limits`` default to a request's (20,000 characters)."""
        validated = validate_texts(list(texts), limits or TextLimits())
        cleaned = [clean_text(t) for t in validated]
        for index, text in enumerate(cleaned):
            if not text:
                raise InvalidInput(f"item {index}: nothing left after removing markup and links", index=index)
        return cleaned

    def scores(self, texts: Sequence[str], corpus: bool = False) -> tuple[np.ndarray, list[int]]:
        """``n x k`` unnormalised log-posteriors of the topics for ``texts``, and their chunk counts.

        ``corpus=True``: documents of a corpus (any length, the first ``max_chunks`` windows embedded);
        else a request (the 20,000-character limit, every window read).
        """
        state = self._require_state()
        assert self.placement is not None
        cleaned = self._clean(texts, CORPUS_LIMITS if corpus else None)
        encoded = self._encoder_for(self.placement).encode(cleaned, max_chunks=self.max_chunks if corpus else None)
        return state.log_posterior(encoded.embeddings, state.vocabulary.counts(cleaned)), encoded.chunks

    def _predict(self, batch: Sequence[str]) -> list[TopicAssignment]:
        scores, chunks = self.scores(batch)
        keywords = self._keywords(10)
        probs = softmax(scores)
        out = []
        for row, n_chunks in zip(range(len(scores)), chunks):
            topic = int(scores[row].argmax())
            out.append(TopicAssignment(topic=topic, label=self._label(topic, keywords),
                                       keywords=[w for w, _ in keywords[topic]], score=float(scores[row, topic]),
                                       probability=float(probs[row, topic]), chunks=n_chunks))
        return out

    def topics_over_time(self, texts: Sequence[str], dates: Sequence[str | date],
                         freq: str = "auto") -> list[TopicsOverTimeRow]:
        """Assign ``texts`` to the fitted topics and count them per period (day/week/month/quarter/year)."""
        from nlp.topics.timeline import parse_dates, topics_over_time

        state = self._require_state()
        parsed = parse_dates(dates)
        if len(parsed) != len(texts):
            raise InvalidInput(f"{len(parsed)} dates for {len(texts)} texts")
        scores, _ = self.scores(texts, corpus=True)
        counts = state.vocabulary.counts(self._clean(texts, CORPUS_LIMITS))
        return topics_over_time(parsed, scores.argmax(1), counts, state.vocabulary.terms, freq)

    # -- evaluating ----------------------------------------------------------------------------
    def evaluate(self, dataset: Any, n_topics: int | None = None, options: FitOptions | None = None,
                 progress: bool = False, cache: Path | None = None, n_resamples: int = 300) -> Metrics:
        """Fit on ``dataset.texts`` (labels unseen), then NMI/ARI vs ``dataset.labels``, NPMI and diversity.

        ``n_topics`` defaults to the number of distinct labels. Fitting replaces this model's topics.
        NMI and ARI get percentile-bootstrap 95 % intervals over the documents (the fit is fixed; the
        interval is the uncertainty of the score on this many documents). Baselines: plain k-means
        (10 inits) on the same encoder's embeddings, with the same number of clusters; and a reference
        from above, ``logreg_5fold_supervised``: a logistic regression *trained on the labels* over the
        same two views (embedding + the fit's TF-IDF terms), each document predicted by the model of the
        5-fold cross-validation that did not see it. An unsupervised fit is not expected to beat it.
        """
        from sklearn.cluster import KMeans

        from core.stats import bootstrap_interval
        from nlp.topics.quality import label_agreement, npmi_coherence, topic_diversity

        k = n_topics or len(set(dataset.labels))
        self.fit(dataset.texts, k, options=options, progress=progress, cache=cache)
        state = self._require_state()
        counts = state.vocabulary.counts(self._clean(dataset.texts, CORPUS_LIMITS))
        top10 = [np.argsort(-row)[:10].tolist() for row in state.keyword_weights]
        top25 = [np.argsort(-row)[:25].tolist() for row in state.keyword_weights]
        npmi = npmi_coherence(top10, counts)
        assert self.fit_labels is not None
        values = {**label_agreement(dataset.labels, self.fit_labels.tolist()), "npmi": float(np.mean(npmi)),
                  "diversity": topic_diversity(top25), "n_topics": float(state.n_topics)}
        crosstab: dict[str, dict[str, int]] = {}
        for label, topic in zip(dataset.labels, self.fit_labels.tolist()):
            crosstab.setdefault(str(topic), {}).setdefault(label, 0)
            crosstab[str(topic)][label] += 1
        pairs = list(zip(dataset.labels, self.fit_labels.tolist()))
        intervals = {key: bootstrap_interval(lambda sample, key=key: label_agreement(*zip(*sample))[key], pairs,
                                             n_resamples=n_resamples) for key in ("nmi", "ari")}
        assert self.fit_embeddings is not None
        seed = (options or FitOptions()).seed
        kmeans = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(self.fit_embeddings)
        baselines = {"kmeans_minilm": label_agreement(dataset.labels, kmeans.tolist())}
        supervised = _supervised_reference(self.fit_embeddings, state.vocabulary.tfidf(counts), dataset.labels, seed)
        if supervised is not None:
            baselines["logreg_5fold_supervised"] = supervised
        return Metrics(task=self.name, dataset=dataset.name, n_samples=len(dataset.texts), values=values,
                       intervals=intervals, origin=getattr(dataset, "origin", "labelled"),
                       baselines=baselines,
                       details={"encoder": self.encoder_name,
                                "topics": [t.model_dump(mode="json") for t in self.topics()],
                                "npmi_per_topic": npmi, "topic_vs_label": crosstab, "options": self.meta.get("options")})


def _supervised_reference(embeddings: np.ndarray, doc_tfidf: Any, labels: Sequence[str],
                          seed: int) -> dict[str, float] | None:
    """NMI/ARI of a 5-fold cross-validated logistic regression on both views (None: a class under 5 documents)."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from nlp.topics.quality import label_agreement

    _, per_class = np.unique(np.asarray(labels), return_counts=True)
    if len(per_class) < 2 or per_class.min() < 5:
        return None
    features = sparse.hstack([sparse.csr_matrix(embeddings), doc_tfidf]).tocsr()
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    predicted = cross_val_predict(LogisticRegression(C=10.0, max_iter=3000), features, list(labels), cv=folds)
    return label_agreement(labels, predicted.tolist())


def check_encoder(recorded: str, requested: str | None, dim: int, where: str) -> None:
    """A saved model is read with the encoder it was fitted with: another one is an error that says which to use."""
    spec = encoder_spec(recorded)
    if requested is not None and requested != recorded:
        raise ModelLoading(f"the topics in {where} were fitted on {recorded!r} embeddings; they cannot assign texts "
                           f"embedded by {requested!r}: drop the encoder option or refit with encoder={requested!r}")
    if dim != spec.dim:
        raise ModelLoading(f"the topics in {where} hold {dim}-d embeddings but {recorded!r} gives {spec.dim}-d ones")

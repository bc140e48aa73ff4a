"""The sentiment task: MiniLM fine-tuned on SST-2 (top layers + head), positive/negative/neutral per text."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.device import Placement
from core.errors import InvalidInput, WeightsUnavailable
from core.schemas import Metrics, TextLimits
from core.task import BaseTask
from core.text import validate_texts
from nlp.sentiment.labels import check_band, label_for
from nlp.sentiment.schemas import SentimentResult

log = logging.getLogger(__name__)

BINARY: tuple[str, str] = ("negative", "positive")
CORPUS_LIMITS = TextLimits(max_chars=10**9)  # documents read from files: no request-size limit

DEFAULT_WEIGHTS = "package:nlp/sentiment/weights"
BUILD_HINT = "build it with `ais sentiment train` (SST-2 train, about 30 min on 2 CPU cores)"


class SentimentClassifier(BaseTask[str, SentimentResult]):
    """Binary sentiment with probabilities; ``neutral`` inside a configurable band around 0.5.

    Options: ``neutral_band`` (default 0.1: p(positive) in (0.4, 0.6) is neutral), ``batch_size``
    (chunks per forward pass, default 64), ``max_length`` (tokens per chunk, default 256; longer
    texts are read in several chunks whose embeddings are averaged, reported as ``chunks``).

    >>> clf = SentimentClassifier(device="cpu").load()                      # doctest: +SKIP
    >>> clf.predict(["a gorgeous, moving film"])[0].label                   # doctest: +SKIP
    'positive'
    """

    name = "sentiment"
    default_weights = DEFAULT_WEIGHTS

    def __init__(self, weights: Any = None, device: str = "auto", precision: str = "auto", **options: Any) -> None:
        super().__init__(weights, device, precision, **options)
        self.neutral_band = check_band(float(options.get("neutral_band", 0.1)))
        self.batch_size = int(options.get("batch_size", 64))
        self.max_length = int(options.get("max_length", 256))
        self.encoder_only = bool(options.get("encoder_only", False))  # ignore a lexical head (for comparison)
        self.net: Any = None
        self.tokenizer: Any = None
        self.model_config: Any = None
        self.lexical: Any = None

    def resolve_weights_path(self) -> Path | None:
        try:
            return super().resolve_weights_path()
        except WeightsUnavailable as exc:
            if self.weights.kind == "default":
                raise WeightsUnavailable(f"the default sentiment model is missing ({exc}); {BUILD_HINT}") from exc
            raise

    @property
    def version(self) -> str:
        if self.model_config is not None:
            return self.model_config.version
        return super().version

    def _load(self, weights_path: Path | None, placement: Placement) -> None:
        from nlp.encoder import load_backbone
        from nlp.sentiment.model import apply_weights, build_network, read_config

        assert weights_path is not None
        config = read_config(weights_path)  # fail fast with a clear message before loading the encoder
        self.tokenizer, backbone = load_backbone(placement)
        net = build_network(backbone, n_labels=len(config.labels))
        self.model_config = apply_weights(net, weights_path)
        if config.encoder_weight is not None:
            from nlp.sentiment.lexical import TfidfBaseline

            self.lexical = TfidfBaseline.load(weights_path)
        self.net = net.to(placement.device, dtype=placement.torch_dtype()).eval()

    @property
    def labels(self) -> tuple[str, ...]:
        """The model's label names (``negative``/``positive`` for the shipped model)."""
        return tuple(self.model_config.labels) if self.model_config is not None else BINARY

    def _predict(self, batch: Sequence[str]) -> list[SentimentResult]:
        return self._classify(validate_texts(list(batch)))

    def _classify(self, texts: list[str]) -> list[SentimentResult]:
        """Texts already validated; a text longer than the window is read in chunks (embeddings averaged)."""
        import torch

        from nlp.encoder import average_by_owner, chunk_ids, length_sorted_batches

        assert self.placement is not None
        chunks = chunk_ids(self.tokenizer, texts, self.max_length)
        weight = None if self.lexical is None or self.encoder_only else float(self.model_config.encoder_weight)
        if weight == 0.0:  # the early-stopping split chose the lexical head alone: no encoder pass needed
            return self._results(self.lexical.probabilities(texts).tolist(), chunks)
        pooled, owners = [], []
        with torch.inference_mode():
            for part in length_sorted_batches(chunks, self.batch_size, self.tokenizer.pad_token_id,
                                              self.placement.device):
                pooled.append(self.net.pooled(part.input_ids, part.attention_mask).float())
                owners.extend(part.owner)
            per_text = average_by_owner(torch.cat(pooled), owners, len(texts))
            logits = self.net.head(per_text.to(self.placement.torch_dtype())).float()
            probs = torch.softmax(logits, dim=-1).cpu().numpy()
        if weight is not None:  # the lexical head reads texts whole
            probs = weight * probs + (1.0 - weight) * self.lexical.probabilities(texts)
        return self._results(probs.tolist(), chunks)

    def _results(self, probs: list[list[float]], chunks: list[list[list[int]]]) -> list[SentimentResult]:
        names = self.labels
        if names == BINARY:
            return [SentimentResult(label=label_for(p[1], self.neutral_band),
                                    probabilities={"negative": p[0], "positive": p[1]}, chunks=len(c))
                    for p, c in zip(probs, chunks)]
        return [SentimentResult(label=names[max(range(len(p)), key=p.__getitem__)],
                                probabilities=dict(zip(names, p)), chunks=len(c))
                for p, c in zip(probs, chunks)]

    def predict_all(self, texts: Sequence[str], progress: bool = False) -> list[SentimentResult]:
        """Predict any number of texts of any length (files, corpora, evaluation; not an HTTP request).

        The 20,000-character limit protects the service from oversized requests; a document read from
        a file is not a request, so a long review here is read whole, in chunks whose embeddings are
        averaged (``chunks`` in its result).
        """
        if not self.loaded:
            self.load()
        valid = validate_texts(list(texts), CORPUS_LIMITS)
        steps = range(0, len(valid), self.max_batch_items)
        if progress:
            from tqdm import tqdm

            steps = tqdm(steps, desc="sentiment", unit="batch")
        return [r for start in steps for r in self._classify(valid[start:start + self.max_batch_items])]

    def evaluate(self, dataset: Any, progress: bool = False) -> Metrics:
        """Accuracy (Wilson 95 % interval), macro-F1 (bootstrap interval) and the confusion matrix on ``dataset``.

        ``dataset`` is a ``LabelledTexts`` whose labels index the model's labels (binary: 1 = positive),
        e.g. ``nlp.sentiment.datasets.sst2("dev")`` or ``read_labelled(path, labels="auto",
        label_names=clf.labels)``. The shipped binary model is compared with the VADER lexicon on the same
        texts (``baselines["vader"]``), and its neutral band's coverage is reported too. Every set we
        read is real text labelled by others (``origin="labelled"``).
        """
        from core.stats import wilson_interval
        from nlp.sentiment.metrics import binary_metrics, class_metrics

        if not self.loaded:
            self.load()
        names = self.labels
        if tuple(dataset.label_names) != names:
            raise InvalidInput(f"{dataset.name}: its labels {list(dataset.label_names)} are not the model's {list(names)}")
        results = self.predict_all(dataset.texts, progress)
        pred = [names.index(max(r.probabilities, key=r.probabilities.__getitem__)) for r in results]
        values, intervals, cm = class_metrics(pred, dataset.labels, names)
        details: dict[str, object] = {"confusion_matrix": cm, "model_version": self.version,
                                      "confusion_matrix_layout": f"rows truth {list(names)}, columns predicted"}
        baselines: dict[str, dict[str, float]] = {}
        if names == BINARY:
            from nlp.sentiment.baseline import VaderBaseline

            band, _ = binary_metrics(results, dataset.labels)
            values.update(coverage=band["coverage"], accuracy_decided=band["accuracy_decided"])
            decided = round(band["coverage"] * len(dataset))
            intervals["coverage"] = wilson_interval(decided, len(dataset))
            intervals["accuracy_decided"] = wilson_interval(round(band["accuracy_decided"] * decided), decided)
            vader_results = VaderBaseline(self.neutral_band).predict(dataset.texts)
            vader_pred = [int(r.probabilities["positive"] >= 0.5) for r in vader_results]
            vader, vader_intervals, vader_cm = class_metrics(vader_pred, dataset.labels, names)
            vader_band, _ = binary_metrics(vader_results, dataset.labels)
            vader.update(coverage=vader_band["coverage"], accuracy_decided=vader_band["accuracy_decided"])
            baselines["vader"] = vader
            details.update(vader_confusion_matrix=vader_cm, neutral_band=self.neutral_band,
                           vader_intervals={k: list(v) for k, v in vader_intervals.items()})
        return Metrics(task=self.name, dataset=dataset.name, n_samples=len(dataset), values=values,
                       intervals=intervals, origin="labelled", baselines=baselines, details=details)

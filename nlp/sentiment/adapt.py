"""Adapting a sentiment model to a client's labelled file: any label set, a report the client can read.

``adapt`` optionally sets aside a stratified test split first (fixed seed; never trained or
early-stopped on), fine-tunes on the rest (which cuts its own stratified early-stopping split), saves
the model with its label names, then scores the saved model on the test split beside a TF-IDF logistic
regression trained on the same rows. ``report.json`` in the model folder holds it all, with the wall
and CPU time of the run and the machine load.
"""
from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.schemas import Metrics
from nlp.sentiment.datasets import LabelledTexts
from nlp.sentiment.train import FineTuneConfig, FineTuneResult, train_and_save

if TYPE_CHECKING:
    from collections.abc import Sequence

log = logging.getLogger(__name__)
REPORT_FILE = "report.json"


@dataclass
class AdaptReport:
    """What ``adapt`` did: the training result and, with a test split, its held-out metrics."""

    result: FineTuneResult
    test: Metrics | None
    wall_seconds: float
    cpu_seconds: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]

    def as_dict(self) -> dict[str, object]:
        cfg = self.result.config
        return {
            "version": cfg.version, "labels": list(cfg.labels), "trained_on": cfg.trained_on,
            "early_stopping": {"macro_f1": self.result.holdout_macro_f1, "accuracy": self.result.holdout_accuracy,
                               "confusion_matrix": self.result.holdout_confusion,
                               "confusion_matrix_layout": f"rows truth {list(cfg.labels)}, columns predicted",
                               "stopped_early": self.result.stopped_early},
            "test": None if self.test is None else json.loads(self.test.model_dump_json()),
            "mlm_pretraining": self.result.mlm,
            "wall_seconds": round(self.wall_seconds, 1), "cpu_seconds": round(self.cpu_seconds, 1),
            "load_average_before": self.load_before, "load_average_after": self.load_after,
            "cpu_count": os.cpu_count(),
        }


def score_split(weights: Path, train: LabelledTexts, test: LabelledTexts, device: str = "cpu",
                progress: bool = True) -> Metrics:
    """The saved model on ``test`` (macro-F1 with a bootstrap interval, accuracy with a Wilson interval,
    F1 per label, confusion matrix), beside TF-IDF + logistic regression fitted on ``train``."""
    import numpy as np

    from nlp.sentiment.classifier import SentimentClassifier
    from nlp.sentiment.lexical import TfidfBaseline
    from nlp.sentiment.metrics import class_metrics

    clf = SentimentClassifier(weights=weights, device=device, neutral_band=0.0, encoder_only=True).load()
    names = list(clf.labels)
    if names != list(test.label_names):
        raise ValueError(f"model labels {names} differ from the test split's {list(test.label_names)}")
    encoder = np.array([[r.probabilities[n] for n in names] for r in clf.predict_all(test.texts, progress=progress)])
    probs, extra = encoder, {}
    if clf.lexical is not None:  # the model as served: the encoder mixed with its lexical head
        w = float(clf.model_config.encoder_weight)
        probs = w * encoder + (1 - w) * clf.lexical.probabilities(test.texts)
        enc_values, enc_intervals, enc_cm = class_metrics(encoder.argmax(1).tolist(), test.labels, names)
        extra = {"encoder_weight": w, "encoder_only": enc_values,
                 "encoder_only_intervals": {k: list(v) for k, v in enc_intervals.items()},
                 "encoder_only_confusion_matrix": enc_cm}
    values, intervals, cm = class_metrics(probs.argmax(1).tolist(), test.labels, names)
    base_pred = TfidfBaseline().fit(train.texts, train.labels).predict(test.texts)
    base_values, base_intervals, base_cm = class_metrics(base_pred, test.labels, test.label_names)
    return Metrics(task="sentiment", dataset=test.name, n_samples=len(test), values=values, intervals=intervals,
                   origin="labelled", baselines={"tfidf_logreg": base_values},
                   details={"confusion_matrix": cm, "tfidf_logreg_confusion_matrix": base_cm,
                            "tfidf_logreg_intervals": {k: list(v) for k, v in base_intervals.items()},
                            "confusion_matrix_layout": f"rows truth {list(test.label_names)}, columns predicted",
                            "label_counts": test.counts(), "model_version": clf.version, **extra,
                            "split": "stratified by label, fixed seed, never trained or early-stopped on"})


def adapt(data: LabelledTexts, out: Path, config: FineTuneConfig, start_from: Path | None = None,
          test_fraction: float = 0.0, test_seed: int = 13, version: str | None = None,
          progress: bool = True, mlm_texts: Sequence[str] = ()) -> AdaptReport:
    """Fine-tune on ``data`` (minus a test split when ``test_fraction`` > 0), save to ``out``, write the report.

    ``mlm_texts``: extra unlabelled texts for continued MLM pre-training (``config.mlm_epochs``); any text of
    the test split is dropped from them, so the test split stays unseen.
    """
    wall, cpu, load_before = time.monotonic(), time.process_time(), os.getloadavg()
    train, test = (data.split(test_fraction, test_seed, suffix="test") if test_fraction > 0 else (data, None))
    if test is not None:
        log.info("test split %s: %d texts %s, never trained or early-stopped on", test.name, len(test), test.counts())
    if test is not None and mlm_texts:
        unseen = set(test.texts)
        kept = [t for t in mlm_texts if t not in unseen]
        if len(kept) < len(mlm_texts):
            log.info("dropped %d MLM texts that are in the test split", len(mlm_texts) - len(kept))
        mlm_texts = kept
    result = train_and_save(train, out, config, start_from=start_from, progress=progress, version=version,
                            mlm_texts=mlm_texts)
    metrics = score_split(out, train, test, device=config.device, progress=progress) if test is not None else None
    report = AdaptReport(result, metrics, time.monotonic() - wall, time.process_time() - cpu, load_before,
                         os.getloadavg())
    (out / REPORT_FILE).write_text(json.dumps(report.as_dict(), indent=2))
    return report

"""Sentiment metrics: accuracy, macro-F1 and the confusion matrix, plus the neutral band's coverage."""
from __future__ import annotations

from collections.abc import Sequence

from nlp.sentiment.schemas import SentimentResult


def binary_metrics(results: Sequence[SentimentResult], labels: Sequence[int], prefix: str = "") -> tuple[dict[str, float], list[list[int]]]:
    """Scores on the binary decision (p(positive) >= 0.5) and, separately, with the neutral band applied.

    ``coverage`` is the share not labelled neutral; ``accuracy_decided`` the accuracy on those.
    Returns the values and the confusion matrix ``[[TN, FP], [FN, TP]]`` (rows: truth neg/pos).
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    pred = [int(r.probabilities.positive >= 0.5) for r in results]
    truth = list(labels)
    decided = [(int(r.label == "positive"), y) for r, y in zip(results, truth) if r.label != "neutral"]
    values = {
        f"{prefix}accuracy": float(accuracy_score(truth, pred)),
        f"{prefix}macro_f1": float(f1_score(truth, pred, average="macro")),
        f"{prefix}coverage": len(decided) / max(len(truth), 1),
        f"{prefix}accuracy_decided": (sum(p == y for p, y in decided) / len(decided)) if decided else 0.0,
    }
    return values, confusion_matrix(truth, pred, labels=[0, 1]).tolist()

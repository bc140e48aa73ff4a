"""Sentiment metrics: accuracy, macro-F1 and the confusion matrix (any label set), with 95 % intervals.

Accuracy is a rate (Wilson interval); macro-F1 is not, so it gets a percentile bootstrap over the
evaluated texts. The binary view also reports the neutral band's coverage.
"""
from __future__ import annotations

from collections.abc import Sequence

from nlp.sentiment.schemas import SentimentResult


def binary_metrics(results: Sequence[SentimentResult], labels: Sequence[int], prefix: str = "") -> tuple[dict[str, float], list[list[int]]]:
    """Scores on the binary decision (p(positive) >= 0.5) and, separately, with the neutral band applied.

    ``coverage`` is the share not labelled neutral; ``accuracy_decided`` the accuracy on those.
    Returns the values and the confusion matrix ``[[TN, FP], [FN, TP]]`` (rows: truth neg/pos).
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    pred = [int(r.probabilities["positive"] >= 0.5) for r in results]
    truth = list(labels)
    decided = [(int(r.label == "positive"), y) for r, y in zip(results, truth) if r.label != "neutral"]
    values = {
        f"{prefix}accuracy": float(accuracy_score(truth, pred)),
        f"{prefix}macro_f1": float(f1_score(truth, pred, average="macro")),
        f"{prefix}coverage": len(decided) / max(len(truth), 1),
        f"{prefix}accuracy_decided": (sum(p == y for p, y in decided) / len(decided)) if decided else 0.0,
    }
    return values, confusion_matrix(truth, pred, labels=[0, 1]).tolist()


def macro_f1(pairs: Sequence[tuple[int, int]], n_labels: int) -> float:
    """Macro-F1 of (truth, prediction) pairs over all ``n_labels`` classes (a class never seen scores 0).

    >>> round(macro_f1([(0, 0), (1, 1), (1, 0), (2, 2)], 3), 4)
    0.7778
    """
    scores = []
    for c in range(n_labels):
        tp = sum(1 for y, p in pairs if y == c and p == c)
        fp = sum(1 for y, p in pairs if y != c and p == c)
        fn = sum(1 for y, p in pairs if y == c and p != c)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / n_labels


def class_metrics(pred: Sequence[int], truth: Sequence[int], names: Sequence[str], prefix: str = "",
                  n_resamples: int = 1000) -> tuple[dict[str, float], dict[str, tuple[float, float]], list[list[int]]]:
    """Accuracy, macro-F1 and F1 per label, their 95 % intervals, and the confusion matrix (rows truth).

    >>> values, intervals, cm = class_metrics([0, 1, 2, 2], [0, 1, 2, 1], ["neg", "neu", "pos"], n_resamples=50)
    >>> values["accuracy"], cm
    (0.75, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    """
    from core.stats import bootstrap_interval, wilson_interval

    k = len(names)
    pairs = list(zip(truth, pred))
    correct = sum(int(y == p) for y, p in pairs)
    values = {f"{prefix}accuracy": correct / max(len(pairs), 1), f"{prefix}macro_f1": macro_f1(pairs, k)}
    intervals = {f"{prefix}accuracy": wilson_interval(correct, len(pairs)),
                 f"{prefix}macro_f1": bootstrap_interval(lambda s: macro_f1(s, k), pairs, n_resamples=n_resamples)}
    for c, name in enumerate(names):
        tp = sum(1 for y, p in pairs if y == c and p == c)
        wrong = sum(1 for y, p in pairs if (y == c) != (p == c))
        values[f"{prefix}f1_{name}"] = 2 * tp / (2 * tp + wrong) if tp else 0.0
    cm = [[sum(1 for y, p in pairs if y == t and p == q) for q in range(k)] for t in range(k)]
    return values, intervals, cm

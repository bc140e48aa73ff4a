"""OCR metrics: edit distance, character and word error rates, and word-box detection precision/recall.

>>> edit_distance("kitten", "sitting")
3
>>> round(character_error_rate("hello world", "hello  wor1d"), 3)
0.091
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def edit_distance(reference: Sequence, hypothesis: Sequence) -> int:
    """Levenshtein distance (unit costs) between two sequences of hashable items.

    One row of the dynamic programme is computed at a time with numpy: substitutions and deletions
    are elementwise, and the left-to-right insertion chain is a running minimum
    (``d[j] = min_k<=j (d[k] + j - k)``), so a 3,000-character page takes milliseconds.
    """
    ref, hyp = list(reference), list(hypothesis)
    if not ref:
        return len(hyp)
    if not hyp:
        return len(ref)
    vocab: dict[object, int] = {}
    ref_ids = np.array([vocab.setdefault(x, len(vocab)) for x in ref], dtype=np.int64)
    hyp_ids = np.array([vocab.setdefault(x, len(vocab)) for x in hyp], dtype=np.int64)
    cols = np.arange(len(hyp_ids) + 1, dtype=np.int64)
    previous = cols.copy()
    for i, r in enumerate(ref_ids, start=1):
        current = np.empty_like(previous)
        current[0] = i
        substitution = previous[:-1] + (hyp_ids != r)
        deletion = previous[1:] + 1
        current[1:] = np.minimum(substitution, deletion)
        current = np.minimum.accumulate(current - cols) + cols
        previous = current
    return int(previous[-1])


def normalise_text(text: str) -> str:
    """Collapse every run of whitespace (line breaks included) to one space; case and punctuation count."""
    return " ".join(text.split())


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Edit distance over characters divided by the reference length, after whitespace normalisation."""
    ref, hyp = normalise_text(reference), normalise_text(hypothesis)
    return edit_distance(ref, hyp) / max(1, len(ref))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Edit distance over whitespace-separated words divided by the number of reference words."""
    ref, hyp = reference.split(), hypothesis.split()
    return edit_distance(ref, hyp) / max(1, len(ref))


@dataclass(frozen=True)
class DetectionScore:
    """Greedy one-to-one matching of predicted to true word boxes at an IoU threshold."""

    true_positives: int
    n_predicted: int
    n_truth: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.n_predicted if self.n_predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.n_truth if self.n_truth else 1.0


Xyxy = tuple[float, float, float, float]


def _iou_matrix(a: Sequence[Xyxy], b: Sequence[Xyxy]) -> np.ndarray:
    if not a or not b:
        return np.zeros((len(a), len(b)))
    pa, pb = np.asarray(a, dtype=float)[:, None, :], np.asarray(b, dtype=float)[None, :, :]
    ix = np.clip(np.minimum(pa[..., 2], pb[..., 2]) - np.maximum(pa[..., 0], pb[..., 0]), 0, None)
    iy = np.clip(np.minimum(pa[..., 3], pb[..., 3]) - np.maximum(pa[..., 1], pb[..., 1]), 0, None)
    inter = ix * iy
    area_a = (pa[..., 2] - pa[..., 0]) * (pa[..., 3] - pa[..., 1])
    area_b = (pb[..., 2] - pb[..., 0]) * (pb[..., 3] - pb[..., 1])
    return inter / np.maximum(area_a + area_b - inter, 1e-9)


def match_boxes(predicted: Sequence[Xyxy], truth: Sequence[Xyxy], iou_threshold: float = 0.5) -> DetectionScore:
    """Count predicted boxes that match a distinct true box with IoU >= threshold (best pairs first)."""
    iou = _iou_matrix(predicted, truth)
    matched = 0
    if iou.size:
        pairs = np.argwhere(iou >= iou_threshold)
        order = np.argsort(-iou[pairs[:, 0], pairs[:, 1]]) if len(pairs) else []
        used_p: set[int] = set()
        used_t: set[int] = set()
        for k in order:
            p, t = (int(v) for v in pairs[k])
            if p not in used_p and t not in used_t:
                used_p.add(p)
                used_t.add(t)
                matched += 1
    return DetectionScore(matched, len(predicted), len(truth))


@dataclass(frozen=True)
class WordCounts:
    """Bag-of-words overlap of a page's text with its transcription (multiset intersection)."""

    matched: int
    n_reference: int
    n_predicted: int


def word_counts(reference: str, hypothesis: str) -> WordCounts:
    """Whitespace-separated words of both texts matched as multisets (case and punctuation count)."""
    from collections import Counter

    ref, hyp = Counter(reference.split()), Counter(hypothesis.split())
    return WordCounts(sum((ref & hyp).values()), sum(ref.values()), sum(hyp.values()))


def word_f1(counts: Sequence[WordCounts]) -> tuple[float, float, float]:
    """Micro precision, recall and F1 over pages.

    >>> word_f1([word_counts("TOTAL 9.00", "TOTAL 9,00")])
    (0.5, 0.5, 0.5)
    """
    matched = sum(c.matched for c in counts)
    n_ref = sum(c.n_reference for c in counts)
    n_pred = sum(c.n_predicted for c in counts)
    precision = matched / n_pred if n_pred else 0.0
    recall = matched / n_ref if n_ref else 0.0
    f1 = 2 * matched / (n_ref + n_pred) if n_ref + n_pred else 0.0
    return precision, recall, f1

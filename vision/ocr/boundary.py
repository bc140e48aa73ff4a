"""A learned word-boundary decision between a read line's neighbouring characters (issue 25, printed spaces).

``spacing.word_spans`` cuts a line with thresholds on the ink and the character pitch; whether an annotator puts a
space around punctuation (``TOTAL :`` but ``TEL:07``) also depends on the characters themselves. ``pair_features``
describes each pair of neighbouring non-space characters with a few explainable numbers (the blank ink run between
them against the ink height and the line's letter gap, their distance in pitches, whether the rules cut there,
whether the recogniser read a space there, the alphanumeric runs on each side, each side's character class) and a
``BoundaryModel`` (logistic regression stored as JSON, no pickle) gives the probability of a word break there.
How it is applied (``mode``): it decides every pair (``all``), only pairs beside punctuation (``punctuation``), or
it overrides the rules only when confident (``confident``: below ``low`` no break, above ``high`` a break).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from vision.ocr.spacing import NUMBER_MARKS, blank_runs, rule_breaks, wide_runs

PUNCTUATION = ":.,-/()#@*%="
CLASSES = ("letter", "digit", *PUNCTUATION, "other")
NUMERIC = ("gap_height", "gap_letters", "pitches", "rule", "read_space", "left_run", "right_run")
FEATURES = (*NUMERIC, *(f"left {c}" for c in CLASSES), *(f"right {c}" for c in CLASSES))
MODES = ("all", "punctuation", "confident")


def char_class(text: str) -> str:
    """The class of one read character: ``letter``, ``digit``, one of ``PUNCTUATION`` itself, or ``other``.

    >>> [char_class(c) for c in "aZ7:(?"]
    ['letter', 'letter', 'digit', ':', '(', 'other']
    """
    if text.isalpha():
        return "letter"
    if text.isdigit():
        return "digit"
    return text if text in PUNCTUATION else "other"


def _alnum_runs(texts: Sequence[str]) -> tuple[list[int], list[int]]:
    """For each character, the length of the alphanumeric run ending at it and the one starting at it (0 when
    it is not alphanumeric)."""
    n = len(texts)
    ending, starting = [0] * n, [0] * n
    for k in range(n):
        ending[k] = ending[k - 1] + 1 if texts[k].isalnum() and k > 0 else int(texts[k].isalnum())
    for k in range(n - 1, -1, -1):
        starting[k] = starting[k + 1] + 1 if texts[k].isalnum() and k < n - 1 else int(texts[k].isalnum())
    return ending, starting


@dataclass(frozen=True)
class LinePairs:
    """The pairs of neighbouring non-space characters of one line: ``right[j]`` is the index (into the line's
    characters) of the pair's right character, ``left[j]`` of its left one, ``rule[j]`` whether the rules (or a read
    space) end a word between them, ``features`` one row of ``FEATURES`` per pair."""

    left: list[int]
    right: list[int]
    rule: list[bool]
    features: np.ndarray


def pair_features(texts: Sequence[str], centres: Sequence[float], crop: np.ndarray | None, min_gap: float,
                  min_ratio: float, min_pitches: float, digit_pitches: float,
                  number_marks: frozenset[str] = NUMBER_MARKS) -> LinePairs:
    """``LinePairs`` of one read line (characters left to right, ``centres`` in the crop's pixels; ``crop`` None
    when the characters do not run along it); the rules with the thresholds given (``spacing.rule_breaks``)."""
    runs, ink_height = blank_runs(crop) if crop is not None else ([], 0.0)
    typical = float(np.median([b - a for a, b in runs])) if runs else 0.0
    gaps = wide_runs(runs, ink_height, min_gap, min_ratio)
    breaks = rule_breaks(texts, centres, gaps, min_pitches, digit_pitches, number_marks)
    kept = [k for k, t in enumerate(texts) if t.strip()]
    steps = [centres[b] - centres[a] for a, b in pairwise(kept)]
    pitch = float(np.median([s for s in steps if s > 0] or [0.0])) if len(kept) > 2 else 0.0
    kept_texts = [texts[k] for k in kept]
    ending, starting = _alnum_runs(kept_texts)
    rows, rule = [], []
    for j, (a, b) in enumerate(pairwise(kept)):
        between = [e - s for s, e in runs if centres[a] <= (s + e) / 2 <= centres[b]]
        gap = float(max(between, default=0))
        read_space = b - a > 1
        cut = read_space or b in breaks
        left, right = char_class(kept_texts[j]), char_class(kept_texts[j + 1])
        row = [min(3.0, gap / ink_height) if ink_height > 0 else 0.0,
               min(10.0, gap / typical) if typical > 0 else 0.0,
               min(5.0, steps[j] / pitch) if pitch > 0 else 0.0,
               float(cut), float(read_space), float(np.log1p(ending[j])), float(np.log1p(starting[j + 1]))]
        row += [float(left == c) for c in CLASSES] + [float(right == c) for c in CLASSES]
        rows.append(row)
        rule.append(cut)
    features = np.array(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))
    return LinePairs(left=kept[:-1], right=kept[1:], rule=rule, features=features)


@dataclass(frozen=True)
class BoundaryModel:
    """Logistic regression on ``FEATURES`` (raw units): P(word break) = sigmoid(features . weights + bias), applied
    as ``mode`` says (``MODES``; ``threshold`` for ``all`` and ``punctuation``, ``low`` / ``high`` for
    ``confident``); with ``keep_read_spaces`` it never joins across a space the recogniser read."""

    weights: tuple[float, ...]
    bias: float
    mode: str = "all"
    threshold: float = 0.5
    low: float = 0.2
    high: float = 0.8
    keep_read_spaces: bool = False  # a space the recogniser read always ends a word

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"a boundary model needs {len(FEATURES)} weights, got {len(self.weights)}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        z = features @ np.asarray(self.weights) + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def breaks(self, pairs: LinePairs, texts: Sequence[str]) -> set[int]:
        """Indices of the characters before which a word ends (right characters of the pairs cut)."""
        if not pairs.right:
            return set()
        p = self.probabilities(pairs.features)
        out = set()
        for j, (a, b) in enumerate(zip(pairs.left, pairs.right)):
            if self.mode == "all":
                cut = p[j] >= self.threshold
            elif self.mode == "punctuation":
                beside = char_class(texts[a]) not in ("letter", "digit") or char_class(texts[b]) not in ("letter", "digit")
                cut = p[j] >= self.threshold if beside else pairs.rule[j]
            else:
                cut = True if p[j] > self.high else False if p[j] < self.low else pairs.rule[j]
            if cut or (self.keep_read_spaces and b - a > 1):
                out.add(b)
        return out

    def to_json(self) -> str:
        return json.dumps({"features": list(FEATURES), "weights": dict(zip(FEATURES, self.weights)),
                           "bias": self.bias, "mode": self.mode, "threshold": self.threshold, "low": self.low,
                           "high": self.high, "keep_read_spaces": self.keep_read_spaces}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> BoundaryModel:
        data = json.loads(text)
        missing = set(FEATURES) - set(data["weights"])
        if missing:
            raise ValueError(f"boundary model lacks weights for {sorted(missing)}")
        return cls(weights=tuple(float(data["weights"][f]) for f in FEATURES), bias=float(data["bias"]),
                   mode=data.get("mode", "all"), threshold=float(data.get("threshold", 0.5)),
                   low=float(data.get("low", 0.2)), high=float(data.get("high", 0.8)),
                   keep_read_spaces=bool(data.get("keep_read_spaces", False)))

    @classmethod
    def load(cls, path: Path) -> BoundaryModel:
        return cls.from_json(path.read_text(encoding="utf-8"))


def kept_spans(texts: Sequence[str], breaks: set[int]) -> list[tuple[int, int]]:
    """Words ``[start, end)`` of a line's characters ended before every index of ``breaks`` (only there: a space
    the recogniser read between two characters not cut is dropped from the word).

    >>> kept_spans(list("AB C:D"), {4})
    [(0, 4), (4, 6)]
    """
    kept = [k for k, t in enumerate(texts) if t.strip()]
    spans: list[tuple[int, int]] = []
    start = None
    for a, b in zip([None, *kept], kept):
        if start is None:
            start = b
        elif b in breaks:
            spans.append((start, a + 1))  # type: ignore[operator]
            start = b
    if start is not None:
        spans.append((start, kept[-1] + 1))
    return spans

"""Edit distance, CER/WER and word-box matching against a plain reference implementation."""
from __future__ import annotations

import random

from vision.ocr.metrics import (
    character_error_rate,
    edit_distance,
    match_boxes,
    normalise_text,
    word_error_rate,
)


def _reference_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def test_edit_distance_matches_the_textbook_programme_on_random_strings() -> None:
    rng = random.Random(0)
    for _ in range(200):
        a = "".join(rng.choice("abc ") for _ in range(rng.randint(0, 12)))
        b = "".join(rng.choice("abc ") for _ in range(rng.randint(0, 12)))
        assert edit_distance(a, b) == _reference_distance(a, b)


def test_rates_normalise_whitespace_but_count_order() -> None:
    assert character_error_rate("one two\nthree", "one  two three") == 0.0
    assert word_error_rate("one two three", "one three two") == 2 / 3
    assert character_error_rate("abcd", "") == 1.0
    assert normalise_text(" a \n\n b\t") == "a b"


def test_match_boxes_is_one_to_one() -> None:
    truth = [(0, 0, 10, 10), (20, 0, 30, 10)]
    predicted = [(0, 0, 10, 10), (1, 0, 10, 10), (50, 50, 60, 60)]
    score = match_boxes(predicted, truth)
    assert (score.true_positives, score.precision, score.recall) == (1, 1 / 3, 0.5)
    assert match_boxes([], truth).recall == 0.0

"""CTC decoding: greedy collapse, and template-constrained decoding that repairs O/0-style confusions."""
from __future__ import annotations

import numpy as np

from vision.plate.ctc import constrained_decode, free_log_prob, greedy_decode

CHARSET = ["[blank]", "0", "1", "O", "I", "A", "-"]


def _frames(sequence: list[dict[str, float]]) -> np.ndarray:
    probs = np.full((len(sequence), len(CHARSET)), 1e-4)
    for t, frame in enumerate(sequence):
        for char, p in frame.items():
            probs[t, CHARSET.index(char)] = p
    return probs / probs.sum(axis=1, keepdims=True)


def _masks(template: str) -> list[np.ndarray]:
    letters = np.isin(CHARSET, ["O", "I", "A"])
    digits = np.isin(CHARSET, ["0", "1"])
    return [letters if c == "L" else digits for c in template]


def test_greedy_collapses_repeats_and_blanks() -> None:
    probs = _frames([{"A": 0.9}, {"A": 0.9}, {"[blank]": 0.9}, {"A": 0.8}, {"-": 0.9}, {"1": 0.7}])
    text, confs = greedy_decode(probs, CHARSET, np.isin(CHARSET, ["-"]))
    assert text == "AA1"
    assert len(confs) == 3


def test_constrained_decoding_repairs_letter_digit_confusions() -> None:
    # The recogniser says "0" then "1", but the template wants a letter then a digit: "0" -> "O".
    probs = _frames([{"0": 0.6, "O": 0.35}, {"[blank]": 0.9}, {"1": 0.9}])
    gap = probs[:, 0]
    decoded = constrained_decode(probs, gap, _masks("LD"), CHARSET)
    assert decoded.text == "O1"
    assert decoded.char_confidences[0] < decoded.char_confidences[1]
    assert decoded.log_prob <= free_log_prob(probs, gap) + 1e-6


def test_constrained_decoding_skips_stray_leading_characters() -> None:
    # A bolt read as "I" before the plate text: the template of two slots drops it as junk.
    probs = _frames([{"I": 0.6}, {"[blank]": 0.9}, {"A": 0.95}, {"[blank]": 0.9}, {"1": 0.95}])
    decoded = constrained_decode(probs, probs[:, 0], _masks("LD"), CHARSET)
    assert decoded.text == "A1"


def test_constrained_decoding_says_which_frames_each_character_took() -> None:
    probs = _frames([{"[blank]": 0.9}, {"A": 0.9}, {"A": 0.8}, {"[blank]": 0.9}, {"1": 0.9}, {"[blank]": 0.9}])
    decoded = constrained_decode(probs, probs[:, 0], _masks("LD"), CHARSET)
    assert decoded.text == "A1" and decoded.char_frames == [(1, 2), (4, 4)]

"""CTC decoding: greedy collapse, and template-constrained decoding that repairs O/0-style confusions."""
from __future__ import annotations

import itertools

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


def _brute_force_log_prob(probs: np.ndarray, gap: np.ndarray, masks: list[np.ndarray],
                          junk_penalty: float = np.log(0.15)) -> float:
    """The best path's score by trying every state sequence (tiny inputs only)."""
    from itertools import product

    logp, log_gap = np.log(probs + 1e-12), np.log(gap + 1e-12)
    log_junk = np.maximum(log_gap, logp.max(axis=1) + junk_penalty)
    K = len(masks)
    states = ["lead", "trail", *[("s", k) for k in range(K)], *[("g", k) for k in range(K)]]
    follows = {"lead": {"lead", ("s", 0)}, "trail": {"trail"}}
    for k in range(K):
        nxt = {("s", k + 1)} if k + 1 < K else {"trail"}
        follows[("s", k)] = {("s", k), ("g", k), *nxt}
        follows[("g", k)] = {("g", k), *nxt}

    def score(t: int, state: object) -> float:
        if state in ("lead", "trail"):
            return float(log_junk[t])
        kind, k = state  # type: ignore[misc]
        return float(log_gap[t]) if kind == "g" else float(np.where(masks[k], logp[t], -1e9).max())

    best = -np.inf
    for path in product(states, repeat=len(probs)):
        if path[0] not in ("lead", ("s", 0)) or path[-1] not in ("trail", ("s", K - 1), ("g", K - 1)):
            continue
        if all(b in follows[a] for a, b in itertools.pairwise(path)):
            best = max(best, sum(score(t, s) for t, s in enumerate(path)))
    return best


def test_many_templates_in_one_pass_match_an_exhaustive_search() -> None:
    """Templates of different lengths decoded together score exactly their own best path."""
    from vision.plate.ctc import constrained_decode_many

    rng = np.random.default_rng(3)
    for _ in range(5):
        probs = rng.dirichlet(np.full(len(CHARSET), 0.3), size=5)
        templates = ["L", "LD", "DDL", "DL"]
        decoded = constrained_decode_many(probs, probs[:, 0], [_masks(t) for t in templates], CHARSET)
        for template, one in zip(templates, decoded, strict=True):
            assert len(one.text) == len(template)
            assert abs(one.log_prob - _brute_force_log_prob(probs, probs[:, 0], _masks(template))) < 1e-6

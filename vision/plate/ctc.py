"""CTC decoding of recogniser outputs: free greedy decoding, and decoding constrained to a plate template.

Constrained decoding is a Viterbi search over the frames: optional junk before and after (bolts,
frame edges and the city strip often read as stray ``I``/``L``/``1``), then one character of the
right class (letter or digit) per template position, separated by blanks. This is where confusion
repair happens: a frame that says ``0`` with some probability of ``O`` yields ``O`` at a letter slot.

>>> import numpy as np
>>> probs = np.full((4, 3), 0.01); probs[[0, 2], 1] = 0.98; probs[[1, 3], 0] = 0.98
>>> greedy_decode(probs, ["-", "A", "1"])
('AA', [0.98, 0.98])
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

NEG = -1e9


@dataclass
class Decoded:
    """A decoded text with per-character confidences and the path's log-probability cost."""

    text: str
    char_confidences: list[float]
    log_prob: float
    char_frames: list[tuple[int, int]] = field(default_factory=list)  # first and last frame of each character


def greedy_decode(probs: np.ndarray, charset: list[str], blank_like: np.ndarray | None = None) -> tuple[str, list[float]]:
    """Best path decoding: argmax per frame, collapse repeats, drop blanks (index 0) and ``blank_like``."""
    best = probs.argmax(axis=1)
    skip = {0} | set(np.flatnonzero(blank_like).tolist() if blank_like is not None else [])
    text, confs, previous = [], [], -1
    for t, index in enumerate(best):
        if index != previous and index not in skip:
            text.append(charset[index])
            confs.append(float(probs[t, index]))
        elif index == previous and index not in skip and confs:
            confs[-1] = max(confs[-1], float(probs[t, index]))
        previous = index
    return "".join(text), [round(c, 4) for c in confs]


def free_log_prob(probs: np.ndarray, gap: np.ndarray) -> float:
    """Log-probability of the unconstrained best path (an upper bound on any template's score)."""
    return float(np.log(np.maximum(gap, probs.max(axis=1)) + 1e-12).sum())


def constrained_decode(probs: np.ndarray, gap: np.ndarray, class_masks: list[np.ndarray],
                       charset: list[str], junk_penalty: float = np.log(0.15)) -> Decoded:
    """Viterbi-decode ``probs`` (T x C) into exactly one character per template slot.

    ``gap`` (T) is the probability of a blank or a separator at each frame; ``class_masks[k]`` (C,
    bool) says which characters slot ``k`` accepts. Stray characters before the first or after the
    last slot cost ``junk_penalty`` per frame on top of their probability.
    """
    return constrained_decode_many(probs, gap, [class_masks], charset, junk_penalty)[0]


def constrained_decode_many(probs: np.ndarray, gap: np.ndarray, templates: Sequence[Sequence[np.ndarray]],
                            charset: list[str], junk_penalty: float = np.log(0.15)) -> list[Decoded]:
    """``constrained_decode`` for several templates at once (one ``Decoded`` each, in order).

    All templates share one Viterbi pass, vectorised over templates and slots (shorter templates
    padded with slots that accept nothing): a plate reader tries some thirty formats per crop, and
    one frame loop per format was most of the time spent reading.
    """
    if not templates:
        return []
    T = probs.shape[0]
    F = len(templates)
    lengths = np.array([len(t) for t in templates])
    K = int(lengths.max())
    masks = np.zeros((F, K, probs.shape[1]), bool)
    for f, template in enumerate(templates):
        for k, mask in enumerate(template):
            masks[f, k] = mask
    logp = np.log(probs + 1e-12)
    log_gap = np.log(gap + 1e-12)
    log_junk = np.maximum(log_gap, logp.max(axis=1) + junk_penalty)
    slot = np.where(masks[None], logp[:, None, None, :], NEG).max(axis=3)  # T x F x K
    # States per template: leading junk (the same for all), slot k, gap after slot k, trailing junk.
    # Back-pointers: slot 0=stay, 1=from the gap (or lead) before, 2=from slot k-1; gap 0=stay,
    # 1=from its slot; trail 0=stay, 1=from the last slot, 2=from the last gap. Ties go to the
    # lower number.
    rows, last = np.arange(F), lengths - 1
    lead = log_junk[0]
    slots = np.full((F, K), NEG)
    slots[:, 0] = slot[0, :, 0]
    gaps = np.full((F, K), NEG)
    trail = np.full(F, NEG)
    back_slot = np.zeros((T, F, K), np.int8)
    back_gap = np.zeros((T, F, K), np.int8)
    back_trail = np.zeros((T, F), np.int8)
    before_gap = np.empty((F, K))
    before_slot = np.full((F, K), NEG)
    for t in range(1, T):
        before_gap[:, 0], before_gap[:, 1:] = lead, gaps[:, :-1]
        before_slot[:, 1:] = slots[:, :-1]
        best = np.maximum(np.maximum(slots, before_gap), before_slot)
        back_slot[t] = np.where(slots >= best, 0, np.where(before_gap >= best, 1, 2))
        back_gap[t] = gaps < slots
        new_gaps = np.maximum(gaps, slots) + log_gap[t]
        end_slot, end_gap = slots[rows, last], gaps[rows, last]
        best_trail = np.maximum(np.maximum(trail, end_slot), end_gap)
        back_trail[t] = np.where(trail >= best_trail, 0, np.where(end_slot >= best_trail, 1, 2))
        trail = best_trail + log_junk[t]
        lead = lead + log_junk[t]
        slots, gaps = best + slot[t], new_gaps
    return [_walk_back(probs, masks[f, :lengths[f]], charset, slots[f, last[f]], gaps[f, last[f]], trail[f],
                       back_slot[:, f], back_gap[:, f], back_trail[:, f]) for f in range(F)]


def _walk_back(probs: np.ndarray, class_masks: np.ndarray, charset: list[str], end_slot: float, end_gap: float,
               end_trail: float, back_slot: np.ndarray, back_gap: np.ndarray, back_trail: np.ndarray) -> Decoded:
    """Follow one template's back-pointers from its best end state; the characters it placed."""
    T = probs.shape[0]
    K = len(class_masks)
    ends = (end_slot, end_gap, end_trail)
    end_choice = int(np.argmax(ends))
    total = float(ends[end_choice])
    state: tuple[str, int] = [("s", K - 1), ("g", K - 1), ("trail", 0)][end_choice]
    path = np.full(T, -1, np.int32)  # slot index per frame, -1 elsewhere
    for t in range(T - 1, -1, -1):
        kind, k = state
        if kind == "s":
            path[t] = k
            if t == 0:
                break
            move = back_slot[t, k]
            state = ("s", k) if move == 0 else (("g", k - 1) if k > 0 else ("lead", 0)) if move == 1 else ("s", k - 1)
        elif kind == "g":
            state = ("g", k) if back_gap[t, k] == 0 else ("s", k)
        elif kind == "trail":
            move = back_trail[t]
            state = ("trail", 0) if move == 0 else (("s", K - 1) if move == 1 else ("g", K - 1))
        else:  # leading junk stays leading junk back to frame 0
            break
    chars, confs, spans = [], [], []
    for k, mask in enumerate(class_masks):
        frames = np.flatnonzero(path == k)
        if frames.size == 0:  # cannot happen for a complete path; keeps the function total
            chars.append("?")
            confs.append(0.0)
            spans.append((0, 0))
            continue
        masked = np.where(mask[None, :], probs[frames], 0.0)
        index = int(masked.max(axis=0).argmax())
        chars.append(charset[index])
        confs.append(round(float(masked[:, index].max()), 4))
        spans.append((int(frames[0]), int(frames[-1])))
    return Decoded("".join(chars), confs, total, spans)

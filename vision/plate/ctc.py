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
    T = probs.shape[0]
    K = len(class_masks)
    logp = np.log(probs + 1e-12)
    log_gap = np.log(gap + 1e-12)
    log_junk = np.maximum(log_gap, logp.max(axis=1) + junk_penalty)
    slot = np.stack([np.where(m[None, :], logp, NEG).max(axis=1) for m in class_masks], axis=1)  # T x K
    # Vectorised over slots, one step per frame. States: leading junk, slot k, gap after slot k,
    # trailing junk. Back-pointers: slot 0=stay, 1=from the gap (or lead) before, 2=from slot k-1;
    # gap 0=stay, 1=from its slot; trail 0=stay, 1=from the last slot, 2=from the last gap.
    lead = log_junk[0]
    slots = np.full(K, NEG)
    slots[0] = slot[0, 0]
    gaps = np.full(K, NEG)
    trail = NEG
    back_slot = np.zeros((T, K), np.int8)
    back_gap = np.zeros((T, K), np.int8)
    back_trail = np.zeros(T, np.int8)
    neg = np.array([NEG])
    for t in range(1, T):
        before_gap = np.concatenate(([lead], gaps[:-1]))
        before_slot = np.concatenate((neg, slots[:-1]))
        options = np.stack((slots, before_gap, before_slot))
        choice = options.argmax(axis=0)
        new_slots = options[choice, np.arange(K)] + slot[t]
        gap_options = np.stack((gaps, slots))
        gap_choice = gap_options.argmax(axis=0)
        new_gaps = gap_options[gap_choice, np.arange(K)] + log_gap[t]
        trail_options = (trail, slots[-1], gaps[-1])
        trail_choice = int(np.argmax(trail_options))
        trail = trail_options[trail_choice] + log_junk[t]
        lead = lead + log_junk[t]
        back_slot[t], back_gap[t], back_trail[t] = choice, gap_choice, trail_choice
        slots, gaps = new_slots, new_gaps
    # Walk back: state is ("s"|"g", k), "lead" or "trail".
    ends = (slots[-1], gaps[-1], trail)
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
    return Decoded("".join(chars), confs, float(total), spans)

"""Word breaks as printed: where a line's characters stand a whole space apart.

A line recogniser trained mostly on Chinese text (PP-OCR) often drops the spaces of fixed-pitch
receipt print (``GSTSUMMARY``, ``Cashier:CN``), which costs every word of the line in a word-level
comparison. The ink tells where the spaces are: between words the paper stays blank for much
longer than between letters. ``ink_gaps`` finds those blank runs in the line's crop,
``break_positions`` maps them between the recogniser's character positions, and ``word_spans``
also breaks where two neighbouring characters are two character pitches apart.
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

# marks never cut out of a number: decimal and thousands marks, and the colon of a time (``21:28``; issue 25,
# PP-OCRv6 re-tuning: 2-fold CV word F1 +0.001 in both folds)
NUMBER_MARKS = frozenset(".,:")

def blank_runs(crop: np.ndarray) -> tuple[list[tuple[int, int]], float]:
    """Every blank column run ``[start, end)`` of a greyscale line crop that touches neither end, and the height
    of the ink (the rows holding ink). Ink is what Otsu's threshold puts on the dark side; a column is blank when
    at most 3 % of its pixels are ink (specks, the tails of rulings).

    >>> crop = np.full((20, 60), 255, np.uint8); crop[4:16, 5:30] = 0; crop[4:16, 45:55] = 0
    >>> blank_runs(crop)
    ([(30, 45)], 12.0)
    """
    import cv2

    if crop.ndim != 2 or crop.shape[0] < 4 or crop.shape[1] < 4:
        return [], 0.0
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    height, width = ink.shape
    blank = ink.sum(axis=0) <= 0.03 * height
    rows = np.flatnonzero(ink.sum(axis=1) > 0.02 * width)
    ink_height = float(rows[-1] - rows[0] + 1) if len(rows) else float(height)
    edges = np.diff(np.concatenate(([0], blank.astype(np.int8), [0])))
    runs = [(int(a), int(b)) for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))
            if a > 0 and b < width]
    return runs, ink_height


def ink_gaps(crop: np.ndarray, min_gap: float = 0.3, min_ratio: float = 2.5) -> list[tuple[int, int]]:
    """Blank column runs (``blank_runs``) of a greyscale line crop wide enough to be a printed space: at least
    ``min_gap`` x the height of the ink *and* ``min_ratio`` x the median blank run of the line (the gap between
    letters of this print).

    >>> crop = np.full((20, 100), 255, np.uint8); crop[4:16, 5:30] = 0; crop[4:16, 45:90] = 0
    >>> crop[4:16, 60:62] = 255; crop[4:16, 75:77] = 255
    >>> ink_gaps(crop)
    [(30, 45)]
    """
    return wide_runs(*blank_runs(crop), min_gap, min_ratio)


def wide_runs(runs: Sequence[tuple[int, int]], ink_height: float, min_gap: float, min_ratio: float
              ) -> list[tuple[int, int]]:
    """The blank runs (``blank_runs``) at least ``min_gap`` x ``ink_height`` and ``min_ratio`` x their median wide.

    >>> wide_runs([(10, 12), (20, 22), (30, 40)], 12.0, 0.3, 2.5)
    [(30, 40)]
    """
    if not runs:
        return []
    typical = float(np.median([b - a for a, b in runs]))
    return [(a, b) for a, b in runs if b - a >= max(min_gap * ink_height, min_ratio * typical)]


def break_positions(centres: Sequence[float], gaps: Sequence[tuple[int, int]]) -> list[int]:
    """Indices ``k`` (break before character ``k``) where a blank gap lies between the centres of characters
    ``k - 1`` and ``k`` (centres and gaps in the same pixel units, characters left to right).

    >>> break_positions([2.0, 10.0, 40.0, 50.0], [(15, 35)])
    [2]
    """
    breaks = []
    for k in range(1, len(centres)):
        left, right = centres[k - 1], centres[k]
        if any(left <= (a + b) / 2 <= right for a, b in gaps):
            breaks.append(k)
    return breaks


def _inside_number(texts: Sequence[str], kept: Sequence[int], j: int, marks: frozenset[str] = NUMBER_MARKS) -> bool:
    """Whether a break before ``kept[j]`` would cut one of ``marks`` out of a number: a decimal or thousands mark
    or a time's colon (``1 . 00``, ``21 :28``); a fixed-pitch font sets ``.``, ``,`` and ``:`` in a full cell, so
    the ink around them is as wide as a space."""
    def text(i: int) -> str:
        return texts[kept[i]] if 0 <= i < len(kept) else ""

    if text(j) in marks and text(j - 1).isdigit() and text(j + 1).isdigit():
        return True
    return text(j - 1) in marks and text(j - 2).isdigit() and text(j).isdigit()


def rule_breaks(texts: Sequence[str], centres: Sequence[float], gaps: Sequence[tuple[int, int]],
                min_pitches: float = 2.0, digit_pitches: float = 0.0,
                number_marks: frozenset[str] = NUMBER_MARKS) -> set[int]:
    """Indices ``k`` of the non-space characters before which ``word_spans``'s rules end a word (a space the
    recogniser read ends one as well, whatever this set holds).

    >>> sorted(rule_breaks(list("AB:CD E"), [0, 10, 20, 40, 50, 60, 70], [(25, 35)]))
    [3, 6]
    """
    kept = [k for k, t in enumerate(texts) if t.strip()]
    breaks = {kept[j] for j in break_positions([centres[k] for k in kept], gaps)}
    if len(kept) > 2:
        steps = [centres[b] - centres[a] for a, b in pairwise(kept)]
        pitch = float(np.median([s for s in steps if s > 0] or [0.0]))
        if pitch > 0 and digit_pitches > 0:
            breaks -= {b for a, b, s in zip(kept, kept[1:], steps)
                       if texts[a].isdigit() and texts[b].isdigit() and s < digit_pitches * pitch}
        if pitch > 0 and min_pitches > 0:
            breaks |= {b for a, b, s in zip(kept, kept[1:], steps) if s >= min_pitches * pitch}
    breaks -= {kept[j] for j in range(1, len(kept)) if _inside_number(texts, kept, j, number_marks)}
    return breaks


def spans_at(texts: Sequence[str], breaks: set[int]) -> list[tuple[int, int]]:
    """Words ``[start, end)`` of a line's characters ended at every read space and before every index of ``breaks``.

    >>> spans_at(list("AB C:D"), {4})
    [(0, 2), (3, 4), (4, 6)]
    """
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for k, text in enumerate(texts):
        if not text.strip():
            if start is not None:
                spans.append((start, k))
            start = None
            continue
        if start is not None and k in breaks:
            spans.append((start, k))
            start = None
        if start is None:
            start = k
    if start is not None:
        spans.append((start, len(texts)))
    return spans


def word_spans(texts: Sequence[str], centres: Sequence[float], gaps: Sequence[tuple[int, int]],
               min_pitches: float = 2.0, digit_pitches: float = 0.0,
               number_marks: frozenset[str] = NUMBER_MARKS) -> list[tuple[int, int]]:
    """Group a line's characters (left to right, ``centres`` in the crop's pixels) into words ``[start, end)``.

    A word ends at a space the recogniser read, at a blank ink gap between two characters
    (``ink_gaps``), or where two neighbouring centres are at least ``min_pitches`` median pitches
    apart (0 turns that test off). A blank gap between two digits whose centres are less than
    ``digit_pitches`` median pitches apart is no break: a narrow ``1`` leaves a space-wide blank beside
    it in fixed-pitch print (``0021 16837376``). No break cuts one of ``number_marks`` out of a number
    (``_inside_number``). The spaces themselves belong to no word.

    >>> word_spans(list("AB:CD E"), [0, 10, 20, 40, 50, 60, 70], [(25, 35)])
    [(0, 3), (3, 5), (6, 7)]
    >>> word_spans(list("0211"), [0, 10, 20, 30], [(21, 29)], digit_pitches=1.4)
    [(0, 4)]
    """
    return spans_at(texts, rule_breaks(texts, centres, gaps, min_pitches, digit_pitches, number_marks))

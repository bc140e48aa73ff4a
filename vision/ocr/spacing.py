"""Word breaks as printed: split a recognised word where its characters stand a whole space apart.

Tesseract glues punctuation to its neighbours (``DATE:`` for a printed ``DATE :``, ``AMOUNT(RM)``
for ``AMOUNT (RM)``) even where the print leaves an empty character cell between them. Receipts
are printed in fixed-pitch fonts, so a space shows in the character boxes as a jump of about two
character pitches between neighbouring centres where letters of one word are one pitch apart. A
word is split between two characters when one of them is punctuation and their centres are at
least ``min_pitches`` pitches apart (the pitch is the median centre distance of neighbouring
characters on the whole line, so a wide gap is judged against the line's own print).

>>> from vision.ocr.tesseract import TesseractChar, TesseractWord
>>> def word(text, xs):
...     chars = tuple(TesseractChar(c, (x, 0.0, x + 8.0, 10.0), 0.9) for c, x in zip(text, xs))
...     return TesseractWord(text, (xs[0], 0.0, xs[-1] + 8.0, 10.0), 0.9, 1, 1, 1, chars)
>>> line = [word("DATE:", [0, 10, 20, 30, 50]), word("12/06", [70, 80, 90, 100, 110])]
>>> [w.text for w in split_line(line)]
['DATE', ':', '12/06']
>>> [w.text for w in split_line([word("TEL:07", [0, 10, 20, 30, 40, 50])])]
['TEL:07']
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from vision.ocr.tesseract import TesseractChar, TesseractWord

DEFAULT_MIN_PITCHES = 1.6


def _is_mark(text: str) -> bool:
    return not any(ch.isalnum() for ch in text)


def _centre(char: TesseractChar) -> float:
    return (char.box[0] + char.box[2]) / 2


def line_pitch(words: Sequence[TesseractWord]) -> float:
    """Median distance between the centres of neighbouring characters inside the words of one line (0 if unknown)."""
    steps = [_centre(b) - _centre(a) for w in words for a, b in zip(w.chars, w.chars[1:])]
    steps = [s for s in steps if s > 0]
    return float(np.median(steps)) if steps else 0.0


def _piece(word: TesseractWord, chars: Sequence[TesseractChar]) -> TesseractWord:
    box = (min(c.box[0] for c in chars), min(c.box[1] for c in chars),
           max(c.box[2] for c in chars), max(c.box[3] for c in chars))
    confidence = min(word.confidence, min(c.confidence for c in chars))
    return replace(word, text="".join(c.text for c in chars), box=box, confidence=confidence, chars=tuple(chars))


def split_word(word: TesseractWord, pitch: float, min_pitches: float = DEFAULT_MIN_PITCHES) -> list[TesseractWord]:
    """``word`` cut between neighbouring characters, one of them punctuation, whose centres are at least
    ``min_pitches`` x ``pitch`` apart (unchanged without character boxes or pitch)."""
    chars = word.chars
    if pitch <= 0 or len(chars) < 2 or "".join(c.text for c in chars) != word.text:
        return [word]
    pieces: list[list[TesseractChar]] = [[chars[0]]]
    for a, b in zip(chars, chars[1:]):
        if (_is_mark(a.text) or _is_mark(b.text)) and _centre(b) - _centre(a) >= min_pitches * pitch:
            pieces.append([b])
        else:
            pieces[-1].append(b)
    if len(pieces) == 1:
        return [word]
    return [_piece(word, piece) for piece in pieces]


def split_line(words: Sequence[TesseractWord], min_pitches: float = DEFAULT_MIN_PITCHES) -> list[TesseractWord]:
    """The words of one line with printed spaces restored next to punctuation (see the module doc)."""
    pitch = line_pitch(words)
    return [piece for word in words for piece in split_word(word, pitch, min_pitches)]


def split_words(words: Sequence[TesseractWord], min_pitches: float = DEFAULT_MIN_PITCHES) -> list[TesseractWord]:
    """``split_line`` over each of Tesseract's lines (words grouped by ``line_key``), order kept."""
    lines: dict[tuple[int, int, int], list[TesseractWord]] = {}
    for word in words:
        lines.setdefault(word.line_key, []).append(word)
    pitches = {key: line_pitch(members) for key, members in lines.items()}
    return [piece for word in words for piece in split_word(word, pitches[word.line_key], min_pitches)]


def ink_gaps(crop: np.ndarray, min_gap: float) -> list[tuple[int, int]]:
    """Blank column runs ``[start, end)`` of a greyscale line crop at least ``min_gap`` x its height wide.

    Ink is what Otsu's threshold puts on the dark side; a column is blank when at most 3 % of its
    pixels are ink (specks and the tails of rulings). Runs touching the crop's ends are left out.

    >>> crop = np.full((20, 100), 255, np.uint8); crop[4:16, 5:30] = 0; crop[4:16, 45:90] = 0
    >>> ink_gaps(crop, 0.5)
    [(30, 45)]
    """
    import cv2

    if crop.ndim != 2 or crop.shape[0] < 4 or crop.shape[1] < 4:
        return []
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    height, width = ink.shape
    blank = ink.sum(axis=0) <= 0.03 * height
    gaps: list[tuple[int, int]] = []
    start: int | None = None
    for x in range(width + 1):
        if x < width and blank[x]:
            if start is None:
                start = x
        elif start is not None:
            if start > 0 and x < width and x - start >= min_gap * height:
                gaps.append((start, x))
            start = None
    return gaps


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


def word_spans(texts: Sequence[str], centres: Sequence[float], gaps: Sequence[tuple[int, int]],
               min_pitches: float = 2.0) -> list[tuple[int, int]]:
    """Group a line's characters (left to right, ``centres`` in the crop's pixels) into words ``[start, end)``.

    A word ends at a space the recogniser read, at a blank ink gap between two characters
    (``ink_gaps``), or where two neighbouring centres are at least ``min_pitches`` median pitches
    apart (0 turns that test off). The spaces themselves belong to no word.

    >>> word_spans(list("AB:CD E"), [0, 10, 20, 40, 50, 60, 70], [(25, 35)])
    [(0, 3), (3, 5), (6, 7)]
    """
    kept = [k for k, t in enumerate(texts) if t.strip()]
    breaks = {kept[j] for j in break_positions([centres[k] for k in kept], gaps)}
    if min_pitches > 0 and len(kept) > 2:
        steps = [centres[b] - centres[a] for a, b in zip(kept, kept[1:])]
        pitch = float(np.median([s for s in steps if s > 0] or [0.0]))
        if pitch > 0:
            breaks |= {b for a, b, s in zip(kept, kept[1:], steps) if s >= min_pitches * pitch}
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

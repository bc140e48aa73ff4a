"""Reading order for word boxes: chain words into line segments, then recursive XY-cut into columns and blocks.

Plain easyocr returns regions sorted by their top edge, so on a two-column page the text jumps
across the gutter on every line. Here words that sit on one baseline and are separated by less
than about one text height are chained into a segment; then the page is cut recursively: at a
vertical gutter (an empty vertical strip crossing the whole block) into columns read left to
right, otherwise at the widest horizontal gaps (headings, paragraph breaks) into blocks read top
to bottom. Leaves are read line by line.

>>> words = [WordBox(0, 0, 40, 10), WordBox(45, 0, 80, 10), WordBox(200, 0, 240, 10),
...          WordBox(0, 15, 40, 25), WordBox(200, 15, 240, 25)]
>>> [[w for w in line.words] for line in reading_order(words)]
[[0, 1], [3], [2], [4]]
"""
from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class WordBox:
    """The geometry of one word, in pixels (only what layout needs)."""

    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def cy(self) -> float:
        return (self.y1 + self.y2) / 2


@dataclass
class Segment:
    """Words chained left to right on one baseline, with no column-sized gap between them."""

    words: list[int] = field(default_factory=list)
    x1: float = float("inf")
    y1: float = float("inf")
    x2: float = float("-inf")
    y2: float = float("-inf")

    def add(self, index: int, box: WordBox) -> None:
        self.words.append(index)
        self.x1, self.y1 = min(self.x1, box.x1), min(self.y1, box.y1)
        self.x2, self.y2 = max(self.x2, box.x2), max(self.y2, box.y2)


@dataclass
class Line:
    """A line in reading order: word indices left to right, and the block (column/paragraph) it belongs to."""

    words: list[int]
    block: int


@dataclass(frozen=True)
class LayoutParams:
    """Thresholds as multiples of the median word height, so they hold at any resolution."""

    word_gap: float = 1.0  # words further apart than this on one baseline are in different columns
    min_gutter: float = 0.5  # narrowest vertical strip that separates columns
    big_gap_ratio: float = 0.75  # horizontal cuts go at gaps at least this fraction of the widest one
    line_overlap: float = 0.5  # vertical overlap (of the smaller height) to share a baseline


def _vertical_overlap(a: WordBox | Segment, b: WordBox | Segment) -> float:
    overlap = min(a.y2, b.y2) - max(a.y1, b.y1)
    return overlap / max(1e-6, min(a.y2 - a.y1, b.y2 - b.y1))


def build_segments(boxes: Sequence[WordBox], params: LayoutParams, unit: float) -> list[Segment]:
    """Chain each word (taken left to right) onto the segment whose last word ends just before it."""
    segments: list[Segment] = []
    open_ends: list[tuple[Segment, WordBox]] = []
    for index in sorted(range(len(boxes)), key=lambda i: (boxes[i].x1, boxes[i].y1)):
        box = boxes[index]
        best: tuple[float, int] | None = None
        for k, (segment, last) in enumerate(open_ends):
            gap = box.x1 - last.x2
            if -0.5 * unit <= gap <= params.word_gap * unit and _vertical_overlap(box, last) >= params.line_overlap:
                score = abs(box.cy - last.cy) + 0.1 * abs(gap)
                if best is None or score < best[0]:
                    best = (score, k)
        if best is None:
            segment = Segment()
            segments.append(segment)
            open_ends.append((segment, box))
        else:
            segment = open_ends[best[1]][0]
            open_ends[best[1]] = (segment, box)
        segment.add(index, box)
    return segments


def _gaps(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Empty stretches between the union of 1-D intervals, as (start, end)."""
    gaps: list[tuple[float, float]] = []
    ordered = sorted(intervals)
    reach = ordered[0][1]
    for start, end in ordered[1:]:
        if start > reach:
            gaps.append((reach, start))
        reach = max(reach, end)
    return gaps


def _split(segments: list[Segment], cuts: list[float], axis: str) -> list[list[Segment]]:
    groups: list[list[Segment]] = [[] for _ in range(len(cuts) + 1)]
    for segment in segments:
        centre = (segment.x1 + segment.x2) / 2 if axis == "x" else (segment.y1 + segment.y2) / 2
        groups[sum(centre > c for c in cuts)].append(segment)
    return [g for g in groups if g]


def xy_cut(segments: list[Segment], params: LayoutParams, unit: float) -> list[list[Segment]]:
    """Blocks of segments in reading order (columns left to right, blocks top to bottom)."""
    if len(segments) <= 1:
        return [segments] if segments else []
    column_gaps = [g for g in _gaps([(s.x1, s.x2) for s in segments]) if g[1] - g[0] >= params.min_gutter * unit]
    if column_gaps:
        parts = _split(segments, [(a + b) / 2 for a, b in column_gaps], "x")
    else:
        row_gaps = _gaps([(s.y1, s.y2) for s in segments])
        if not row_gaps:
            return [segments]
        widest = max(b - a for a, b in row_gaps)
        cuts = [(a + b) / 2 for a, b in row_gaps if b - a >= params.big_gap_ratio * widest]
        parts = _split(segments, cuts, "y")
        if len(parts) <= 1:
            return [segments]
        if all(len(p) == 1 for p in parts):  # nothing but single lines: no structure left to find
            return [segments]
    blocks: list[list[Segment]] = []
    for part in parts:
        blocks.extend(xy_cut(part, params, unit))
    return blocks


def _lines_of_block(block: list[Segment]) -> list[list[Segment]]:
    """Segments of one block that share a baseline, side by side, form one line, read left to right.

    Segments that overlap horizontally are never one line (adjacent lines of a skewed page
    overlap vertically).
    """
    lines: list[list[Segment]] = []
    for segment in sorted(block, key=lambda s: ((s.y1 + s.y2) / 2, s.x1)):
        if (lines and _vertical_overlap(segment, lines[-1][-1]) >= 0.5
                and all(segment.x1 >= s.x2 or s.x1 >= segment.x2 for s in lines[-1])):
            lines[-1].append(segment)
        else:
            lines.append([segment])
    return [sorted(line, key=lambda s: s.x1) for line in lines]


def segments_of_lines(boxes: Sequence[WordBox], lines: Sequence[Sequence[int]], params: LayoutParams,
                      unit: float) -> list[Segment]:
    """Segments from an engine's own lines (e.g. Tesseract's), split where a gap is column-sized."""
    segments: list[Segment] = []
    for line in lines:
        current: Segment | None = None
        for index in sorted(line, key=lambda i: boxes[i].x1):
            if current is None or boxes[index].x1 - current.x2 > params.word_gap * unit:
                current = Segment()
                segments.append(current)
            current.add(index, boxes[index])
    return segments


def reading_order(boxes: Sequence[WordBox], params: LayoutParams | None = None,
                  lines: Sequence[Sequence[int]] | None = None) -> list[Line]:
    """Lines (lists of word indices) in reading order; every word appears exactly once.

    ``lines`` are an engine's own lines (word indices), used as segments after splitting them at
    column-sized gaps; without them words are chained into segments here.
    """
    if not boxes:
        return []
    params = params or LayoutParams()
    unit = statistics.median(b.height for b in boxes) or 1.0
    segments = (segments_of_lines(boxes, lines, params, unit) if lines is not None
                else build_segments(boxes, params, unit))
    lines: list[Line] = []
    for block_id, block in enumerate(xy_cut(segments, params, unit)):
        for line in _lines_of_block(block):
            lines.append(Line(words=[w for s in line for w in s.words], block=block_id))
    return lines


_HYPHEN_END = re.compile(r"[^\W\d_]-$")


def page_text(lines: Sequence[tuple[str, int]], join_hyphens: bool = True) -> str:
    """The text of lines ``(text, block)`` in reading order, one line per line break.

    With ``join_hyphens`` a line that ends in a letter and a hyphen is joined with the next line
    of the same block when that one starts with a lower-case letter (``ex-`` + ``plain`` ->
    ``explain``); the rest of the next line follows on the joined line. A hyphen that belongs to
    the word (``well-`` + ``known``) cannot be told apart and is dropped too.

    >>> page_text([("we ex-", 0), ("plain it", 0), ("Next-", 1), ("Block", 1)])
    'we explain it\\nNext-\\nBlock'
    """
    out: list[str] = []
    previous_block: int | None = None
    for text, block in lines:
        if (join_hyphens and out and block == previous_block and _HYPHEN_END.search(out[-1])
                and text[:1].islower()):
            out[-1] = out[-1][:-1] + text
        else:
            out.append(text)
        previous_block = block
    return "\n".join(out)

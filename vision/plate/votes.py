"""Settling several readings of one plate: the views of a box vote, and overlapping plates keep the best read."""
from __future__ import annotations

from collections.abc import Sequence

from vision.plate.read import Reading
from vision.plate.schemas import Plate


def best_read(readings: Sequence[Reading]) -> Reading:
    """The best of several views of one box: a known format first, then text confidence."""
    return max(readings, key=lambda r: (r.format is not None, r.confidence))


def vote_reads(readings: Sequence[Reading]) -> Reading:
    """Several views of one box vote: each reading of a known format gives its text its confidence, and the
    text with the most wins, as read by its most confident view. Without any known format, ``best_read``.

    Two views that agree outvote one that is more sure of something else: a crop that cuts a glyph or
    holds the plate's rim is often read confidently wrong (``DKT3896`` for ``OKT3896``).

    >>> from vision.plate.formats import formats_for
    >>> old = formats_for("BR")[0]
    >>> views = [Reading("OKT3896", 0.8, [], "", old), Reading("OKT3896", 0.7, [], "", old), Reading("DKT3896", 0.95, [], "", old)]
    >>> vote_reads(views).text, vote_reads(views).confidence
    ('OKT3896', 0.8)
    """
    formatted = [r for r in readings if r.format is not None]
    if not formatted:
        return best_read(readings)
    votes: dict[str, float] = {}
    for reading in formatted:
        votes[reading.text] = votes.get(reading.text, 0.0) + reading.confidence
    winner = max(votes, key=votes.__getitem__)
    return max((r for r in formatted if r.text == winner), key=lambda r: r.confidence)


def keep_best_reads(plates: Sequence[Plate], iou: float = 0.3, contained: float = 0.7) -> list[Plate]:
    """One plate per place: of boxes that overlap (IoU >= ``iou``) or nest (``contained`` of the smaller
    inside the other), keep the best read — a known format first, then text confidence, then the
    detector's. A part of a plate, or a box around plate and bumper, reads worse than the plate itself."""
    ranked = sorted(plates, key=lambda p: (p.format is not None, p.confidence, p.box.confidence), reverse=True)
    kept: list[Plate] = []
    for plate in ranked:
        if not any(plate.box.iou(k.box) >= iou or plate.box.containment(k.box) >= contained for k in kept):
            kept.append(plate)
    return kept

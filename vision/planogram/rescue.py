"""Planogram-guided second look: low-confidence detections that fill a missing facing, and weak
unknown boxes on empty shelf space.

The detector runs once at a low confidence. Boxes at or above the operating threshold are the
products; the rest are kept in reserve. After a first compliance pass, a reserve box is accepted
as a product only when all of these hold:

- it stands on a detected shelf row (its bottom edge sits with the row's bottom edges),
- it does not overlap a product already found (it fills empty shelf space),
- the recogniser calls it a catalogue SKU (or the expected SKU is an acceptable close candidate)
  that the planogram expects at a position of that shelf found ``missing`` in the first pass.

So the planogram only confirms evidence the image already holds: an unknown or unexpected pack
at low confidence is never added. Independently, before compliance, a box recognised as
``unknown`` whose crop is bare back panel (``empty_space.is_empty_shelf``) is dropped: it is a
false box on a gap, not a foreign product (``drop_unknown_below`` can also drop weak unknowns by
detector score; off by default, it cost more real packs than it removed false boxes).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.schemas import Box
from vision.planogram.compliance import accepts, pair_shelves
from vision.planogram.schemas import UNKNOWN, ComplianceReport, PlanogramSpec, Product, ShelfDetections

BoxTuple = tuple[float, float, float, float, float]
Describe = Callable[[list[BoxTuple]], list[Product]]  # boxes -> products (sku, candidates; shelf/position unset)


@dataclass(frozen=True)
class RescueConfig:
    """Settings of the second look (chosen on train-split and wide-style shelves from unseen seeds,
    never on the held-out set).

    The low-confidence rescue is off by default: with the shipped (wide-domain) detector it
    removed no more misses than it created false ``correct`` calls on true gaps (development
    sets: 0.9850 -> 0.9836, 0.9756 -> 0.9756, 0.9873 -> 0.9873 position accuracy); with the
    earlier, narrower detector it gained +0.7 points on wide-style shelves. Turn it on for a
    detector that misses packs on a new store's backgrounds.
    """

    low_confidence_rescue: bool = False
    conf_low: float = 0.05  # reserve boxes: detector confidence from here up to the operating threshold
    max_overlap: float = 0.05  # share of a reserve box already covered by a product: above this it is a duplicate
    row_tolerance: float = 0.35  # bottom edge within this x the row's median pack height of the row's bottoms
    soft: bool = True  # the expected SKU may also be a close candidate (``compliance.accepts``)
    drop_unknown_below: float = 0.0  # unknown products under this detector confidence count as empty shelf
    empty_check: bool = True  # drop unknown products whose crop is bare back panel


def overlap_share(box: tuple[float, float, float, float], others: list[tuple[float, float, float, float]]) -> float:
    """Largest share of ``box``'s area covered by any one of ``others``."""
    if not others:
        return 0.0
    arr = np.asarray(others, dtype=np.float64).reshape(-1, 4)
    ix = np.clip(np.minimum(arr[:, 2], box[2]) - np.maximum(arr[:, 0], box[0]), 0, None)
    iy = np.clip(np.minimum(arr[:, 3], box[3]) - np.maximum(arr[:, 1], box[1]), 0, None)
    area = max(1e-9, (box[2] - box[0]) * (box[3] - box[1]))
    return float((ix * iy).max() / area)


def row_of_box(box: tuple[float, float, float, float], detections: ShelfDetections, tolerance: float) -> int | None:
    """The detected row whose packs' bottom edges line up with ``box``'s, or None."""
    best, best_dist = None, np.inf
    for r, row in enumerate(detections.shelf_sequences()):
        if not row:
            continue
        bottom = float(np.median([p.box.y2 for p in row]))
        height = float(np.median([p.box.height for p in row]))
        dist = abs(box[3] - bottom)
        if dist <= tolerance * height and dist < best_dist:
            best, best_dist = r, dist
    return best


def drop_weak_unknowns(detections: ShelfDetections, below: float) -> ShelfDetections:
    """Remove ``unknown`` products whose detector confidence is under ``below`` (likely empty shelf)."""
    if below <= 0:
        return detections
    keep = [p for p in detections.products if not (p.sku == UNKNOWN and (p.box.confidence or 0.0) < below)]
    return renumber(detections, keep)


def drop_empty_unknowns(detections: ShelfDetections, image: np.ndarray) -> tuple[ShelfDetections, int]:
    """Remove ``unknown`` products whose crop shows empty shelf; returns the detections and how many went."""
    from vision.planogram.catalogue import crop_boxes
    from vision.planogram.empty_space import is_empty_shelf

    unknown = [p for p in detections.products if p.sku == UNKNOWN]
    if not unknown:
        return detections, 0
    crops = crop_boxes(image, [(p.box.x1, p.box.y1, p.box.x2, p.box.y2) for p in unknown])
    empty = {id(p) for p, crop in zip(unknown, crops) if is_empty_shelf(crop)}
    if not empty:
        return detections, 0
    return renumber(detections, [p for p in detections.products if id(p) not in empty]), len(empty)


def renumber(detections: ShelfDetections, products: list[Product]) -> ShelfDetections:
    """Same rows, positions recomputed left to right after products were added or removed."""
    rows: dict[int, list[Product]] = {}
    for p in products:
        rows.setdefault(p.shelf, []).append(p)
    out = []
    for members in rows.values():
        members.sort(key=lambda p: (p.box.x1 + p.box.x2) / 2)
        out += [p.model_copy(update={"position": k}) for k, p in enumerate(members)]
    out.sort(key=lambda p: (p.shelf, p.position))
    return detections.model_copy(update={"products": out})


def missing_by_row(detections: ShelfDetections, spec: PlanogramSpec, report: ComplianceReport) -> dict[int, set[str]]:
    """Detected row -> SKUs the planogram expects at positions of that row's shelf found missing."""
    missing: dict[int, set[str]] = {}
    for p in report.positions:
        if p.status == "missing" and p.expected_sku:
            missing.setdefault(p.shelf, set()).add(p.expected_sku)
    out: dict[int, set[str]] = {}
    for shelf, row in pair_shelves(detections, spec).items():
        if shelf in missing:
            out[row] = missing[shelf]
    return out


def rescue(detections: ShelfDetections, spec: PlanogramSpec, report: ComplianceReport, reserve: list[BoxTuple],
           describe: Describe, config: RescueConfig = RescueConfig()) -> tuple[ShelfDetections, int]:
    """Add reserve boxes that fill an expected, missing facing; returns the detections and how many were added."""
    wanted = missing_by_row(detections, spec, report)
    if not wanted or not reserve:
        return detections, 0
    taken = [(p.box.x1, p.box.y1, p.box.x2, p.box.y2) for p in detections.products]
    placed: list[tuple[BoxTuple, int]] = []
    for box in sorted(reserve, key=lambda b: -b[4]):
        xyxy = (box[0], box[1], box[2], box[3])
        row = row_of_box(xyxy, detections, config.row_tolerance)
        if row is None or row not in wanted or overlap_share(xyxy, taken) > config.max_overlap:
            continue
        placed.append((box, row))
        taken.append(xyxy)  # reserve boxes must not stack on each other either
    if not placed:
        return detections, 0
    added = []
    for (box, row), product in zip(placed, describe([b for b, _ in placed])):
        skus = wanted[row]
        if product.sku in skus or (config.soft and any(accepts(product, sku) for sku in skus)):
            added.append(product.model_copy(update={"shelf": row, "position": 0}))
    if not added:
        return detections, 0
    return renumber(detections, detections.products + added), len(added)


def as_box(box: BoxTuple) -> Box:
    """A detector tuple as the report's ``Box``."""
    return Box(x1=box[0], y1=box[1], x2=box[2], y2=box[3], confidence=min(1.0, max(0.0, box[4])))

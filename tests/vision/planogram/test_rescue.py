"""Planogram-guided second look: reserve boxes fill a missing expected facing, and nothing else."""
from __future__ import annotations

from core.schemas import Box
from vision.planogram.compliance import check_compliance, pair_shelves
from vision.planogram.rescue import (
    BoxTuple,
    RescueConfig,
    drop_empty_unknowns,
    drop_weak_unknowns,
    overlap_share,
    rescue,
    row_of_box,
)
from vision.planogram.schemas import UNKNOWN, PlanogramSpec, Product, ShelfDetections, SkuCandidate

SPEC = PlanogramSpec(shelves=[[{"sku": "A", "facings": 2}, {"sku": "B", "facings": 2}],
                              [{"sku": "C", "facings": 3}]])


def _product(x: float, sku: str, shelf: int, position: int, conf: float = 0.9, y2: float = 100) -> Product:
    return Product(box=Box(x1=x, y1=y2 - 50, x2=x + 20, y2=y2, confidence=conf), sku=sku, sku_confidence=0.9,
                   candidates=[SkuCandidate(sku=sku, similarity=0.9)], shelf=shelf, position=position)


def _shelves(top: list[tuple[float, str]], bottom: list[tuple[float, str]]) -> ShelfDetections:
    products = [_product(x, s, 0, k) for k, (x, s) in enumerate(top)]
    products += [_product(x, s, 1, k, y2=200) for k, (x, s) in enumerate(bottom)]
    return ShelfDetections(width=200, height=220, n_shelves=2, products=products)


def _describe_as(sku: str):
    def describe(boxes: list[BoxTuple]) -> list[Product]:
        return [Product(box=Box(x1=b[0], y1=b[1], x2=b[2], y2=b[3], confidence=b[4]), sku=sku, sku_confidence=0.7,
                        candidates=[SkuCandidate(sku=sku, similarity=0.7)], shelf=0, position=0) for b in boxes]
    return describe


# The first B of the top shelf was not detected (x 42..62 is empty); the bottom shelf is complete.
DETECTIONS = _shelves([(0, "A"), (21, "A"), (63, "B")], [(0, "C"), (21, "C"), (42, "C")])
GAP_BOX: BoxTuple = (42.0, 51.0, 62.0, 101.0, 0.1)


def test_geometry_helpers() -> None:
    assert overlap_share((0, 0, 10, 10), [(5, 0, 20, 10)]) == 0.5
    assert overlap_share((0, 0, 10, 10), []) == 0.0
    assert row_of_box((42, 50, 62, 101), DETECTIONS, 0.35) == 0
    assert row_of_box((42, 150, 62, 199), DETECTIONS, 0.35) == 1
    assert row_of_box((42, 100, 62, 150), DETECTIONS, 0.35) is None  # between the boards
    assert pair_shelves(DETECTIONS, SPEC) == {0: 0, 1: 1}


def test_reserve_box_recognised_as_the_missing_sku_is_accepted() -> None:
    first = check_compliance(DETECTIONS, SPEC)
    assert first.counts["missing"] == 1
    fixed, added = rescue(DETECTIONS, SPEC, first, [GAP_BOX], _describe_as("B"))
    assert added == 1
    assert [p.sku for p in fixed.shelf_sequences()[0]] == ["A", "A", "B", "B"]
    assert [p.position for p in fixed.shelf_sequences()[0]] == [0, 1, 2, 3]
    assert check_compliance(fixed, SPEC).counts == {"correct": 7, "misplaced": 0, "missing": 0, "unexpected": 0}


def test_reserve_box_is_rejected_unless_it_is_the_expected_sku_in_empty_space() -> None:
    first = check_compliance(DETECTIONS, SPEC)
    assert rescue(DETECTIONS, SPEC, first, [GAP_BOX], _describe_as("C"))[1] == 0  # C is not missing up there
    assert rescue(DETECTIONS, SPEC, first, [GAP_BOX], _describe_as(UNKNOWN))[1] == 0
    duplicate: BoxTuple = (25.0, 51.0, 45.0, 101.0, 0.1)  # mostly on a pack already found
    assert rescue(DETECTIONS, SPEC, first, [duplicate], _describe_as("B"))[1] == 0
    off_row: BoxTuple = (42.0, 100.0, 62.0, 150.0, 0.1)
    assert rescue(DETECTIONS, SPEC, first, [off_row], _describe_as("B"))[1] == 0
    # Two reserve boxes on the same empty space: only the more confident one is considered.
    twin: BoxTuple = (43.0, 51.0, 63.0, 101.0, 0.08)
    fixed, added = rescue(DETECTIONS, SPEC, first, [twin, GAP_BOX], _describe_as("B"))
    assert added == 1 and fixed.shelf_sequences()[0][2].box.confidence == 0.1


def test_nothing_to_rescue_on_a_compliant_shelf() -> None:
    full = _shelves([(0, "A"), (21, "A"), (42, "B"), (63, "B")], [(0, "C"), (21, "C"), (42, "C")])
    report = check_compliance(full, SPEC)
    assert rescue(full, SPEC, report, [(84.0, 51.0, 104.0, 101.0, 0.1)], _describe_as("B")) == (full, 0)


def test_soft_match_needs_the_expected_sku_as_a_close_candidate() -> None:
    def describe(boxes: list[BoxTuple]) -> list[Product]:
        return [Product(box=Box(x1=b[0], y1=b[1], x2=b[2], y2=b[3], confidence=b[4]), sku="C", sku_confidence=0.6,
                        candidates=[SkuCandidate(sku="C", similarity=0.71), SkuCandidate(sku="B", similarity=0.69)],
                        shelf=0, position=0) for b in boxes]

    first = check_compliance(DETECTIONS, SPEC)
    assert rescue(DETECTIONS, SPEC, first, [GAP_BOX], describe, RescueConfig(soft=True))[1] == 1
    assert rescue(DETECTIONS, SPEC, first, [GAP_BOX], describe, RescueConfig(soft=False))[1] == 0


def test_drop_weak_unknowns() -> None:
    dets = _shelves([(0, "A"), (21, UNKNOWN), (42, "B")], [(0, "C")])
    weak = dets.model_copy(update={"products": [
        p.model_copy(update={"box": p.box.model_copy(update={"confidence": 0.25})}) if p.sku == UNKNOWN else p
        for p in dets.products]})
    assert drop_weak_unknowns(weak, 0.0) is weak
    kept = drop_weak_unknowns(weak, 0.3)
    assert [p.sku for p in kept.shelf_sequences()[0]] == ["A", "B"]
    assert [p.position for p in kept.shelf_sequences()[0]] == [0, 1]


def test_unknown_box_on_bare_back_panel_is_dropped() -> None:
    import numpy as np

    from vision.planogram.empty_space import flatness, is_empty_shelf
    from vision.planogram.skus import render_packshot, synthetic_skus

    image = np.full((220, 200, 3), (70, 90, 110), np.uint8)
    image += np.random.default_rng(0).integers(0, 4, image.shape, dtype=np.uint8)  # sensor noise
    pack = np.asarray(render_packshot(synthetic_skus()[0], 50).convert("RGB").resize((20, 50)))
    image[50:100, 0:20] = pack
    assert is_empty_shelf(image[50:100, 42:62]) and not is_empty_shelf(pack)
    assert flatness(pack).edges > flatness(image[50:100, 42:62]).edges
    dets = _shelves([(0, UNKNOWN), (42, UNKNOWN)], [(0, "C")])
    kept, dropped = drop_empty_unknowns(dets, image)
    assert dropped == 1 and [p.box.x1 for p in kept.shelf_sequences()[0]] == [0]
    known = _shelves([(42, "A")], [(0, "C")])
    assert drop_empty_unknowns(known, image) == (known, 0)  # only unknown packs are questioned

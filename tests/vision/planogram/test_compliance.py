"""Compliance logic on ground-truth boxes: alignment semantics, planted faults, shelf pairing, share of shelf."""
from __future__ import annotations

from core.schemas import Box
from vision.planogram.compliance import GAP, align, check_compliance, observed_tokens
from vision.planogram.evaluate import position_accuracy, truth_detections
from vision.planogram.schemas import PlanogramSpec, Product, ShelfDetections
from vision.planogram.synth import Scene


def _ops(expected: list[str], observed: list[str]) -> list[tuple[int | None, int | None]]:
    return align(expected, observed)[1]


def test_align_names_a_swap_as_two_substitutions() -> None:
    assert _ops(list("AABB"), list("ABAB")) == [(0, 0), (1, 1), (2, 2), (3, 3)]


def test_align_extra_is_an_insertion_and_gap_token_is_a_missing_slot() -> None:
    assert (None, 2) in _ops(list("ABC"), list("ABXC"))
    assert _ops(list("AAA"), ["A", GAP, "A"]) == [(0, 0), (1, 1), (2, 2)]


def test_gap_tokens_come_from_empty_shelf_space() -> None:
    def product(x: float, position: int) -> Product:
        return Product(box=Box(x1=x, y1=0, x2=x + 20, y2=50), sku="A", sku_confidence=1, shelf=0, position=position)

    tokens = observed_tokens([product(0, 0), product(21, 1), product(63, 2)])
    assert [t.sku for t in tokens] == ["A", "A", GAP, "A"]


def test_planted_faults_are_named_at_the_right_positions(faulty_scene: Scene) -> None:
    report = check_compliance(truth_detections(faulty_scene), faulty_scene.spec)
    by_pos = {(p.shelf, p.position): p for p in report.positions}
    swap, gap, extra, foreign = faulty_scene.faults
    assert by_pos[(0, swap.position)].status == "misplaced"
    assert by_pos[(0, swap.position + 1)].status == "misplaced"
    assert by_pos[(0, swap.position)].observed_sku == by_pos[(0, swap.position + 1)].expected_sku
    assert by_pos[(1, gap.position)].status == "missing"
    assert by_pos[(1, gap.position)].box is not None, "a gap is located on the image"
    extras = [p for p in report.positions if p.position is None]
    assert len(extras) == 1 and extras[0].shelf == 2 and extras[0].status == "unexpected"
    assert extras[0].note.endswith(f"after expected position {extra.position - 1}")
    assert by_pos[(3, foreign.position)].status == "unexpected"
    assert by_pos[(3, foreign.position)].observed_sku == "unknown"
    assert report.counts == {"correct": report.n_expected - 4, "misplaced": 2, "missing": 1, "unexpected": 2}
    ok, n, _ = position_accuracy(report, faulty_scene)
    assert ok == n
    assert abs(report.compliance_pct - 100 * (report.n_expected - 4) / report.n_expected) < 0.01


def test_facings_and_share_of_shelf(faulty_scene: Scene) -> None:
    report = check_compliance(truth_detections(faulty_scene), faulty_scene.spec)
    gap = faulty_scene.faults[1]
    missing_sku = faulty_scene.spec.shelves[1].sequence()[gap.position]
    row = next(f for f in report.facings if f.shelf == 1 and f.sku == missing_sku)
    assert row.found == row.expected - 1
    assert abs(sum(b.share_facings for b in report.share_of_shelf) - 1) < 1e-3
    assert any(b.brand == "unknown" for b in report.share_of_shelf)


def test_a_shelf_row_not_detected_does_not_shift_the_others(faulty_scene: Scene) -> None:
    detections = truth_detections(faulty_scene)
    kept = [p.model_copy(update={"shelf": p.shelf - 1}) for p in detections.products if p.shelf > 0]
    partial = ShelfDetections(width=detections.width, height=detections.height,
                              n_shelves=detections.n_shelves - 1, products=kept)
    report = check_compliance(partial, faulty_scene.spec)
    assert report.warnings and report.shelves_detected == detections.n_shelves - 1
    shelf0 = [p for p in report.positions if p.shelf == 0]
    assert all(p.status == "missing" for p in shelf0)
    assert any(p.status == "missing" for p in report.positions if p.shelf == 1 and p.position is not None)
    assert sum(p.status == "correct" for p in report.positions if p.shelf == 2) >= len(
        faulty_scene.spec.shelves[2].sequence()) - 1


def test_empty_detections_report_everything_missing() -> None:
    spec = PlanogramSpec(fixture_id="bay", shelves=[[{"sku": "A", "facings": 2}], [{"sku": "B"}]])
    report = check_compliance(ShelfDetections(width=10, height=10, n_shelves=0, products=[]), spec)
    assert report.counts["missing"] == 3 and report.compliance_pct == 0.0


def test_a_close_second_candidate_is_accepted_but_a_clear_winner_is_not() -> None:
    from vision.planogram.schemas import SkuCandidate

    def shelf(second: float) -> ShelfDetections:
        products = [
            Product(box=Box(x1=0, y1=0, x2=20, y2=50), sku="A", sku_confidence=1, shelf=0, position=0),
            Product(box=Box(x1=21, y1=0, x2=41, y2=50), sku="B", sku_confidence=0.6, shelf=0, position=1,
                    candidates=[SkuCandidate(sku="B", similarity=0.80), SkuCandidate(sku="C", similarity=second)]),
        ]
        return ShelfDetections(width=50, height=50, n_shelves=1, products=products)

    spec = PlanogramSpec(shelves=[[{"sku": "A"}, {"sku": "C"}]])
    close = check_compliance(shelf(0.78), spec)
    assert [p.status for p in close.positions] == ["correct", "correct"]
    assert "close candidate" in close.positions[1].note
    far = check_compliance(shelf(0.60), spec)
    assert [p.status for p in far.positions] == ["correct", "misplaced"]

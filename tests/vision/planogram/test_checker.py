"""The task end to end with the shipped detector (slow): predict, check planted faults, evaluate, add a SKU."""
from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from core.errors import InvalidInput, ModelLoading, WeightsUnavailable
from vision.planogram import PlanogramChecker
from vision.planogram.schemas import ComplianceReport, ShelfDetections
from vision.planogram.skus import foreign_skus, render_packshot
from vision.planogram.synth import Scene, sample_inputs
from vision.planogram.weights import status


def test_construct_stores_only_and_check_needs_load() -> None:
    checker = PlanogramChecker(device="cpu", conf=0.3)
    assert not checker.loaded
    with pytest.raises(ModelLoading):
        checker.check(b"", {"shelves": [["A"]]})


def test_missing_weights_say_how_to_build_them(tmp_path) -> None:
    with pytest.raises(WeightsUnavailable, match="ais planogram train"):
        PlanogramChecker(weights=str(tmp_path), device="cpu").load()


@pytest.fixture(scope="module")
def checker() -> PlanogramChecker:
    if not status().available:
        pytest.skip(f"planogram weights not built: {status().message}")
    return PlanogramChecker(device="cpu").load()


@pytest.mark.slow
def test_predict_groups_products_into_rows(checker: PlanogramChecker) -> None:
    results = checker.predict(sample_inputs(2))
    assert all(isinstance(r, ShelfDetections) for r in results)
    for result in results:
        json.loads(result.model_dump_json())
        assert 3 <= result.n_shelves <= 5 and len(result.products) > 20
        known = [p for p in result.products if p.sku != "unknown"]
        assert len(known) > 0.7 * len(result.products)
    with pytest.raises(InvalidInput, match="item 1"):
        checker.predict([sample_inputs(1)[0], b"not an image"])


@pytest.mark.slow
def test_planted_faults_through_the_real_detector(checker: PlanogramChecker, faulty_scene: Scene) -> None:
    report = checker.check(faulty_scene.image, faulty_scene.spec)
    assert isinstance(report, ComplianceReport)
    by_pos = {(p.shelf, p.position): p.status for p in report.positions}
    swap, gap, _extra, foreign = faulty_scene.faults
    assert by_pos[(0, swap.position)] == by_pos[(0, swap.position + 1)] == "misplaced"
    assert by_pos[(1, gap.position)] == "missing"
    assert any(p.position is None and p.shelf == 2 for p in report.positions)
    assert by_pos[(3, foreign.position)] == "unexpected"
    png = checker.annotate(faulty_scene.image, report)
    assert Image.open(io.BytesIO(png)).size == faulty_scene.image.size


@pytest.mark.slow
def test_rescue_option_must_be_a_config(checker: PlanogramChecker, faulty_scene: Scene) -> None:
    checker.options["rescue"] = {"low_confidence_rescue": True}
    try:
        with pytest.raises(InvalidInput, match="RescueConfig"):
            checker.check(faulty_scene.image, faulty_scene.spec)
    finally:
        del checker.options["rescue"]


@pytest.mark.slow
def test_low_confidence_rescue_keeps_the_planted_faults(faulty_scene: Scene) -> None:
    """The opt-in second look must not paper over a real gap or a foreign pack."""
    from vision.planogram.rescue import RescueConfig

    if not status().available:
        pytest.skip(status().message)
    checker = PlanogramChecker(device="cpu", rescue=RescueConfig(low_confidence_rescue=True)).load()
    detections, report = checker.check_image(faulty_scene.image, faulty_scene.spec)
    by_pos = {(p.shelf, p.position): p.status for p in report.positions}
    swap, gap, _extra, foreign = faulty_scene.faults
    assert by_pos[(1, gap.position)] == "missing"
    assert by_pos[(3, foreign.position)] == "unexpected"
    assert by_pos[(0, swap.position)] == "misplaced"
    assert checker.timings["gap_check_s"] > 0 and detections.products


@pytest.mark.slow
def test_new_sku_is_recognised_after_adding_its_packshot(checker: PlanogramChecker) -> None:
    newcomer = foreign_skus()[0]
    before = len(checker.catalogue.skus)
    checker.add_sku(newcomer.sku, [render_packshot(newcomer, 160)], brand=newcomer.brand)
    assert len(checker.catalogue.skus) == before + 1
    shelf = {"fixture_id": "new", "shelves": [[{"sku": newcomer.sku, "facings": 1}]]}
    with pytest.raises(InvalidInput):
        checker.check(sample_inputs(1)[0], {"shelves": [[{"sku": newcomer.sku, "facings": 0}]]})
    report = checker.check(sample_inputs(1)[0], shelf)
    assert report.n_expected == 1


@pytest.mark.slow
def test_evaluate_on_a_few_heldout_scenes(checker: PlanogramChecker) -> None:
    from vision.planogram.evaluate import heldout_scenes

    metrics = checker.evaluate(heldout_scenes(3, seed=9))
    assert metrics.values["detection_map50"] > 0.8
    assert metrics.values["sku_top1"] > 0.9
    assert metrics.values["compliance_position_accuracy"] > 0.85

"""Catalogue: folder loading, matching, unknown decision, adding a SKU without retraining, persistence."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from core.errors import InvalidInput
from vision.planogram.catalogue import Catalogue, augment_views, crop_boxes
from vision.planogram.describe import DIM, describe
from vision.planogram.schemas import UNKNOWN
from vision.planogram.skus import foreign_skus, render_packshot, synthetic_skus
from vision.planogram.synth import scenes
from vision.planogram.weights import ASSETS, CATALOGUE_FILE


def _small_catalogue(tmp_path: Path, n: int = 5) -> Path:
    meta = {}
    for design in synthetic_skus()[:n]:
        (tmp_path / design.sku).mkdir(parents=True)
        render_packshot(design, 120).save(tmp_path / design.sku / "front.png")
        meta[design.sku] = {"brand": design.brand, "name": design.name}
    (tmp_path / "catalogue.yaml").write_text(yaml.safe_dump(meta))
    return tmp_path


def test_descriptor_shape_and_bad_crop() -> None:
    assert describe(np.full((40, 20, 3), 200, np.uint8)).shape == (DIM,)
    with pytest.raises(ValueError):
        describe(np.zeros((1, 5, 3), np.uint8))


def test_folder_catalogue_matches_its_own_views(tmp_path: Path) -> None:
    catalogue = Catalogue.from_folder(_small_catalogue(tmp_path), threshold=0.5)
    assert catalogue.brand(synthetic_skus()[0].sku) == synthetic_skus()[0].brand
    for design in synthetic_skus()[:5]:
        views = augment_views(np.asarray(render_packshot(design, 120)), 3, seed=99)
        assert [m.sku for m in catalogue.match(views)] == [design.sku] * 3


def test_add_sku_needs_no_retraining_and_round_trips(tmp_path: Path) -> None:
    catalogue = Catalogue.from_folder(_small_catalogue(tmp_path / "cat"), threshold=0.75)
    newcomer = foreign_skus()[0]
    views = augment_views(np.asarray(render_packshot(newcomer, 120)), 4, seed=5)
    assert all(m.sku != newcomer.sku for m in catalogue.match(views))
    catalogue.add_sku(newcomer.sku, [render_packshot(newcomer, 120)], brand=newcomer.brand)
    assert [m.sku for m in catalogue.match(views)] == [newcomer.sku] * 4
    catalogue.save(tmp_path / "c.npz")
    again = Catalogue.load(tmp_path / "c.npz")
    assert again.skus == catalogue.skus and again.threshold == 0.75
    assert again.brand(newcomer.sku) == newcomer.brand


def test_bad_catalogues() -> None:
    with pytest.raises(InvalidInput):
        Catalogue({})
    with pytest.raises(InvalidInput):
        Catalogue.from_folder("/nonexistent")
    with pytest.raises(InvalidInput):
        Catalogue({UNKNOWN: [np.zeros((4, 4, 3), np.uint8)]})


def test_shipped_catalogue_recognises_heldout_crops() -> None:
    path = ASSETS / CATALOGUE_FILE
    if not path.is_file():
        pytest.skip("default catalogue not built; run `ais planogram train --catalogue-only`")
    catalogue = Catalogue.load(path)
    ok = n = 0
    for scene in scenes(2, "heldout", seed=42):
        products = [p for p in scene.products if p.sku != UNKNOWN]
        matches = catalogue.match(crop_boxes(np.asarray(scene.image), [p.box for p in products]))
        ok += sum(m.sku == p.sku for m, p in zip(matches, products))
        n += len(products)
    assert n > 30 and ok / n >= 0.95

"""Planogram specs: YAML/JSON parsing, shorthand, clear validation errors, and the fixture store."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InvalidInput, NotFound
from vision.planogram.planograms import PlanogramStore, parse_planogram

YAML = """
fixture_id: aisle-3-bay-2
shelves:
  - products: [{sku: SKU-001, facings: 2}, {sku: SKU-004}]
  - [{sku: SKU-007, facings: 3}]
"""


def test_yaml_with_shorthand_shelves() -> None:
    spec = parse_planogram(YAML)
    assert spec.fixture_id == "aisle-3-bay-2"
    assert spec.shelves[0].sequence() == ["SKU-001", "SKU-001", "SKU-004"]
    assert spec.shelves[1].sequence() == ["SKU-007"] * 3
    assert spec.n_positions == 6


def test_file_and_json(tmp_path: Path) -> None:
    path = tmp_path / "bay.json"
    path.write_text('{"fixture_id": "b", "shelves": [[{"sku": "X"}]]}')
    assert parse_planogram(path).skus() == {"X"}
    assert parse_planogram(str(path)).fixture_id == "b"


@pytest.mark.parametrize("text, words", [
    ("fixture_id: a\nshelves: []", "shelves"),
    ("fixture_id: a\nshelves: [[{sku: A, facings: 0}]]", "shelves.0.products.0.facings"),
    ("fixture_id: a\nshelves: [[{sku: unknown}]]", "reserved"),
    ("fixture_id: a\nshelves: [[{sku: A, colour: red}]]", "colour"),
    ("just a string", "mapping"),
    ("fixture_id: [unclosed", "YAML"),
])
def test_bad_specs_raise_invalid_input_naming_the_problem(text: str, words: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_planogram(text)
    assert words in str(info.value)


def test_missing_file() -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        parse_planogram(Path("/nonexistent/bay.yaml"))


def test_store_round_trip(tmp_path: Path) -> None:
    store = PlanogramStore(tmp_path)
    store.put(YAML)
    assert store.ids() == ["aisle-3-bay-2"]
    assert store.get("aisle-3-bay-2") == parse_planogram(YAML)
    with pytest.raises(NotFound):
        store.get("other")
    with pytest.raises(InvalidInput):
        store.get("../etc/passwd")
    store.delete("aisle-3-bay-2")
    assert store.ids() == []

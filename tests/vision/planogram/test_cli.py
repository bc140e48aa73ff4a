"""The ``ais planogram`` commands: ``render`` writes scenes, planograms and a catalogue folder."""
from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from vision.planogram.catalogue import Catalogue
from vision.planogram.cli import app
from vision.planogram.planograms import parse_planogram


def test_render_writes_shelves_planograms_and_catalogue(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["render", str(tmp_path), "--n", "1", "--catalogue"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "shelf_0.jpg").is_file()
    spec = parse_planogram(tmp_path / "shelf_0.yaml")
    catalogue = Catalogue.from_folder(tmp_path / "catalogue")
    assert spec.skus() <= set(catalogue.skus)
    assert catalogue.brand("SKU-001") == "NORDA"

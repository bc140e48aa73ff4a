"""``fine_tune`` on a tiny client set written here: a version folder the task loads, the test photos untouched."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from vision.plate.fine_tune import FineTuneConfig, fine_tune
from vision.plate.fine_tune_detector import DetectorFineTuneConfig
from vision.plate.fine_tune_reader import ReaderFineTuneConfig


def _client_folder(root: Path, n: int = 7) -> Path:
    """``n`` generated photos with one plate each, labelled the openalpr way with texts of one layout."""
    import numpy as np

    from vision.plate.synth import render_scene

    rng = np.random.default_rng(4)
    root.mkdir()
    for index in range(n):
        scene = render_scene(rng=rng, size=(320, 240), max_plates=1)
        x1, y1, x2, y2 = scene.plates[0].box
        scene.image.save(root / f"car{index:02d}.jpg")
        text = f"AB{index}C{index}D"
        (root / f"car{index:02d}.txt").write_text(f"car{index:02d}.jpg\t{x1:.0f}\t{y1:.0f}\t{x2 - x1:.0f}\t{y2 - y1:.0f}\t{text}\n")
    return root


def _config(folder: Path, **detector: object) -> FineTuneConfig:
    return FineTuneConfig(data=str(folder), test=2, val=1,
                          detector=DetectorFineTuneConfig(**detector),  # type: ignore[arg-type]
                          reader=ReaderFineTuneConfig(minutes=0.5, real_variants=2, format_crops=8, generic_crops=8,
                                                      max_steps=2, batch=4),
                          skip_detector=not detector, parallel=False)


def test_reader_fine_tune_writes_a_version_the_task_loads(tmp_path: Path) -> None:
    from vision.plate.reader import PACKAGE_WEIGHTS, PlateReader

    if not PACKAGE_WEIGHTS.exists():
        pytest.skip("shipped plate weights are not installed")
    result = fine_tune(_config(_client_folder(tmp_path / "client")), tmp_path / "out")
    names = sorted(p.name for p in result.folder.iterdir())
    assert names == ["card.json", "formats.json", "plate-crnn.pt", "plate-yolov8t.pt"]
    card = json.loads((result.folder / "card.json").read_text())
    assert card["data"]["test"] == ["car05", "car06"] and card["data"]["validation"] == ["car04"]
    assert [f["template"] for f in card["formats"]] == ["LLDLDL"]
    assert card["reader"]["result"]["steps"] == 2 and card["timing"]["cpu_s"] > 0
    task = PlateReader(weights=str(result.folder), device="cpu").load()
    assert [f.template for f in task.recognizer.formats] == ["LLDLDL"]  # type: ignore[union-attr]
    assert PACKAGE_WEIGHTS.exists()  # the shipped version stays


@pytest.mark.slow
def test_detector_fine_tune_on_client_photos_and_scenes(tmp_path: Path) -> None:
    result = fine_tune(_config(_client_folder(tmp_path / "client"), minutes=0.5, scenes=2, repeats=1, epochs=1),
                       tmp_path / "out")
    card = json.loads((result.folder / "card.json").read_text())
    assert card["detector"]["result"]["epochs"] >= 1
    assert (result.folder / "plate-yolov8t.pt").stat().st_size > 100_000

"""The plate task: construction and options (fast); shipped weights on generated and real photos (slow)."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError, InvalidInput
from vision.plate.reader import PlateReader
from vision.plate.spec import SPEC

REAL_PHOTOS = ["AYO9034", "JGZ3298", "NTH0518", "OKL1235", "MTW5608", "OLC7676"]


def test_constructor_stores_only_and_validates_options() -> None:
    task = PlateReader(device="cpu", country="br")
    assert not task.loaded and task.settings.country == "BR"
    with pytest.raises(ConfigError, match="country"):
        PlateReader(country="mars")
    with pytest.raises(ConfigError):
        PlateReader(typo_option=1)


def test_reader_option_selects_a_recognizer() -> None:
    from core.device import Placement
    from vision.plate.crnn import CrnnPlateRecognizer
    from vision.plate.read import EasyOcrPlateRecognizer, FusedRecognizer
    from vision.plate.reader import make_recognizer

    assert PlateReader(reader="easyocr").settings.reader == "easyocr"
    with pytest.raises(ConfigError, match="reader"):
        PlateReader(reader="tesseract")
    cpu = Placement("cpu", "fp32")
    assert isinstance(make_recognizer("crnn", cpu, "BR"), CrnnPlateRecognizer)
    assert isinstance(make_recognizer("easyocr", cpu, "auto"), EasyOcrPlateRecognizer)
    assert isinstance(make_recognizer("both", cpu, "auto"), FusedRecognizer)


@pytest.fixture(scope="module")
def task() -> PlateReader:
    if not SPEC.weights_status().available:
        pytest.skip("plate weights unavailable; run `ais plate train`")
    return PlateReader(device="cpu", threads=1).load()


@pytest.mark.slow
def test_reads_generated_held_out_scenes(task: PlateReader) -> None:
    from vision.plate.datasets import synthetic

    metrics = task.evaluate(synthetic(12, seed=424_242))
    assert metrics.values["recall@iou"] >= 0.6, metrics.details["errors"]
    assert metrics.values["exact_plate_accuracy"] >= 0.15, metrics.details["errors"]


@pytest.mark.slow
def test_reads_real_brazilian_photos(task: PlateReader, shared_data: Path) -> None:
    from vision.plate.datasets import read_openalpr_folder, subset

    folder = shared_data / "plates" / "br"
    if not folder.is_dir():
        pytest.skip("no plates/br in the shared data")
    metrics = task.evaluate(subset(read_openalpr_folder(folder), REAL_PHOTOS))
    assert metrics.values["recall@iou"] >= 0.5, metrics.details["errors"]
    assert metrics.values["exact_plate_accuracy"] >= 0.3, metrics.details["errors"]


@pytest.mark.slow
def test_result_shape_and_bad_input(task: PlateReader) -> None:
    from vision.plate.synth import render_scene

    scene = render_scene(seed=5, size=(480, 360), max_plates=1)
    [result] = task.predict([scene.image])
    assert (result.width, result.height) == (480, 360)
    for plate in result.plates:
        assert len(plate.chars) == len(plate.text)
        assert 0.0 <= plate.confidence <= 1.0
    with pytest.raises(InvalidInput, match="item 1"):
        task.predict([scene.image, b"not an image"])


@pytest.mark.slow
def test_tiny_training_smoke(tmp_path: Path) -> None:
    from vision.plate.train import TrainConfig, train_detector

    result = train_detector(TrainConfig(images=8, val_images=4, epochs=1, imgsz=128, batch=8, max_minutes=1),
                            out=tmp_path / "tiny.pt")
    assert result.weights.exists() and result.weights.with_suffix(".json").exists()
    from vision.plate.synth import sample_inputs

    loaded = PlateReader(weights=result.weights, device="cpu", threads=1).load()
    assert len(loaded.predict(sample_inputs(1))) == 1


def test_weights_status_names_the_shipped_version_or_the_rebuild_command() -> None:
    from vision.plate.weights_status import WEIGHTS, status

    result = status()
    if WEIGHTS.exists():
        assert result.available and "version" in result.source
    else:
        assert not result.available and "ais plate train" in result.message

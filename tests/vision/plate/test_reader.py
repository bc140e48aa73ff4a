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


class _Boxes:
    """Three detections per image: two sure ones and a weak candidate."""

    def detect(self, images: list) -> list:
        from vision.plate.detect import Detection

        return [[Detection(10, 10, 60, 30, 0.9), Detection(100, 10, 150, 30, 0.8), Detection(10, 50, 60, 70, 0.1)]
                for _ in images]


class _Texts:
    """A plate, a shop-sign scrap (reads badly) and a plate the weak box found, per image."""

    def read(self, crops: list) -> list:
        from vision.plate.formats import formats_for
        from vision.plate.read import Reading

        br_old = formats_for("BR")[0]
        per_image = [Reading("ABC1234", 0.9, [0.9] * 7, "ABC1234", br_old), Reading("T5J", 0.1, [0.1] * 3, "T5J", None),
                     Reading("DEF5678", 0.8, [0.8] * 7, "DEF5678", br_old)]
        return (per_image * len(crops))[: len(crops)]


def test_sure_boxes_whose_text_reads_badly_are_not_reported_unless_asked() -> None:
    import numpy as np

    image = np.zeros((80, 160, 3), np.uint8)
    default = PlateReader(device="cpu", detector=_Boxes(), recognizer=_Texts(), views=((0.04, 0.08),)).load()
    assert sorted(p.text for p in default.predict([image])[0].plates) == ["ABC1234", "DEF5678"]
    everything = PlateReader(device="cpu", detector=_Boxes(), recognizer=_Texts(), views=((0.04, 0.08),),
                             min_text_conf=0.0).load()
    assert sorted(p.text for p in everything.predict([image])[0].plates) == ["ABC1234", "DEF5678", "T5J"]


class _CutLastGlyph:
    """Reads the detector's tight crop with its last glyph cut off; the wider crop reads in full."""

    def __init__(self) -> None:
        self.widths: list[int] = []

    def read(self, crops: list) -> list:
        from vision.plate.formats import formats_for
        from vision.plate.read import Reading

        br_old = formats_for("BR")[0]
        self.widths += [c.shape[1] for c in crops]
        return [Reading("ABC1234", 0.95, [0.95] * 7, "ABC1234", br_old) if c.shape[1] > 56
                else Reading("ABC123", 0.97, [0.97] * 6, "ABC123", None) for c in crops]


def test_each_box_is_also_read_wider_and_the_better_reading_kept() -> None:
    import numpy as np

    image = np.zeros((80, 160, 3), np.uint8)
    reader = _CutLastGlyph()
    task = PlateReader(device="cpu", detector=_Boxes(), recognizer=reader, views=((0.04, 0.08), (0.12, 0.10))).load()
    plates = task.predict([image])[0].plates
    assert reader.widths[:2] == [54, 62]  # box 10..60 padded 4 % and 12 % per side
    assert [p.text for p in plates][:1] == ["ABC1234"] and plates[0].box.x1 == 10  # the detector's box is reported
    narrow = PlateReader(device="cpu", detector=_Boxes(), recognizer=_CutLastGlyph(), views=((0.04, 0.08),)).load()
    assert narrow.predict([image])[0].plates[0].text == "ABC123"
    with pytest.raises(ConfigError, match="views"):
        PlateReader(views=((0.1, 2.0),))
    with pytest.raises(ConfigError, match="views"):
        PlateReader(views=())


class _RimReadsAsD:
    """The box grown by 12 % shows the plate's rim beside the first glyph and reads it, confidently, as D;
    the other two views read the O."""

    def __init__(self) -> None:
        self.crops: list[tuple[int, int]] = []

    def read(self, crops: list) -> list:
        from vision.plate.formats import formats_for
        from vision.plate.read import Reading

        br_old = formats_for("BR")[0]
        self.crops += [c.shape[:2] for c in crops]
        return [Reading("DKT3896", 0.97, [0.97] * 7, "DKT3896", br_old) if c.shape[1] == 62
                else Reading("OKT3896", 0.9 - 0.01 * i, [0.9] * 7, "OKT3896", br_old) for i, c in enumerate(crops)]


def test_views_of_a_box_vote_and_two_that_agree_beat_one_more_confident() -> None:
    import numpy as np

    image = np.zeros((80, 160, 3), np.uint8)
    reader = _RimReadsAsD()
    voted = PlateReader(device="cpu", detector=_Boxes(), recognizer=reader).load().predict([image])[0].plates
    assert reader.crops[:3] == [(24, 54), (24, 62), (20, 58)]  # 4 %/8 %, 12 %/10 %, 8 % sideways only
    assert voted[0].text == "OKT3896" and voted[0].confidence == 0.9  # its most confident view
    best = PlateReader(device="cpu", detector=_Boxes(), recognizer=_RimReadsAsD(), view_fusion="best").load()
    assert best.predict([image])[0].plates[0].text == "DKT3896"


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
    # Generated labels know their characters' height: plates within the capture spec are scored apart.
    in_spec = metrics.details["plates_in_spec"]
    assert 0 < in_spec <= metrics.details["plates_with_text"]  # type: ignore[operator]
    assert sum(band["plates"] for band in metrics.details["by_char_height"].values()) == \
        metrics.details["plates_with_text"]  # type: ignore[union-attr]
    for name, (low, high) in metrics.details["intervals_95"].items():  # type: ignore[union-attr]
        assert 0.0 <= low <= metrics.values[name] <= high <= 1.0, name


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
def test_a_real_plate_the_detector_misses_is_found_among_text_rows(task: PlateReader, shared_data: Path) -> None:
    from core.schemas import Box
    from vision.plate.datasets import read_openalpr_folder, subset

    folder = shared_data / "plates" / "br"
    if not folder.is_dir():
        pytest.skip("no plates/br in the shared data")
    [photo] = subset(read_openalpr_folder(folder), ["JIT7463"])  # a white sedan's rear, plate 150 px wide
    truth = Box(x1=photo.plates[0].box[0], y1=photo.plates[0].box[1], x2=photo.plates[0].box[2],
                y2=photo.plates[0].box[3])
    [found] = task.predict([photo.image])
    assert [(p.text, p.box.confidence) for p in found.plates if p.box.iou(truth) >= 0.5] == [("JIT7463", 0.0)]
    [without] = PlateReader(device="cpu", threads=1, text_rows=0).load().predict([photo.image])
    assert not [p for p in without.plates if p.box.iou(truth) >= 0.5]


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
        assert "plate-crnn.pt (version" in result.source and "plate-crnn-b.pt (version" in result.source
    else:
        assert not result.available and "ais plate train" in result.message


def test_one_plate_per_photo_for_gate_cameras_and_the_false_plate_rate() -> None:
    import numpy as np
    from PIL import Image

    from vision.plate.datasets import LabelledPlate, PlateDataset, PlateSample

    image = np.zeros((80, 160, 3), np.uint8)
    truth = PlateDataset("gate", [PlateSample("car", [LabelledPlate((10, 10, 60, 30), "ABC1234")], None, Image.fromarray(image))])
    every = PlateReader(device="cpu", detector=_Boxes(), recognizer=_Texts(), views=((0.04, 0.08),), text_rows=0).load()
    assert len(every.predict([image])[0].plates) == 2
    metrics = every.evaluate(truth)
    assert metrics.values["false_plates_per_photo"] == 1.0 and metrics.values["photos_with_false_plate"] == 1.0
    assert metrics.origin == "labelled" and "exact_plate_accuracy" in metrics.intervals
    gate = PlateReader(device="cpu", detector=_Boxes(), recognizer=_Texts(), views=((0.04, 0.08),), text_rows=0,
                       one_plate=True).load()
    assert [p.text for p in gate.predict([image])[0].plates] == ["ABC1234"]  # the best read of the photo
    assert gate.evaluate(truth).values["false_plates_per_photo"] == 0.0

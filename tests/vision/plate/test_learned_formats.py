"""Formats learned from a client's labels, the fixed client split, and a version folder the task loads."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.errors import DataFormatError
from vision.plate.client_split import split_client
from vision.plate.datasets import PlateDataset, PlateSample
from vision.plate.formats import formats_for
from vision.plate.learned_formats import learn_formats, load_formats, save_formats, template_of


def test_templates_from_labels_frequent_first_rare_ones_left_to_free_decoding() -> None:
    texts = ["AB1C2D", "XY9Z8W", "QQ1Q1Q", "ABC123", "DEF456", "HELLO", "7ABC123", "A"]
    formats = learn_formats(texts)
    assert [f.template for f in formats] == ["LLDLDL", "LLLDDD"]
    assert formats[0].prior == 0.0 and formats[1].prior < 0.0
    assert all(f.country == "CLIENT" for f in formats)
    assert not any(f.matches("HELLO") for f in formats)  # a vanity plate: read by free decoding
    assert template_of("7-abc 123") == "DLLLDDD"


def test_formats_round_trip_and_a_malformed_file(tmp_path: Path) -> None:
    formats = learn_formats(["ABC123", "DEF456"])
    path = save_formats(formats, tmp_path / "formats.json")
    assert load_formats(path) == formats
    path.write_text('{"formats": [{"name": "x", "country": "C", "template": "LLX", "prior": 0}]}')
    with pytest.raises(DataFormatError, match="formats.json"):
        load_formats(path)


def test_split_is_fixed_by_file_name() -> None:
    names = [f"p{i:03d}" for i in range(111)]
    shuffled = PlateDataset("client", [PlateSample(n) for n in reversed(names)])
    train, val, test = split_client(shuffled)
    assert [len(train), len(val), len(test)] == [60, 11, 40]
    assert [s.name for s in test] == names[71:] and [s.name for s in val] == names[60:71]


def test_a_version_folder_brings_its_reader_and_formats(tmp_path: Path) -> None:
    from vision.plate.crnn import WEIGHTS as CRNN
    from vision.plate.reader import PACKAGE_WEIGHTS, PlateReader

    if not PACKAGE_WEIGHTS.exists() or not CRNN.exists():
        pytest.skip("shipped plate weights are not installed")
    shutil.copyfile(PACKAGE_WEIGHTS, tmp_path / "plate-yolov8t.pt")
    shutil.copyfile(CRNN, tmp_path / "plate-crnn.pt")
    save_formats(learn_formats(["AB1C2D", "XY9Z8W"]), tmp_path / "formats.json")
    task = PlateReader(weights=str(tmp_path), device="cpu").load()
    assert [f.template for f in task.recognizer.formats] == ["LLDLDL"]  # type: ignore[union-attr]
    assert [p.name for p in task.recognizer.weights] == ["plate-crnn.pt"]  # type: ignore[union-attr]
    brazil = PlateReader(weights=str(tmp_path), device="cpu", country="BR").load()
    assert [f.name for f in brazil.recognizer.formats] == ["br_old", "br_mercosur"]  # type: ignore[union-attr]
    both = PlateReader(weights=str(tmp_path), device="cpu", country="BR", learned_formats="add").load()
    assert [f.name for f in both.recognizer.formats] == ["client_LLDLDL", "br_old", "br_mercosur"]  # type: ignore[union-attr]
    known = PlateReader(weights=str(tmp_path), device="cpu", learned_formats="off").load()
    assert len(known.recognizer.formats) == len(formats_for("auto"))  # type: ignore[union-attr]

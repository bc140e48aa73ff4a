"""Evaluation datasets and the evaluation summary (no model needed)."""
from __future__ import annotations

import pytest
from PIL import Image

from core.errors import InvalidInput
from vision.ocr.datasets import OcrDataset, degraded_pages, labelled_folder, rendered_pages, rotated_pages
from vision.ocr.evaluate import _summarise, evaluate_reader
from vision.ocr.synth import PageSpec

TINY = PageSpec(dpi=60, height_in=3.0)


def test_rendered_and_rotated_sets_cycle_layouts() -> None:
    rendered = rendered_pages(3, base=TINY)
    assert [s.layout for s in rendered.samples] == ["1 column", "2 columns", "3 columns"]
    assert all(s.words for s in rendered.samples)
    assert [s.rotation for s in rotated_pages(3, base=TINY).samples] == [90, 180, 270]


def test_unknown_degradation_is_invalid() -> None:
    with pytest.raises(InvalidInput):
        degraded_pages("coffee-stain")


def test_labelled_folder(tmp_path) -> None:
    Image.new("RGB", (40, 20), "white").save(tmp_path / "a.png")
    (tmp_path / "a.txt").write_text("hello", encoding="utf-8")
    Image.new("RGB", (40, 20), "white").save(tmp_path / "unlabelled.png")
    dataset = labelled_folder(tmp_path)
    assert [s.name for s in dataset.samples] == ["a.png"] and dataset.samples[0].text == "hello"
    with pytest.raises(InvalidInput):
        labelled_folder(tmp_path / "missing")


def test_summary_per_layout_and_detection() -> None:
    rows = [{"layout": "1 column", "cer": 0.0, "wer": 0.0, "rotation": 0, "orientation": 0, "tp": 9, "n_pred": 10,
             "n_true": 9},
            {"layout": "rotated 90", "cer": 0.02, "wer": 0.1, "rotation": 90, "orientation": 270}]
    metrics = _summarise("x", rows, elapsed=4.0)
    assert metrics.values["cer[rotated 90]"] == 0.02 and metrics.values["orientation_accuracy"] == 0.5
    assert metrics.values["word_precision"] == 0.9 and metrics.values["word_recall"] == 1.0
    assert metrics.values["pages_usable"] == 0.5 and metrics.values["seconds_per_page"] == 2.0


def test_evaluate_rejects_an_empty_dataset() -> None:
    with pytest.raises(InvalidInput):
        evaluate_reader(None, OcrDataset("empty", []))  # type: ignore[arg-type]

"""The plate CRNN: shapes, preprocessing, checkpoints, template decoding of its frames (fast); shipped weights (slow)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from core.errors import InvalidInput, WeightsUnavailable
from vision.plate.crnn import (
    CHARSET,
    DEFAULT_WEIGHTS,
    INPUT_HEIGHT,
    INPUT_WIDTH,
    CrnnConfig,
    CrnnEnsemble,
    CrnnPlateRecognizer,
    PlateCRNN,
    load_checkpoint,
    save_checkpoint,
    to_input,
)
from vision.plate.formats import formats_for
from vision.plate.read import TemplateDecoder


def test_model_maps_a_crop_to_frames_of_class_logits() -> None:
    model = PlateCRNN()
    out = model(torch.zeros(3, 1, INPUT_HEIGHT, INPUT_WIDTH))
    assert out.shape == (3, INPUT_WIDTH // 4, len(CHARSET)) and CHARSET[0] == "[blank]" and len(CHARSET) == 37
    assert sum(p.numel() for p in model.parameters()) < 1_000_000  # ships as a few-MB file


def test_to_input_resizes_and_standardises_any_crop() -> None:
    crops = [np.full((20, 70, 3), 90, np.uint8), np.random.default_rng(0).integers(0, 255, (90, 300), np.uint8)]
    batch = to_input(crops)
    assert batch.shape == (2, 1, INPUT_HEIGHT, INPUT_WIDTH) and batch.dtype == np.float32
    assert abs(float(batch[1].mean())) < 1e-3 and np.allclose(batch[0], 0.0)
    with pytest.raises(InvalidInput, match="crop 0"):
        to_input([np.zeros((1, 5, 3), np.uint8)])


def test_checkpoint_round_trip_and_missing_weights(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = PlateCRNN().eval()
    save_checkpoint(model, tmp_path / "m.pt")
    loaded = load_checkpoint(tmp_path / "m.pt")
    x = torch.randn(2, 1, INPUT_HEIGHT, INPUT_WIDTH)
    with torch.inference_mode():
        assert torch.allclose(model(x), loaded(x), atol=0.05)  # stored in fp16
    with pytest.raises(WeightsUnavailable, match="train-reader"):
        load_checkpoint(tmp_path / "absent.pt")


def _frames(text: str, confusions: dict[int, tuple[str, float]] | None = None) -> np.ndarray:
    """Two frames per character (character, blank); ``confusions[k] = (other, p)`` splits slot k."""
    probs = np.full((2 * len(text) + 2, len(CHARSET)), 1e-4)
    probs[0, 0] = probs[-1, 0] = 1.0
    for k, char in enumerate(text):
        probs[1 + 2 * k, CHARSET.index(char)] = 1.0
        if confusions and k in confusions:
            other, p = confusions[k]
            probs[1 + 2 * k, CHARSET.index(char)] = 1 - p
            probs[1 + 2 * k, CHARSET.index(other)] = p
        probs[2 + 2 * k, 0] = 1.0
    return probs / probs.sum(axis=1, keepdims=True)


def test_template_decoding_of_crnn_frames_repairs_only_where_a_format_fits() -> None:
    decoder = TemplateDecoder(CHARSET, formats_for("BR"))
    # The frames prefer "0" at a letter slot and "B" at a digit slot of an old Brazilian plate.
    reading = decoder.decode(_frames("ABO1234", {2: ("0", 0.6), 5: ("B", 0.55)}))
    assert reading.text == "ABO1234" and reading.format is not None and reading.format.name == "br_old"
    assert reading.raw == "AB012B4" and len(reading.char_confidences) == 7
    assert reading.char_confidences[2] == pytest.approx(0.4, abs=0.01)
    free = decoder.decode(_frames("XY12"))  # fits no Brazilian format: free text, no format, no repair
    assert free.text == "XY12" and free.format is None


def test_recognizer_reads_a_batch_with_per_character_confidences(tmp_path: Path) -> None:
    torch.manual_seed(1)
    save_checkpoint(PlateCRNN(), tmp_path / "random.pt")
    recognizer = CrnnPlateRecognizer(tmp_path / "random.pt", country="BR").load()
    crops = [np.random.default_rng(i).integers(0, 255, (30 + 10 * i, 100, 3), np.uint8) for i in range(3)]
    readings = recognizer.read(crops)
    assert len(readings) == 3 and recognizer.read([]) == []
    for reading in readings:
        assert len(reading.char_confidences) == len(reading.text)
        assert 0.0 <= reading.confidence <= 1.0


def test_an_ensemble_averages_its_members_log_probabilities_frame_by_frame(tmp_path: Path) -> None:
    torch.manual_seed(2)
    a, b = PlateCRNN().eval(), PlateCRNN().eval()
    x = torch.randn(3, 1, INPUT_HEIGHT, INPUT_WIDTH)
    with torch.inference_mode():
        expected = (torch.log_softmax(a(x), 2) + torch.log_softmax(b(x), 2)) / 2
        assert torch.allclose(CrnnEnsemble([a, b]).eval()(x), expected, atol=1e-6)
        assert torch.allclose(CrnnEnsemble([a]).eval()(x), torch.log_softmax(a(x), 2), atol=1e-6)
    save_checkpoint(a, tmp_path / "a.pt")
    save_checkpoint(b, tmp_path / "b.pt")
    crops = [np.random.default_rng(i).integers(0, 255, (30, 110, 3), np.uint8) for i in range(3)]
    pair = CrnnPlateRecognizer([tmp_path / "a.pt", tmp_path / "b.pt"]).probabilities(crops)
    alone = [CrnnPlateRecognizer(tmp_path / name).probabilities(crops) for name in ("a.pt", "b.pt")]
    geometric = np.sqrt(alone[0] * alone[1])
    assert np.allclose(pair, geometric / geometric.sum(axis=2, keepdims=True), atol=1e-4)
    assert np.allclose(pair.sum(axis=2), 1.0, atol=1e-5)
    assert CrnnPlateRecognizer().weights == DEFAULT_WEIGHTS and len(DEFAULT_WEIGHTS) == 2


def test_an_ensemble_refuses_members_of_other_input_sizes() -> None:
    with pytest.raises(WeightsUnavailable, match="one input size"):
        CrnnEnsemble([PlateCRNN(), PlateCRNN(CrnnConfig(width=96))])
    with pytest.raises(InvalidInput):
        CrnnPlateRecognizer([])


@pytest.mark.slow
def test_shipped_crnn_reads_generated_held_out_crops() -> None:
    from vision.plate.datasets import synthetic
    from vision.plate.evaluate import ground_truth_crops, reader_accuracy

    if not all(path.exists() for path in DEFAULT_WEIGHTS):
        pytest.skip("no shipped CRNNs; run `ais plate train-reader`")
    torch.set_num_threads(1)
    crops, texts = ground_truth_crops(synthetic(30, seed=424_242))
    numbers = reader_accuracy(CrnnPlateRecognizer(), crops, texts)
    assert numbers["exact"] >= 0.5, numbers  # ~70 % on the 200-scene held-out set


def test_a_per_crop_prior_settles_an_old_plate_against_mercosur() -> None:
    decoder = TemplateDecoder(CHARSET, formats_for("BR"))
    # Fifth glyph: "B" a little more likely than "8" — Mercosur, unless the crop shows no blue band.
    frames = _frames("ABC1B34", {4: ("8", 0.45)})
    assert decoder.decode(frames).format.name == "br_mercosur"  # type: ignore[union-attr]
    old = decoder.decode(frames, {"br_mercosur": -2.0})
    assert old.text == "ABC1834" and old.format is not None and old.format.name == "br_old"

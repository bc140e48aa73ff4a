"""Reader training: CTC targets, greedy decoding, generated crops, and a few real training steps on tiny data."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.errors import InvalidInput
from vision.plate.crnn import CHARSET, load_checkpoint
from vision.plate.formats import match_format
from vision.plate.reader_crops import training_batch, training_crop
from vision.plate.train_reader import ReaderTrainConfig, encode, greedy_texts, train_reader


def test_encode_concatenates_targets_with_lengths() -> None:
    targets, lengths = encode(["AB1", "", "Z"])
    assert lengths.tolist() == [3, 0, 1]
    assert [CHARSET[i] for i in targets] == ["A", "B", "1", "Z"]


def test_greedy_texts_collapse_repeats_between_blanks() -> None:
    logits = np.full((1, 6, len(CHARSET)), -5.0)
    for t, char in enumerate(["A", "A", "[blank]", "A", "7", "[blank]"]):
        logits[0, t, CHARSET.index(char)] = 5.0
    assert greedy_texts(logits) == ["AA7"]


def test_training_crops_are_reproducible_plates_of_known_formats() -> None:
    crops, texts = training_batch((3, 0), 12)
    again, texts_again = training_batch((3, 0), 12)
    assert texts == texts_again and all(np.array_equal(a, b) for a, b in zip(crops, again))
    for crop, text in zip(crops, texts):
        assert crop.ndim == 3 and crop.dtype == np.uint8 and min(crop.shape[:2]) >= 4
        assert text == "" or match_format(text) is not None
    assert training_crop(np.random.default_rng(1))[0].shape[2] == 3


def test_a_run_can_train_on_narrower_plate_widths() -> None:
    # Negatives (5 %) have their own sizes; a plate is cut with up to 28 % slack beyond its width.
    wide = [c.shape[1] for c, t in zip(*training_batch((4, 0), 40)) if t]
    small = [c.shape[1] for c, t in zip(*training_batch((4, 0), 40, widths=(24.0, 60.0))) if t]
    assert max(small) <= 60 * 1.4 < max(wide)
    with pytest.raises(InvalidInput):
        ReaderTrainConfig(widths=(60.0, 24.0)).validate()


def test_a_few_training_steps_write_a_loadable_checkpoint_and_card(tmp_path: Path) -> None:
    config = ReaderTrainConfig(minutes=1, batch=4, val_crops=4, buffer=8, workers=0, max_steps=3)
    result = train_reader(config, out=tmp_path / "tiny.pt")
    assert result.steps == 3 and result.weights.exists()
    card = json.loads(result.weights.with_suffix(".json").read_text())
    assert card["config"]["max_steps"] == 3 and "never trained on" in card["data"]["validation"]
    assert load_checkpoint(result.weights).config.width == 128


def test_bad_training_config_is_rejected() -> None:
    with pytest.raises(InvalidInput):
        ReaderTrainConfig(minutes=0).validate()
    with pytest.raises(InvalidInput):
        ReaderTrainConfig(batch=8, buffer=4).validate()

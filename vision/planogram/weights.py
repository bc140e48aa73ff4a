"""Where the planogram task's shipped artefacts live, and whether they are present (without loading them)."""
from __future__ import annotations

from pathlib import Path

from core.registry import WeightsStatus

ASSETS = Path(__file__).resolve().parent / "assets"
DETECTOR_FILE = "detector.pt"
CATALOGUE_FILE = "catalogue.npz"
CARD_FILE = "detector.json"  # how the shipped detector was built, and its validation metrics


def status() -> WeightsStatus:
    """Both the detector and the default catalogue must exist; ``ais planogram train`` builds them."""
    missing = [name for name in (DETECTOR_FILE, CATALOGUE_FILE) if not (ASSETS / name).is_file()]
    if missing:
        return WeightsStatus(False, str(ASSETS), f"missing {', '.join(missing)}; run `ais planogram train`")
    size = (ASSETS / DETECTOR_FILE).stat().st_size / 1e6
    return WeightsStatus(True, str(ASSETS), f"YOLOv8n product detector ({size:.1f} MB) + synthetic catalogue")

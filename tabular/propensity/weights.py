"""Whether the bundled default model is present (checked without loading it)."""

from __future__ import annotations

from core.registry import WeightsStatus


def status() -> WeightsStatus:
    from tabular.propensity.model import DEFAULT_MODEL_DIR

    path = DEFAULT_MODEL_DIR / "model.joblib"
    if path.exists():
        return WeightsStatus(True, str(path))
    return WeightsStatus(False, "-", "no bundled model; build it with `ais propensity build-default`")

"""Turning a positive-class probability into a label with a configurable neutral band.

>>> label_for(0.55, neutral_band=0.1)
'neutral'
>>> label_for(0.9, neutral_band=0.1)
'positive'
"""
from __future__ import annotations

from core.errors import ConfigError


def check_band(neutral_band: float) -> float:
    if not 0.0 <= neutral_band < 0.5:
        raise ConfigError(f"neutral_band must be in [0, 0.5), got {neutral_band}")
    return float(neutral_band)


def label_for(p_positive: float, neutral_band: float = 0.0) -> str:
    """``neutral`` when ``|p - 0.5| < neutral_band``, else the more probable class (ties go positive)."""
    if abs(p_positive - 0.5) < neutral_band:
        return "neutral"
    return "positive" if p_positive >= 0.5 else "negative"

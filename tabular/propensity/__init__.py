"""Bancassurance propensity: lead scoring, premium suggestion and segments, with the monthly job (lazy exports)."""

from __future__ import annotations

from typing import Any

__all__ = ["CustomerRecord", "Lead", "PropensityModel", "RunOptions"]


def __getattr__(name: str) -> Any:
    if name == "PropensityModel":
        from tabular.propensity.model import PropensityModel

        return PropensityModel
    if name in ("CustomerRecord", "Lead", "RunOptions"):
        from tabular.propensity import schemas

        return getattr(schemas, name)
    raise AttributeError(name)

"""Planogram analytics: product detection, SKU recognition, shelf rows and planogram compliance.

The task class is imported lazily so ``import vision.planogram`` stays light::

    from vision.planogram import PlanogramChecker
    checker = PlanogramChecker(device="cpu").load()
    report = checker.check("shelf.jpg", "planogram.yaml")
"""
from __future__ import annotations

from typing import Any

from vision.planogram.schemas import (
    BrandShare,
    ComplianceReport,
    Facing,
    FacingCount,
    PlanogramSpec,
    PositionResult,
    Product,
    ShelfDetections,
    ShelfSpec,
)

__all__ = [
    "BrandShare",
    "ComplianceReport",
    "Facing",
    "FacingCount",
    "PlanogramChecker",
    "PlanogramSpec",
    "PositionResult",
    "Product",
    "ShelfDetections",
    "ShelfSpec",
]


def __getattr__(name: str) -> Any:
    if name == "PlanogramChecker":
        from vision.planogram.checker import PlanogramChecker

        return PlanogramChecker
    raise AttributeError(f"module 'vision.planogram' has no attribute {name!r}")

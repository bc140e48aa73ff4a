"""Licence-plate recognition: a YOLO plate detector and a format-aware reader (``PlateReader``, task ``plate``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vision.plate.schemas import CharConfidence, Plate, PlateOptions, PlateResult

if TYPE_CHECKING:
    from vision.plate.reader import PlateReader

__all__ = ["CharConfidence", "Plate", "PlateOptions", "PlateReader", "PlateResult"]


def __getattr__(name: str) -> Any:
    # The task class imports numpy and the core task machinery; load it only when asked.
    if name == "PlateReader":
        from vision.plate.reader import PlateReader

        return PlateReader
    raise AttributeError(name)

"""Options of the planogram task (deployment ``tasks.planogram.options``): a typo is an error that names it."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from vision.planogram.rescue import RescueConfig


class PlanogramOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    catalogue: str | None = Field(None, description="a catalogue file (.npz) instead of the bundled one")
    conf: float = Field(0.2, ge=0.0, le=1.0, description="detector confidence to count a product")
    imgsz: int = Field(416, ge=32, le=4096, description="detector input size")
    rescue: RescueConfig | None = Field(None, description="the planogram-guided second look (see rescue.py)")

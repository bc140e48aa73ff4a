"""Options of the propensity task: it takes none (the model file decides everything); a typo is an error."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PropensityOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

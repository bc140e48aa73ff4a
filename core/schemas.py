"""Small value objects shared by every task: boxes, limits and metrics (JSON-ready pydantic models)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Box(BaseModel):
    """An axis-aligned box in pixel ``xyxy`` coordinates with a confidence in [0, 1]."""

    model_config = ConfigDict(frozen=True)

    x1: float
    y1: float
    x2: float
    y2: float
    confidence: float = Field(1.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> Box:
        if self.x2 < self.x1 or self.y2 < self.y1:
            raise ValueError("box must satisfy x1 <= x2 and y1 <= y2")
        return self

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def area(self) -> float:
        return self.width * self.height

    def intersection(self, other: Box) -> float:
        """Area shared with another box (0 when disjoint)."""
        ix = max(0.0, min(self.x2, other.x2) - max(self.x1, other.x1))
        iy = max(0.0, min(self.y2, other.y2) - max(self.y1, other.y1))
        return ix * iy

    def iou(self, other: Box) -> float:
        """Intersection over union with another box (0 when disjoint)."""
        inter = self.intersection(other)
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def containment(self, other: Box) -> float:
        """Share of the smaller of the two boxes that lies inside the other (1 when one nests in the other)."""
        smaller = min(self.area, other.area)
        return self.intersection(other) / smaller if smaller > 0 else 0.0


class ImageLimits(BaseModel):
    """Limits applied while decoding an image, before any pixel is allocated."""

    max_bytes: int = Field(25 * 1024 * 1024, gt=0)
    max_pixels: int = Field(50_000_000, gt=0)
    max_pages: int = Field(50, gt=0)


class TextLimits(BaseModel):
    """Limits applied to one text input."""

    max_chars: int = Field(20_000, gt=0)


class Metrics(BaseModel):
    """What ``evaluate`` returns: named scalar metrics plus optional structured details."""

    task: str
    dataset: str
    n_samples: int
    values: dict[str, float]
    details: dict[str, object] = Field(default_factory=dict)

    def table(self) -> str:
        """Markdown table of the scalar values, for CLI output and reports."""
        rows = [f"| {k} | {v:.4f} |" for k, v in self.values.items()]
        return "\n".join([f"**{self.task}** on {self.dataset} (n={self.n_samples})", "", "| metric | value |",
                          "|---|---|", *rows])

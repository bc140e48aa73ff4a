"""Pydantic models at the planogram task's boundary: the planogram spec, detections and the compliance report."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.schemas import Box

UNKNOWN = "unknown"
Status = Literal["correct", "misplaced", "missing", "unexpected"]
STATUSES: tuple[Status, ...] = ("correct", "misplaced", "missing", "unexpected")


class Facing(BaseModel):
    """One block of a shelf: a SKU id and how many facings (side-by-side packs) it should have."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=128)
    facings: int = Field(1, ge=1, le=100)

    @field_validator("sku")
    @classmethod
    def _clean(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("sku id is empty")
        if value == UNKNOWN:
            raise ValueError(f"'{UNKNOWN}' is reserved for products not in the catalogue")
        return value


class ShelfSpec(BaseModel):
    """One shelf, left to right. A plain list of facings is accepted as shorthand."""

    model_config = ConfigDict(extra="forbid")

    products: list[Facing] = Field(min_length=1, max_length=500)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"products": data} if isinstance(data, list) else data

    def sequence(self) -> list[str]:
        """The expected facing sequence, e.g. ``[A, A, B]`` for A x2 then B x1."""
        return [f.sku for f in self.products for _ in range(f.facings)]


class PlanogramSpec(BaseModel):
    """The planogram of one fixture (bay): its shelves from top to bottom."""

    model_config = ConfigDict(extra="forbid")

    fixture_id: str = Field("fixture", min_length=1, max_length=128)
    shelves: list[ShelfSpec] = Field(min_length=1, max_length=50)

    def skus(self) -> set[str]:
        return {f.sku for shelf in self.shelves for f in shelf.products}

    @property
    def n_positions(self) -> int:
        return sum(len(shelf.sequence()) for shelf in self.shelves)


class SkuCandidate(BaseModel):
    """One of the closest catalogue SKUs to a product crop (cosine similarity of descriptors)."""

    sku: str
    similarity: float


class Product(BaseModel):
    """One detected product: its box, the recognised SKU (or ``unknown``) and where it stands."""

    box: Box
    sku: str
    sku_confidence: float = Field(ge=0.0, le=1.0)
    candidates: list[SkuCandidate] = Field(default_factory=list, description="closest SKUs, best first")
    brand: str | None = None
    shelf: int = Field(ge=0, description="shelf row index, 0 = top")
    position: int = Field(ge=0, description="left-to-right index within the shelf row")


class ShelfDetections(BaseModel):
    """``predict`` output for one image: products grouped into shelf rows."""

    width: int
    height: int
    n_shelves: int
    products: list[Product]

    def shelf_sequences(self) -> list[list[Product]]:
        rows: list[list[Product]] = [[] for _ in range(self.n_shelves)]
        for product in self.products:
            rows[product.shelf].append(product)
        return [sorted(row, key=lambda p: p.position) for row in rows]


class PositionResult(BaseModel):
    """The verdict for one expected position (or one observed extra product, ``position`` None)."""

    shelf: int
    position: int | None = Field(description="index in the shelf's expected facing sequence; None for an extra")
    expected_sku: str | None
    observed_sku: str | None
    status: Status
    box: Box | None = None
    sku_confidence: float | None = None
    note: str = ""


class FacingCount(BaseModel):
    """Facings of one SKU on one shelf: what the planogram asks for and what was found."""

    shelf: int
    sku: str
    expected: int
    found: int


class BrandShare(BaseModel):
    """Share of shelf of one brand, by facings and by occupied shelf width."""

    brand: str
    facings: int
    share_facings: float
    share_width: float


class ComplianceReport(BaseModel):
    """The machine-readable compliance result for one shelf image against one planogram."""

    fixture_id: str
    compliance_pct: float = Field(description="correct positions / expected positions x 100")
    n_expected: int
    counts: dict[str, int]
    positions: list[PositionResult]
    facings: list[FacingCount]
    share_of_shelf: list[BrandShare]
    shelves_expected: int
    shelves_detected: int
    warnings: list[str] = Field(default_factory=list)

    def faults(self) -> list[PositionResult]:
        return [p for p in self.positions if p.status != "correct"]

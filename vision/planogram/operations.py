"""The planogram task's operations beside ``predict``: check a shelf photo, and the tenant's stored planograms."""
from __future__ import annotations

import base64
from typing import Annotated, Any

from pydantic import BaseModel, Field, model_validator

from core.operations import Empty, File, OperationContext, OperationRequest
from vision.planogram.schemas import ComplianceReport, PlanogramSpec

FixtureId = Annotated[str, Field(min_length=1, max_length=128)]


class CheckRequest(OperationRequest):
    """One shelf ``image`` and either an inline ``planogram`` (YAML or JSON text) or a stored ``fixture_id``."""

    image: Annotated[bytes, File()]
    planogram: str | None = Field(None, max_length=1_000_000, description="the planogram as YAML or JSON text")
    fixture_id: FixtureId | None = None
    annotate: bool = Field(False, description="also return a PNG of the shelf with boxes coloured by status")

    @model_validator(mode="after")
    def _one_planogram(self) -> CheckRequest:
        if (self.planogram is None) == (self.fixture_id is None):
            raise ValueError("send either 'planogram' (YAML/JSON) or 'fixture_id', not both and not neither")
        return self


class CheckResult(ComplianceReport):
    annotated_png: str | None = Field(None, description="base64 PNG, when annotate=true")


class PlanogramSaved(BaseModel):
    fixture_id: str


class PlanogramList(BaseModel):
    fixture_ids: list[str]


def _store(context: OperationContext) -> Any:
    from vision.planogram.store import planogram_store

    return planogram_store(context)


def check(checker: Any, request: CheckRequest, context: OperationContext) -> CheckResult:
    spec = request.planogram if request.planogram is not None else _store(context).get(request.fixture_id)
    report = checker.check(request.image, spec)
    png = base64.b64encode(checker.annotate(request.image, report)).decode("ascii") if request.annotate else None
    return CheckResult(**report.model_dump(), annotated_png=png)


def put_planogram(checker: Any, request: PlanogramSpec, context: OperationContext) -> PlanogramSaved:
    saved = _store(context).put(request)
    return PlanogramSaved(fixture_id=saved.fixture_id)


def list_planograms(checker: Any, request: Empty, context: OperationContext) -> PlanogramList:
    return PlanogramList(fixture_ids=_store(context).ids())

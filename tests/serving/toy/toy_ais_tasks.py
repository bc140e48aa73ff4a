"""Two tiny tasks for testing the serving layer without real weights (installed as a test plugin).

Their "weights" are small text files; the output carries the file's content as ``model`` so a test
can tell which version answered, as it would with real models.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from core.device import Placement
from core.errors import ModelNotFound
from core.images import load_image
from core.operations import Operation, OperationContext, OperationRequest
from core.registry import TaskSpec, WeightsStatus
from core.schemas import Metrics
from core.task import BaseTask
from core.text import validate_text


class ToyImageResult(BaseModel):
    width: int
    height: int
    label: str


class ToyTextResult(BaseModel):
    length: int
    label: str


class _Versioned(BaseTask):
    def resolve_weights_path(self) -> Path | None:
        return None if self.weights.kind == "default" else super().resolve_weights_path()

    def _load(self, weights_path: Path | None, placement: Placement) -> None:
        self.label = weights_path.read_text().strip() if weights_path else "default"

    def evaluate(self, dataset: object) -> Metrics:
        return Metrics(task=self.name, dataset="none", n_samples=0, values={})


class ToyImage(_Versioned):
    name = "toyimage"

    def _predict(self, batch: Sequence[object]) -> list[ToyImageResult]:
        images = [load_image(item) for item in batch]
        return [ToyImageResult(width=i.width, height=i.height, label=self.label) for i in images]


class ToyText(_Versioned):
    name = "toytext"

    def _predict(self, batch: Sequence[str]) -> list[ToyTextResult]:
        return [ToyTextResult(length=len(validate_text(t)), label=self.label) for t in batch]


def ok() -> WeightsStatus:
    return WeightsStatus(True, "none needed")


class LookupRequest(OperationRequest):
    name: str


class LookupResult(BaseModel):
    name: str
    label: str
    tenant: str


def lookup(task: ToyText, request: LookupRequest, context: OperationContext) -> LookupResult:
    """A toy operation: ``missing`` raises the error a real task raises for an unknown model."""
    if request.name == "missing":
        raise ModelNotFound(f"no model named {request.name!r}")
    return LookupResult(name=request.name, label=task.label, tenant=context.tenant)


def samples(n: int) -> list[str]:
    return ["hello"] * n


IMAGE_SPEC = TaskSpec(name="toyimage", summary="toy image task", task="toy_ais_tasks:ToyImage", extra="dev",
                      weights="toy_ais_tasks:ok", samples="toy_ais_tasks:samples", input_kind="image")
TEXT_SPEC = TaskSpec(name="toytext", summary="toy text task", task="toy_ais_tasks:ToyText", extra="dev",
                     weights="toy_ais_tasks:ok", samples="toy_ais_tasks:samples", input_kind="text",
                     result="toy_ais_tasks:ToyTextResult",
                     operations=(Operation("lookup", "POST", "/toytext/lookup", "toy_ais_tasks:lookup",
                                           "toy_ais_tasks:LookupRequest", "toy_ais_tasks:LookupResult",
                                           "a toy operation"),))

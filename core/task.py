"""The one contract every model package implements (like a transformers pipeline or an sklearn estimator).

A task is constructed cheaply (parameters stored only), ``load()`` reads weights and moves them to
the device, ``predict()`` takes a batch and returns one typed, JSON-ready result per item, and
``evaluate()`` returns the task's ML and business metrics on a dataset.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar, runtime_checkable

from pydantic import BaseModel

from core.device import Placement, resolve_placement
from core.errors import InvalidInput, ModelLoading, PayloadTooLarge
from core.offline import enforce_offline
from core.schemas import Metrics
from core.weights import WeightsRef, resolve_weights

In = TypeVar("In")
Out = TypeVar("Out", bound=BaseModel)

log = logging.getLogger(__name__)


@runtime_checkable
class Task(Protocol[In, Out]):
    """Structural type of a task; ``BaseTask`` is a convenient (optional) implementation."""

    name: ClassVar[str]

    def load(self) -> Self: ...

    def predict(self, batch: Sequence[In]) -> list[Out]: ...

    def evaluate(self, dataset: Any) -> Metrics: ...


class BaseTask(Generic[In, Out]):
    """Stores parameters, resolves weights and device once in ``load()``, validates batches.

    Subclasses set ``name``, ``default_weights`` and implement ``_load(weights_path)``,
    ``_predict(batch)`` and ``evaluate(dataset)``.
    """

    name: ClassVar[str] = "task"
    default_weights: ClassVar[str] = "default"
    max_batch_items: ClassVar[int] = 1024

    def __init__(self, weights: str | Path | WeightsRef | None = None, device: str = "auto",
                 precision: str = "auto", **options: Any) -> None:
        self.weights = WeightsRef.parse(weights)
        self.device = device
        self.precision = precision
        self.options = options
        self.placement: Placement | None = None
        self.weights_path: Path | None = None

    @property
    def loaded(self) -> bool:
        return self.placement is not None

    @property
    def version(self) -> str:
        """What answered: the weights reference as configured (a model-store tag when served)."""
        return str(self.weights) if self.weights.kind != "default" else f"{self.name}:default"

    def resolve_weights_path(self) -> Path | None:
        """Tasks whose default needs no file (e.g. trained on first use) may override this."""
        return resolve_weights(self.weights, self.default_weights)

    def load(self) -> Self:
        if self.loaded:
            return self
        enforce_offline()
        placement = resolve_placement(self.device, self.precision)
        self.weights_path = self.resolve_weights_path()
        log.info("loading %s from %s on %s/%s", self.name, self.weights_path, placement.device, placement.precision)
        self._load(self.weights_path, placement)
        self.placement = placement
        return self

    def predict(self, batch: Sequence[In]) -> list[Out]:
        if not self.loaded:
            raise ModelLoading(f"task {self.name!r} is not loaded; call .load() first")
        if isinstance(batch, (str, bytes)) or not isinstance(batch, Sequence):
            raise InvalidInput(f"predict expects a list of inputs, got {type(batch).__name__}")
        if len(batch) > self.max_batch_items:
            raise PayloadTooLarge(f"batch has {len(batch)} items; the limit is {self.max_batch_items}")
        if len(batch) == 0:
            return []
        return self._predict(batch)

    # -- to implement -------------------------------------------------------------------------
    def _load(self, weights_path: Path | None, placement: Placement) -> None:
        raise NotImplementedError

    def _predict(self, batch: Sequence[In]) -> list[Out]:
        raise NotImplementedError

    def evaluate(self, dataset: Any) -> Metrics:
        raise NotImplementedError

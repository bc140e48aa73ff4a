"""TorchServe handler for any ai-services task (packed into the .mar by ``ais export torchserve``).

The archive carries the weights and a manifest; the task code comes from the installed project, so
TorchServe answers exactly what the in-process task answers.
"""
from __future__ import annotations

import json
import logging
import os
from typing import Any

log = logging.getLogger(__name__)


class AisHandler:
    def __init__(self) -> None:
        self.task: Any = None
        self.kind = "text"

    def initialize(self, context: Any) -> None:
        from core.device import cuda_available
        from core.registry import create_task

        props = context.system_properties
        model_dir = props["model_dir"]
        with open(os.path.join(model_dir, "ais_manifest.json"), encoding="utf-8") as handle:
            manifest = json.load(handle)
        gpu = props.get("gpu_id")
        device = f"cuda:{gpu}" if gpu is not None and cuda_available() else "cpu"
        weights = os.path.join(model_dir, manifest["weights"]) if manifest.get("weights") else None
        self.kind = manifest["input_kind"]
        self.task = create_task(manifest["task"], weights=weights, device=device).load()
        log.info("ai-services task %s loaded on %s", manifest["task"], device)

    def _item(self, row: dict[str, Any]) -> Any:
        value = row.get("data") if row.get("data") is not None else row.get("body")
        if self.kind == "image":
            return bytes(value) if isinstance(value, (bytes, bytearray)) else value
        if isinstance(value, (bytes, bytearray)):
            value = value.decode("utf-8", errors="strict")
        if isinstance(value, str) and self.kind == "record":
            value = json.loads(value)
        if isinstance(value, dict):
            value = value.get("text", value) if self.kind == "text" else value.get("record", value)
        return value

    def handle(self, data: list[dict[str, Any]], context: Any) -> list[Any]:
        from core.errors import AisError

        out: list[Any] = []
        for index, row in enumerate(data):  # one by one: a bad request must not fail its batch-mates
            try:
                result = self.task.predict([self._item(row)])[0]
                out.append(result.model_dump(mode="json"))
            except (AisError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                context.set_response_status(400, str(exc), index)
                out.append({"error": type(exc).__name__, "detail": str(exc)})
        return out


_service = AisHandler()


def handle(data: list[dict[str, Any]] | None, context: Any) -> list[Any] | None:
    if _service.task is None:
        _service.initialize(context)
    if data is None:
        return None
    return _service.handle(data, context)

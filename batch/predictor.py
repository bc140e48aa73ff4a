"""The Ray Data callable class: one loaded task per actor, a batch of inputs in, one result row per input out.

It holds the same task object serving holds (``core.registry.create_task(...).load()``), so batch and
serving share every step of pre- and post-processing. A bad input fails alone: when the batched
``predict`` raises, the batch is rerun one input at a time and each failure becomes an ``error`` row.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pyarrow as pa

from core.errors import AisError, InvalidInput
from core.registry import create_task

log = logging.getLogger(__name__)

RESULT_SCHEMA = pa.schema([("id", pa.string()), ("result", pa.string()), ("error", pa.string()),
                           ("error_type", pa.string())])


def _payload(row: dict[str, Any]) -> Any:
    """The ``predict`` input of one row: what the HTTP API would receive for it (text, image bytes, record)."""
    if row.get("text") is not None:
        return row["text"]
    if row.get("image") is not None:
        return bytes(row["image"])
    if row.get("path") is not None:
        try:
            return Path(row["path"]).read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read {row['path']}: {exc.strerror or exc}") from exc
    if row.get("record") is not None:
        return json.loads(row["record"])
    raise InvalidInput("row has no payload")


def _error(exc: BaseException) -> tuple[str, str]:
    # a one-input rerun names its only input "item 0", which means nothing in a job's output
    message = str(exc).removeprefix("item 0: ") or type(exc).__name__
    return message, type(exc).__name__


class TaskPredictor:
    """``ds.map_batches(TaskPredictor, fn_constructor_kwargs={"task": "ocr"}, batch_format="pyarrow")``."""

    def __init__(self, task: str, device: str = "auto", weights: str | None = None,
                 options: dict[str, Any] | None = None) -> None:
        self.task = create_task(task, device=device, weights=weights, **(options or {})).load()

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = batch.to_pylist()
        outputs: list[Any] = [None] * len(rows)
        payloads: dict[int, Any] = {}
        for index, row in enumerate(rows):
            try:
                payloads[index] = _payload(row)
            except Exception as exc:  # noqa: BLE001 - an unreadable input is that input's error, not the job's
                outputs[index] = exc
        for index, output in zip(payloads, self._predict(list(payloads.values())), strict=True):
            outputs[index] = output
        results, errors, kinds = [], [], []
        for output in outputs:
            if isinstance(output, BaseException):
                message, kind = _error(output)
                results.append(None)
                errors.append(message)
                kinds.append(kind)
            else:
                results.append(json.dumps(output.model_dump(mode="json"), ensure_ascii=False))
                errors.append(None)
                kinds.append(None)
        return pa.table({"id": [row["id"] for row in rows], "result": results, "error": errors,
                         "error_type": kinds}, schema=RESULT_SCHEMA)

    def _predict(self, payloads: list[Any]) -> list[Any]:
        if not payloads:
            return []
        try:
            return list(self.task.predict(payloads))
        except Exception as exc:
            if not isinstance(exc, AisError):
                log.exception("%s failed on a batch of %d", self.task.name, len(payloads))
            if len(payloads) == 1:
                return [exc]
            return [self._single(payload) for payload in payloads]  # isolate the bad input(s)

    def _single(self, payload: Any) -> Any:
        try:
            return self.task.predict([payload])[0]
        except Exception as exc:
            if not isinstance(exc, AisError):
                log.exception("%s failed on one input", self.task.name)
            return exc

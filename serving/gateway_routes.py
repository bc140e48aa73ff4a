"""The generic routes every task has: parse inputs by the task's input kind, batched predict."""
from __future__ import annotations

from typing import Any

from starlette.requests import Request

from core.registry import get_spec
from serving.calls import Call, Work, raise_error
from serving.payloads import READERS


def predict_route(many: bool) -> Work:
    """The generic route of every task: parse inputs by the task's input kind, batched predict."""

    async def work(request: Request, call: Call) -> dict[str, Any]:
        payloads = await READERS[get_spec(call.task).input_kind](request, call.config.limits, many=many)
        results = await call.predict(payloads)
        failed = [r.error for r in results if r.error is not None]
        if failed and (not many or len(failed) == len(results)):
            raise_error(failed[0])
        if many:
            return {"results": [r.result if r.error is None else {"error": r.error.model_dump()} for r in results]}
        return {"result": results[0].result}

    return work

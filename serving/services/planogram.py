"""BentoML service for the `planogram` task: batched detection, compliance checks, per-tenant planograms."""
from __future__ import annotations

import base64
from typing import Any

import bentoml

from serving.runtime import Operation, tenant_dir
from serving.services.base import TaskService, batch_api, service_options


def _store(tenant: str) -> Any:
    from vision.planogram.planograms import PlanogramStore

    return PlanogramStore(root=tenant_dir("planograms", tenant))


@bentoml.service(**service_options("planogram"))
class PlanogramService(TaskService):
    task = "planogram"
    predict = batch_api("planogram")

    def op_check(self, model: Any, request: Operation) -> dict[str, Any]:
        args = request.args
        spec = args.get("planogram") or _store(request.tenant).get(args["fixture_id"])
        report = model.check(args["image"], spec)
        out: dict[str, Any] = report.model_dump(mode="json")
        if args.get("annotate"):
            out["annotated_png"] = base64.b64encode(model.annotate(args["image"], report)).decode("ascii")
        return out

    def op_put_planogram(self, model: Any, request: Operation) -> dict[str, Any]:
        from vision.planogram.planograms import parse_planogram

        spec = parse_planogram(request.args["spec"])
        _store(request.tenant).put(spec)
        return {"fixture_id": spec.fixture_id}

    def op_list_planograms(self, model: Any, request: Operation) -> dict[str, Any]:
        return {"fixture_ids": _store(request.tenant).ids()}


service = PlanogramService

"""BentoML service for the `planogram` task: batched predict, and the task's typed operations (`TaskSpec.operations`)."""
from __future__ import annotations

import bentoml

from serving.services.base import TaskService, batch_api, service_options


@bentoml.service(**service_options("planogram"))
class PlanogramService(TaskService):
    task = "planogram"
    predict = batch_api("planogram")


service = PlanogramService

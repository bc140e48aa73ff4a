"""BentoML service for the `face` task: batched predict, and the task's typed operations (`TaskSpec.operations`)."""
from __future__ import annotations

import bentoml

from serving.services.base import TaskService, batch_api, service_options


@bentoml.service(**service_options("face"))
class FaceService(TaskService):
    task = "face"
    predict = batch_api("face")


service = FaceService

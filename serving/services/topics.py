"""BentoML service for the `topics` task: batched predict, and the task's typed operations (`TaskSpec.operations`)."""
from __future__ import annotations

import bentoml

from serving.services.base import TaskService, batch_api, service_options


@bentoml.service(**service_options("topics"))
class TopicsService(TaskService):
    task = "topics"
    predict = batch_api("topics")


service = TopicsService

"""BentoML service for the `topics` task: batched predict over the configured model versions."""
from __future__ import annotations

import bentoml

from serving.services.base import TaskService, batch_api, service_options


@bentoml.service(**service_options("topics"))
class TopicsService(TaskService):
    task = "topics"
    predict = batch_api("topics")


service = TopicsService

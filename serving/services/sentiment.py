"""BentoML service for the `sentiment` task: batched predict over the configured model versions."""
from __future__ import annotations

import bentoml

from serving.services.base import TaskService, batch_api, service_options


@bentoml.service(**service_options("sentiment"))
class SentimentService(TaskService):
    task = "sentiment"
    predict = batch_api("sentiment")


service = SentimentService

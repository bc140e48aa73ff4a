"""BentoML service for the `ocr` task: batched predict, and the task's typed operations (`TaskSpec.operations`)."""
from __future__ import annotations

import bentoml

from serving.services.base import TaskService, batch_api, service_options


@bentoml.service(**service_options("ocr"))
class OcrService(TaskService):
    task = "ocr"
    predict = batch_api("ocr")


service = OcrService

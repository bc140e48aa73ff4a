"""BentoML service for the `ocr` task: batched predict for images, an operation for whole documents."""
from __future__ import annotations

from typing import Any

import bentoml

from serving.runtime import Operation
from serving.services.base import TaskService, batch_api, service_options


@bentoml.service(**service_options("ocr"))
class OcrService(TaskService):
    task = "ocr"
    predict = batch_api("ocr")

    def op_read_document(self, model: Any, request: Operation) -> Any:
        return model.read_document(request.args["data"], request.args.get("pages"))


service = OcrService

"""BentoML service for the `plate` task: batched predict over the configured model versions."""
from __future__ import annotations

import bentoml

from serving.services.base import TaskService, batch_api, service_options


@bentoml.service(**service_options("plate"))
class PlateService(TaskService):
    task = "plate"
    predict = batch_api("plate")


service = PlateService

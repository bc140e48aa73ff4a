"""BentoML service for the `propensity` task: batched predict over the configured model versions."""
from __future__ import annotations

import bentoml

from serving.services.base import TaskService, batch_api, service_options


@bentoml.service(**service_options("propensity"))
class PropensityService(TaskService):
    task = "propensity"
    predict = batch_api("propensity")


service = PropensityService

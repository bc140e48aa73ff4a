"""BentoML services for the toy tasks, exactly like serving/services/<task>.py."""
from __future__ import annotations

import bentoml

from serving.services.base import TaskService, batch_api, service_options


@bentoml.service(**service_options("toyimage"))
class ToyImageService(TaskService):
    task = "toyimage"
    predict = batch_api("toyimage")


@bentoml.service(**service_options("toytext"))
class ToyTextService(TaskService):
    task = "toytext"
    predict = batch_api("toytext")

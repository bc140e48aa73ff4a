"""One BentoML service per task (``serving/services/<task>.py``), composed by ``serving.gateway``.

A task package installed separately (a plugin) can ship its own service module and declare it
under the ``ais.services`` entry-point group.
"""
from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from core.registry import load_object

SERVICES_GROUP = "ais.services"


def service_for(task: str) -> Any:
    """The BentoML service object of a task (imports its module, which reads the deployment config)."""
    for ep in entry_points(group=SERVICES_GROUP):
        if ep.name == task:
            return load_object(ep.value)
    return importlib.import_module(f"serving.services.{task}").service

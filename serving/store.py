"""Model versions in the BentoML model store: import weights as ``TASK:VERSION``, list them."""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.errors import ConfigError, InvalidInput, ModelNotFound
from core.offline import enforce_offline
from core.registry import task_names

_VERSION = re.compile(r"^[A-Za-z0-9_.-]{1,63}$")


@dataclass(frozen=True)
class VersionInfo:
    tag: str
    created: datetime
    size_mb: float
    note: str


def import_weights(task: str, path: Path, *, version: str | None = None, note: str = "") -> str:
    """Copy a weights file (or folder) into the store; returns the tag to put in a deployment file."""
    enforce_offline()
    import bentoml

    if task not in task_names():
        raise ConfigError(f"unknown task {task!r}; registered: {task_names()}")
    if not path.exists():
        raise InvalidInput(f"weights path {str(path)!r} does not exist")
    if version is not None and not _VERSION.match(version):
        raise InvalidInput(f"version {version!r} must be 1-63 characters of letters, digits, '_', '.', '-'")
    name = f"{task}:{version}" if version else task
    metadata = {"task": task, "note": note, "source": str(path.resolve()),
                "entry": path.name if path.is_file() else ""}
    with bentoml.models.create(name, metadata=metadata, labels={"task": task}) as model:
        target = Path(model.path)
        if path.is_file():
            shutil.copy2(path, target / path.name)
        else:
            shutil.copytree(path, target, dirs_exist_ok=True)
    return str(model.tag)


def list_versions(task: str | None = None) -> list[VersionInfo]:
    enforce_offline()
    import bentoml

    out = []
    for model in bentoml.models.list():
        model_task = (model.info.metadata or {}).get("task") or model.tag.name
        if task and model_task != task:
            continue
        size = sum(p.stat().st_size for p in Path(model.path).rglob("*") if p.is_file())
        out.append(VersionInfo(str(model.tag), model.info.creation_time, size / 1e6,
                               str((model.info.metadata or {}).get("note", ""))))
    if task and task not in task_names():
        raise ModelNotFound(f"unknown task {task!r}")
    return sorted(out, key=lambda v: v.created, reverse=True)

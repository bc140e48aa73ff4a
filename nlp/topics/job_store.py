"""Where topic-fit jobs are kept: a folder per job under the tenant's state (embedded) or PostgreSQL.

A job is its record (the ``FitJobView`` the caller sees), the process that runs it (``owner``) with
the last time that process said it is alive (``heartbeat``), and once done the fitted model's folder.
PostgreSQL keeps the folder as a tar archive in the job's row, so any replica can load the model a
job fitted on another one.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from core.errors import NotFound
from core.operations import OperationContext
from nlp.topics.jobs import FitJobView

if TYPE_CHECKING:
    from core.state import Database

MODEL_FOLDER = "model"


@dataclass
class StoredJob:
    view: FitJobView
    owner: str
    heartbeat: float


class FitJobStore(Protocol):
    """One tenant's topic-fit jobs."""

    def create(self, job: FitJobView, owner: str, now: float) -> None: ...

    def save(self, job: FitJobView, owner: str, now: float, model: Path | None = None) -> None:
        """Write the job's record; ``model`` (a folder written by ``TopicModel.save``) is stored with it."""

    def heartbeat(self, job_id: str, owner: str, now: float) -> None: ...

    def load(self, job_id: str) -> StoredJob | None: ...

    def load_model(self, job_id: str, load: Callable[[Path], Any]) -> Any:
        """``load(folder)`` on the job's model folder (NotFound when the job stored no model)."""


def _write_json(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".job.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


class FolderJobStore:
    """``<root>/<job_id>/job.json`` (record + owner + heartbeat, replaced atomically) and ``model/``."""

    def __init__(self, root: Callable[[], Path]) -> None:
        self._root = root

    def _folder(self, job_id: str) -> Path:
        return self._root() / job_id

    def _write(self, job: FitJobView, owner: str, now: float) -> None:
        _write_json(self._folder(job.job_id) / "job.json",
                    {**job.model_dump(mode="json"), "owner": owner, "heartbeat": now})

    def create(self, job: FitJobView, owner: str, now: float) -> None:
        self._folder(job.job_id).mkdir(parents=True)
        self._write(job, owner, now)

    def save(self, job: FitJobView, owner: str, now: float, model: Path | None = None) -> None:
        if model is not None:
            target = self._folder(job.job_id) / MODEL_FOLDER
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(model, target)
        self._write(job, owner, now)

    def heartbeat(self, job_id: str, owner: str, now: float) -> None:
        stored = self.load(job_id)
        if stored is not None and stored.view.status == "running":
            self._write(stored.view, owner, now)

    def load(self, job_id: str) -> StoredJob | None:
        path = self._folder(job_id) / "job.json"
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        # records written before owners existed have neither: their process is long gone
        return StoredJob(FitJobView.model_validate(data), str(data.get("owner", "")), float(data.get("heartbeat", 0)))

    def load_model(self, job_id: str, load: Callable[[Path], Any]) -> Any:
        folder = self._folder(job_id) / MODEL_FOLDER
        if not folder.is_dir():
            raise NotFound(f"topic-fit job {job_id} has no stored model")
        return load(folder)


def pack_folder(folder: Path) -> bytes:
    """A folder as a gzip tar archive (paths relative to it)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(folder.rglob("*")):
            archive.add(path, arcname=str(path.relative_to(folder)), recursive=False)
    return buffer.getvalue()


def unpack_folder(data: bytes, folder: Path) -> Path:
    """Extract an archive made by ``pack_folder``; members escaping the folder are refused."""
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        archive.extractall(folder, filter="data")
    return folder


class PostgresJobStore:
    """One tenant's jobs as rows of ``topic_fit_jobs``; the model folder is a tar archive in the row."""

    def __init__(self, database: Database, client: str, tenant: str) -> None:
        self.database, self.client, self.tenant = database, client, tenant

    def create(self, job: FitJobView, owner: str, now: float) -> None:
        with self.database.connection() as conn:
            conn.execute("INSERT INTO topic_fit_jobs (client, tenant, job_id, record, owner, heartbeat) "
                         "VALUES (%s, %s, %s, %s, %s, %s)",
                         (self.client, self.tenant, job.job_id, job.model_dump_json(), owner, now))

    def save(self, job: FitJobView, owner: str, now: float, model: Path | None = None) -> None:
        archive = pack_folder(model) if model is not None else None
        with self.database.connection() as conn:
            conn.execute("UPDATE topic_fit_jobs SET record = %s, owner = %s, heartbeat = %s, "
                         "model = COALESCE(%s, model) WHERE client = %s AND tenant = %s AND job_id = %s",
                         (job.model_dump_json(), owner, now, archive, self.client, self.tenant, job.job_id))

    def heartbeat(self, job_id: str, owner: str, now: float) -> None:
        with self.database.connection() as conn:
            conn.execute("UPDATE topic_fit_jobs SET heartbeat = %s WHERE client = %s AND tenant = %s "
                         "AND job_id = %s AND owner = %s AND record->>'status' = 'running'",
                         (now, self.client, self.tenant, job_id, owner))

    def load(self, job_id: str) -> StoredJob | None:
        with self.database.connection() as conn:
            row = conn.execute("SELECT record, owner, heartbeat FROM topic_fit_jobs "
                               "WHERE client = %s AND tenant = %s AND job_id = %s",
                               (self.client, self.tenant, job_id)).fetchone()
        return None if row is None else StoredJob(FitJobView.model_validate(row[0]), row[1], float(row[2]))

    def load_model(self, job_id: str, load: Callable[[Path], Any]) -> Any:
        with self.database.connection() as conn:
            row = conn.execute("SELECT model FROM topic_fit_jobs WHERE client = %s AND tenant = %s AND job_id = %s",
                               (self.client, self.tenant, job_id)).fetchone()
        if row is None or row[0] is None:
            raise NotFound(f"topic-fit job {job_id} has no stored model")
        with tempfile.TemporaryDirectory(prefix="ais-topics-") as tmp:
            return load(unpack_folder(bytes(row[0]), Path(tmp) / MODEL_FOLDER))


def fit_job_store(context: OperationContext) -> FitJobStore:
    """The caller's topic-fit jobs in the backend the deployment configured."""
    if context.database is not None:
        return PostgresJobStore(context.database, context.client, context.tenant)
    return FolderJobStore(lambda: context.tenant_dir("topics"))

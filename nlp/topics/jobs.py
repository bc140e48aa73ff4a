"""Topic-fit jobs that run in the background: one folder per job under the tenant's state, status on disk.

A job's record (``job.json``) is written when it starts and when it ends, and the fitted topics are
saved beside it, so a job's result outlives the process that ran it; a job still running when its
process died is reported as failed.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from core.errors import AisError, InvalidInput, ModelLoading, NotFound

log = logging.getLogger(__name__)
_JOB_ID = set("0123456789abcdef")


class FitJobView(BaseModel):
    """A topic-fit job as the caller sees it; ``topics`` and ``over_time`` are filled once it is done."""

    job_id: str
    status: Literal["running", "done", "failed"]
    n_documents: int
    started: float
    finished: float | None = None
    topics: list[dict[str, Any]] = Field(default_factory=list)
    over_time: list[dict[str, Any]] = Field(default_factory=list)
    error: dict[str, Any] | None = None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".job.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


class FitJobs:
    """The fit jobs of one process; ``root(tenant)`` gives the tenant's job folder."""

    def __init__(self, root: Callable[[], Path]) -> None:
        self._root = root
        self._lock = threading.Lock()
        self._running: set[str] = set()
        self._models: dict[str, Any] = {}

    def _folder(self, job_id: str) -> Path:
        if not job_id or len(job_id) > 64 or not set(job_id) <= _JOB_ID:
            raise NotFound(f"no topic-fit job {job_id[:80]!r}")
        return self._root() / job_id

    def start(self, fit: Callable[[], Any], n_documents: int) -> FitJobView:
        """Run ``fit() -> fitted TopicModel`` in a background thread; returns the running job."""
        job = FitJobView(job_id=uuid.uuid4().hex[:16], status="running", n_documents=n_documents, started=time.time())
        folder = self._folder(job.job_id)
        folder.mkdir(parents=True)
        _write_json(folder / "job.json", job.model_dump(mode="json"))
        with self._lock:
            self._running.add(job.job_id)
        threading.Thread(target=self._run, args=(job, folder, fit), name=f"topics-fit-{job.job_id}",
                         daemon=True).start()
        return job

    def _run(self, job: FitJobView, folder: Path, fit: Callable[[], Any]) -> None:
        try:
            fitted = fit()
            fitted.save(folder / "model")
            job.topics = [t.model_dump(mode="json") for t in fitted.topics()]
            job.over_time = [row.model_dump(mode="json") for row in (getattr(fitted, "over_time", None) or [])]
            with self._lock:
                self._models[job.job_id] = fitted
            job.status = "done"
        except Exception as exc:
            if not isinstance(exc, AisError):
                log.exception("topic fit job %s failed", job.job_id)
            message = exc.message if isinstance(exc, AisError) else "unexpected error while fitting"
            job.error, job.status = {"type": type(exc).__name__, "message": message}, "failed"
        finally:
            job.finished = time.time()
            _write_json(folder / "job.json", job.model_dump(mode="json"))
            with self._lock:
                self._running.discard(job.job_id)

    def view(self, job_id: str) -> FitJobView:
        path = self._folder(job_id) / "job.json"
        if not path.is_file():
            raise NotFound(f"no topic-fit job {job_id!r}")
        job = FitJobView.model_validate_json(path.read_text(encoding="utf-8"))
        with self._lock:
            running = job_id in self._running
        if job.status == "running" and not running:
            job.status, job.error = "failed", {"type": "Interrupted", "message": "the process running this job stopped"}
        return job

    def model(self, job_id: str, load: Callable[[Path], Any]) -> Any:
        """The fitted model of a finished job (kept in memory, or read back from its folder)."""
        job = self.view(job_id)
        if job.status == "failed":
            raise InvalidInput(f"topic-fit job {job_id} failed: {(job.error or {}).get('message', '')}")
        if job.status != "done":
            raise ModelLoading(f"topic-fit job {job_id} is still running; assign once it is done", retry_after=5)
        with self._lock:
            fitted = self._models.get(job_id)
        if fitted is None:
            fitted = load(self._folder(job_id) / "model")
            with self._lock:
                self._models[job_id] = fitted
        return fitted


def check_dates(texts: Sequence[str], dates: Sequence[str] | None) -> None:
    if dates is not None and len(dates) != len(texts):
        raise InvalidInput(f"{len(dates)} dates for {len(texts)} texts; give one date per text")

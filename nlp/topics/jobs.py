"""Topic-fit jobs that run in the background, their records and results in the deployment's state.

A job's record is written when it starts and when it ends, and the fitted topics are stored with it
(``nlp.topics.job_store``: a folder per job, or a row in PostgreSQL), so a job's result outlives the
process that ran it and any replica can read it; a job still running when its process died is
reported as failed.
"""
from __future__ import annotations

import logging
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from core.errors import AisError, InvalidInput, ModelLoading, NotFound

if TYPE_CHECKING:
    from nlp.topics.job_store import FitJobStore

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


class FitJobs:
    """The fit jobs of one process for one tenant, kept in a ``FitJobStore`` (``nlp.topics.job_store``).

    While a job runs, its thread writes a heartbeat every ``heartbeat_s``; a job still "running" whose
    owner is this process but no thread of it, or whose heartbeat is older than ``stale_s``, was
    interrupted (its process stopped) and is reported as failed. With a shared store, another
    replica's running job is reported as running, and its result is read back from the store.
    """

    def __init__(self, store: FitJobStore, heartbeat_s: float = 10.0, stale_s: float = 60.0) -> None:
        self.store = store
        self.owner = uuid.uuid4().hex
        self.heartbeat_s, self.stale_s = heartbeat_s, stale_s
        self._lock = threading.Lock()
        self._running: set[str] = set()
        self._models: dict[str, Any] = {}

    @staticmethod
    def _checked(job_id: str) -> str:
        if not job_id or len(job_id) > 64 or not set(job_id) <= _JOB_ID:
            raise NotFound(f"no topic-fit job {job_id[:80]!r}")
        return job_id

    def start(self, fit: Callable[[], Any], n_documents: int) -> FitJobView:
        """Run ``fit() -> fitted TopicModel`` in a background thread; returns the running job."""
        job = FitJobView(job_id=uuid.uuid4().hex[:16], status="running", n_documents=n_documents, started=time.time())
        self.store.create(job, self.owner, time.time())
        with self._lock:
            self._running.add(job.job_id)
        threading.Thread(target=self._run, args=(job.model_copy(), fit), name=f"topics-fit-{job.job_id}",
                         daemon=True).start()
        return job

    def _beat(self, job_id: str, stop: threading.Event) -> None:
        while not stop.wait(self.heartbeat_s):
            try:
                self.store.heartbeat(job_id, self.owner, time.time())
            except Exception:  # a missed beat must not end the fit; the next one may pass
                log.warning("topic fit job %s: heartbeat not written", job_id, exc_info=True)

    def _run(self, job: FitJobView, fit: Callable[[], Any]) -> None:
        stop = threading.Event()
        threading.Thread(target=self._beat, args=(job.job_id, stop), name=f"topics-beat-{job.job_id}",
                         daemon=True).start()
        try:
            with tempfile.TemporaryDirectory(prefix="ais-topics-fit-") as tmp:
                try:
                    fitted = fit()
                    model = fitted.save(Path(tmp) / "model")
                    job.topics = [t.model_dump(mode="json") for t in fitted.topics()]
                    job.over_time = [row.model_dump(mode="json")
                                     for row in (getattr(fitted, "over_time", None) or [])]
                    job.status = "done"
                except Exception as exc:
                    model = None
                    if not isinstance(exc, AisError):
                        log.exception("topic fit job %s failed", job.job_id)
                    message = exc.message if isinstance(exc, AisError) else "unexpected error while fitting"
                    job.error, job.status = {"type": type(exc).__name__, "message": message}, "failed"
                job.finished = time.time()
                self.store.save(job, self.owner, time.time(), model=model)
                if job.status == "done":
                    with self._lock:
                        self._models[job.job_id] = fitted
        except Exception:
            log.exception("topic fit job %s: its result could not be stored", job.job_id)
        finally:
            stop.set()
            with self._lock:
                self._running.discard(job.job_id)

    def view(self, job_id: str) -> FitJobView:
        stored = self.store.load(self._checked(job_id))
        if stored is None:
            raise NotFound(f"no topic-fit job {job_id!r}")
        job = stored.view
        if job.status == "running":
            with self._lock:
                running = job_id in self._running
            mine = stored.owner == self.owner
            if not running and (mine or time.time() - stored.heartbeat > self.stale_s):
                job.status, job.error = "failed", {"type": "Interrupted",
                                                   "message": "the process running this job stopped"}
        return job

    def model(self, job_id: str, load: Callable[[Path], Any]) -> Any:
        """The fitted model of a finished job (kept in memory, or read back from the store)."""
        job = self.view(job_id)
        if job.status == "failed":
            raise InvalidInput(f"topic-fit job {job_id} failed: {(job.error or {}).get('message', '')}")
        if job.status != "done":
            raise ModelLoading(f"topic-fit job {job_id} is still running; assign once it is done", retry_after=5)
        with self._lock:
            fitted = self._models.get(job_id)
        if fitted is None:
            fitted = self.store.load_model(job_id, load)
            with self._lock:
                self._models[job_id] = fitted
        return fitted


def check_dates(texts: Sequence[str], dates: Sequence[str] | None) -> None:
    if dates is not None and len(dates) != len(texts):
        raise InvalidInput(f"{len(dates)} dates for {len(texts)} texts; give one date per text")

"""BentoML service for the `topics` task: batched assignment, and fit jobs that run in the background."""
from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import bentoml

from core.errors import InvalidInput, ModelLoading, NotFound
from serving.runtime import Operation, error_info, tenant_dir
from serving.services.base import TaskService, batch_api, service_options

log = logging.getLogger(__name__)


@dataclass
class FitJob:
    job_id: str
    tenant: str
    n_documents: int
    status: str = "running"  # running | done | failed
    started: float = field(default_factory=time.time)
    finished: float | None = None
    topics: list[dict[str, Any]] = field(default_factory=list)
    over_time: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None

    def view(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "status": self.status, "n_documents": self.n_documents,
                "started": self.started, "finished": self.finished, "topics": self.topics,
                "over_time": self.over_time, "error": self.error}


@bentoml.service(**service_options("topics"))
class TopicsService(TaskService):
    task = "topics"
    predict = batch_api("topics")

    def __init__(self) -> None:
        super().__init__()
        self._jobs: dict[str, FitJob] = {}
        self._fitted: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def _job(self, tenant: str, job_id: str) -> FitJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.tenant != tenant:  # another tenant's job does not exist for this caller
            raise NotFound(f"no topic-fit job {job_id!r}")
        return job

    def op_fit_start(self, model: Any, request: Operation) -> dict[str, Any]:
        args = request.args
        if args.get("dates") is not None and len(args["dates"]) != len(args["texts"]):
            raise InvalidInput(f"{len(args['dates'])} dates for {len(args['texts'])} texts; give one date per text")
        job = FitJob(job_id=uuid.uuid4().hex[:16], tenant=request.tenant, n_documents=len(args["texts"]))
        with self._lock:
            self._jobs[job.job_id] = job
        threading.Thread(target=self._fit, args=(job, args), name=f"topics-fit-{job.job_id}", daemon=True).start()
        return job.view()

    def _fit(self, job: FitJob, args: dict[str, Any]) -> None:
        from nlp.topics.model import TopicModel

        try:
            fitted = TopicModel(device=self.pool.config.device).fit(args["texts"], n_topics=args.get("n_topics"),
                                                                     dates=args.get("dates"))
            fitted.save(tenant_dir("topics", job.tenant) / job.job_id)
            job.topics = [t.model_dump(mode="json") for t in fitted.topics()]
            job.over_time = [row.model_dump(mode="json") for row in (getattr(fitted, "over_time", None) or [])]
            with self._lock:
                self._fitted[(job.tenant, job.job_id)] = fitted
            job.status = "done"
        except Exception as exc:
            log.exception("topic fit job %s failed", job.job_id)
            job.error, job.status = error_info(exc).model_dump(), "failed"
        finally:
            job.finished = time.time()

    def op_fit_status(self, model: Any, request: Operation) -> dict[str, Any]:
        return self._job(request.tenant, request.args["job_id"]).view()

    def op_assign_fitted(self, model: Any, request: Operation) -> list[dict[str, Any]]:
        job = self._job(request.tenant, request.args["job_id"])
        if job.status == "failed":
            raise InvalidInput(f"topic-fit job {job.job_id} failed: {(job.error or {}).get('message', '')}")
        if job.status != "done":
            raise ModelLoading(f"topic-fit job {job.job_id} is still running; assign once it is done")
        with self._lock:
            fitted = self._fitted[(job.tenant, job.job_id)]
        return [r.model_dump(mode="json") for r in fitted.predict(request.args["texts"])]


service = TopicsService

"""The topic-fit job suite, run on both backends: records, results and fitted models outlive their
process and are seen by a second replica. Fits a real topic state on a tiny generated corpus."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.errors import InvalidInput, ModelLoading, NotFound
from core.operations import OperationContext
from nlp.topics.ctfidf import top_terms
from nlp.topics.fit import FitOptions, TopicState, fit_state
from nlp.topics.job_store import FitJobStore, PostgresJobStore, fit_job_store
from nlp.topics.jobs import FitJobs, FitJobView
from nlp.topics.schemas import Keyword, TopicInfo
from nlp.topics.store import ARRAYS_FILE, META_FILE, load_state, save_state
from nlp.topics.synth import themed_corpus
from tests.state.conftest import Backend, replica


class FittedState:
    """A topic state fitted without the encoder (random embeddings), saved and described like a TopicModel."""

    def __init__(self, state: TopicState) -> None:
        self.state = state
        self.over_time: list[Any] = []

    def save(self, folder: Path) -> Path:
        return save_state(folder, self.state, {"version": "test"})

    def topics(self) -> list[TopicInfo]:
        words = top_terms(self.state.keyword_weights, self.state.vocabulary.terms, 3)
        return [TopicInfo(id=t, label=" ".join(w for w, _ in kw), size=self.state.sizes[t],
                          keywords=[Keyword(word=w, weight=float(x)) for w, x in kw])
                for t, kw in enumerate(words)]


def _fit() -> FittedState:
    texts, _ = themed_corpus(10)
    emb = np.random.default_rng(0).normal(size=(len(texts), 384)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    return FittedState(fit_state(texts, emb, 3, FitOptions(text_weight=0.8))[0])


def _store(backend: Backend, tenant: str | None = None) -> FitJobStore:
    return fit_job_store(OperationContext(tenant=tenant or backend.tenant, state_root=backend.state_root,
                                          client=backend.client, database=backend.database))  # type: ignore[arg-type]


def _wait(jobs: FitJobs, job_id: str, timeout_s: float = 30) -> FitJobView:
    deadline = time.monotonic() + timeout_s
    while (view := jobs.view(job_id)).status == "running" and time.monotonic() < deadline:
        time.sleep(0.02)
    return view


def _load(folder: Path) -> TopicState:
    return load_state(folder)[0]


def test_backend_is_the_configured_one(backend: Backend) -> None:
    assert isinstance(_store(backend), PostgresJobStore) == (backend.name == "postgresql")


def test_a_finished_job_and_its_model_are_seen_by_another_replica(backend: Backend) -> None:
    jobs = FitJobs(_store(backend))
    started = jobs.start(_fit, n_documents=30)
    assert started.status == "running" and len(started.job_id) == 16
    done = _wait(jobs, started.job_id)
    assert done.status == "done" and len(done.topics) == 3 and done.finished is not None
    with replica(backend) as other:
        second = FitJobs(_store(other))  # another process: nothing in memory
        assert second.view(started.job_id) == done
        state = second.model(started.job_id, _load)
    original = jobs.model(started.job_id, _load).state
    assert np.allclose(state.embedding_sums, original.embedding_sums)
    assert np.allclose(state.term_counts, original.term_counts)
    assert state.vocabulary.terms == original.vocabulary.terms


def test_a_failed_fit_is_reported_with_its_message(backend: Backend) -> None:
    def fail() -> FittedState:
        raise InvalidInput("too few distinct words to find 3 topics")

    jobs = FitJobs(_store(backend))
    job = _wait(jobs, jobs.start(fail, n_documents=4).job_id)
    assert job.status == "failed" and job.error == {"type": "InvalidInput",
                                                    "message": "too few distinct words to find 3 topics"}
    with pytest.raises(InvalidInput, match="too few distinct words"):
        FitJobs(_store(backend)).model(job.job_id, _load)


def test_a_job_running_on_one_replica_is_running_on_the_other(backend: Backend) -> None:
    release = threading.Event()

    def slow_fit() -> FittedState:
        release.wait(30)
        return _fit()

    jobs = FitJobs(_store(backend), heartbeat_s=0.05, stale_s=5)
    job_id = jobs.start(slow_fit, n_documents=30).job_id
    try:
        with replica(backend) as other:
            second = FitJobs(_store(other), stale_s=5)
            first_beat = _store(backend).load(job_id).heartbeat  # type: ignore[union-attr]
            time.sleep(0.3)
            assert _store(backend).load(job_id).heartbeat > first_beat  # type: ignore[union-attr]
            assert second.view(job_id).status == "running"
            with pytest.raises(ModelLoading, match="still running"):
                second.model(job_id, _load)
            release.set()
            assert _wait(second, job_id).status == "done"
    finally:
        release.set()
        _wait(jobs, job_id)


def test_a_job_whose_process_stopped_is_failed(backend: Backend) -> None:
    store = _store(backend)
    now = time.time()
    store.create(FitJobView(job_id="dead0002", status="running", n_documents=5, started=now - 600),
                 owner="a-process-that-died", now=now - 300)
    store.create(FitJobView(job_id="a11fe001", status="running", n_documents=5, started=now),
                 owner="another-replica", now=now)
    jobs = FitJobs(store, stale_s=60)
    dead = jobs.view("dead0002")
    assert dead.status == "failed" and dead.error["type"] == "Interrupted"  # type: ignore[index]
    assert jobs.view("a11fe001").status == "running"


def test_unknown_and_malformed_ids_are_not_found(backend: Backend) -> None:
    jobs = FitJobs(_store(backend))
    for job_id in ("0123456789abcdef", "../../etc", "", "X" * 65):
        with pytest.raises(NotFound):
            jobs.view(job_id)


def test_tenants_do_not_see_each_other(backend: Backend) -> None:
    job_id = _wait(jobs := FitJobs(_store(backend)), jobs.start(_fit, n_documents=30).job_id).job_id
    with pytest.raises(NotFound):
        FitJobs(_store(backend, tenant=backend.tenant + "-other")).view(job_id)


def test_model_loader_gets_a_complete_folder(backend: Backend) -> None:
    jobs = FitJobs(_store(backend))
    job_id = _wait(jobs, jobs.start(_fit, n_documents=30).job_id).job_id
    seen: list[set[str]] = []
    loader: Callable[[Path], Any] = lambda folder: seen.append({p.name for p in folder.iterdir()})
    _store(backend).load_model(job_id, loader)
    assert seen == [{ARRAYS_FILE, META_FILE}]


def test_the_status_operation_reaches_the_configured_backend(backend: Backend) -> None:
    """``fit_status`` (what ``GET /topics/fit/{job_id}`` runs) on another replica sees the finished job."""
    from nlp.topics.operations import JobRequest, fit_status

    jobs = FitJobs(_store(backend))
    job_id = _wait(jobs, jobs.start(_fit, n_documents=30).job_id).job_id
    with replica(backend) as other:
        context = OperationContext(tenant=other.tenant, state_root=other.state_root, client=other.client,
                                   database=other.database)  # type: ignore[arg-type]
        assert fit_status(None, JobRequest(job_id=job_id), context).status == "done"


@pytest.mark.slow  # loads the sentence encoder
def test_a_real_topic_fit_on_one_replica_assigns_on_the_other(backend: Backend) -> None:
    """The operations ``serving`` runs, with the real TopicModel: fit through replica A, assign through B."""
    from nlp.topics.model import TopicModel
    from nlp.topics.operations import AssignRequest, FitJobRequest, JobRequest, assign, fit_start, fit_status
    from nlp.topics.weights import status

    if not status().available:
        pytest.skip(f"default topic model missing: {status().message}")
    import torch

    torch.set_num_threads(1)
    model = TopicModel(device="cpu").load()
    sport = [f"the team won the {w} match after a late goal in the final minutes" for w in
             ("league", "cup", "derby", "semifinal", "opening", "away", "home", "title", "friendly", "decisive")]
    money = [f"shares of the {w} company fell as profits and quarterly revenue missed forecasts" for w in
             ("oil", "bank", "retail", "airline", "steel", "chip", "insurance", "telecom", "auto", "mining")]

    def context(b: Backend) -> OperationContext:
        return OperationContext(tenant=b.tenant, state_root=b.state_root, client=b.client,
                                database=b.database)  # type: ignore[arg-type]

    first = context(backend)
    job_id = fit_start(model, FitJobRequest(texts=sport + money, n_topics=2), first).job_id
    deadline = time.monotonic() + 300
    while fit_status(model, JobRequest(job_id=job_id), first).status == "running":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    with replica(backend) as other:
        second = context(other)  # its own cache: the fitted model must come from the store
        assert fit_status(model, JobRequest(job_id=job_id), second).status == "done"
        results = assign(model, AssignRequest(texts=["a late goal won the cup final", "bank profits fell this quarter"],
                                              model=job_id), second).results
    assert results[0].topic != results[1].topic

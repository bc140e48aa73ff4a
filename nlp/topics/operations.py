"""The topics task's operations beside ``predict``: assign with a fitted model, and background fit jobs."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from core.operations import OperationContext, OperationRequest
from core.schemas import TextLimits
from core.text import validate_texts
from nlp.topics.jobs import FitJobs, FitJobView, check_dates
from nlp.topics.schemas import TopicAssignment

MAX_CORPUS = 200_000
CORPUS_DOCUMENT_CHARS = 5_000_000
JobId = Annotated[str, Field(min_length=1, max_length=64)]


class AssignRequest(OperationRequest):
    """Texts to assign, with the deployment's topic model or with ``model``: the id of a fit job of yours."""

    texts: list[str] = Field(min_length=1)
    model: JobId | None = Field(None, description="a finished fit job's id; the deployment's model when absent")


class Assignments(BaseModel):
    results: list[TopicAssignment]


class FitJobRequest(OperationRequest):
    """Documents, the number of topics wanted (chosen from the corpus size when absent), ISO dates per document."""

    texts: list[str] = Field(min_length=4, max_length=MAX_CORPUS)
    n_topics: int | None = Field(None, ge=2, le=500)
    dates: list[str] | None = Field(None, max_length=MAX_CORPUS)


class JobRequest(OperationRequest):
    job_id: JobId


def _jobs(context: OperationContext) -> FitJobs:
    from nlp.topics.job_store import fit_job_store

    return context.cached(f"topic-jobs:{context.tenant}", lambda: FitJobs(fit_job_store(context)))


def assign(model: Any, request: AssignRequest, context: OperationContext) -> Assignments:
    texts = validate_texts(request.texts, TextLimits(max_chars=context.max_text_chars))
    if request.model is None:
        return Assignments(results=model.predict(texts))
    from nlp.topics.model import TopicModel

    device = model.device
    fitted = _jobs(context).model(request.model, lambda folder: TopicModel(weights=folder, device=device).load())
    return Assignments(results=fitted.predict(texts))


def fit_start(model: Any, request: FitJobRequest, context: OperationContext) -> FitJobView:
    check_dates(request.texts, request.dates)
    # a corpus is not one request's text: long documents are the model's to chunk; the body limit bounds size
    texts = validate_texts(request.texts, TextLimits(max_chars=CORPUS_DOCUMENT_CHARS))
    from nlp.topics.model import TopicModel

    device = model.device
    return _jobs(context).start(
        lambda: TopicModel(device=device).fit(texts, n_topics=request.n_topics, dates=request.dates), len(texts))


def fit_status(model: Any, request: JobRequest, context: OperationContext) -> FitJobView:
    return _jobs(context).view(request.job_id)

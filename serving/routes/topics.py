"""Topic routes: ``/topics/assign`` (default or a fitted model), ``/topics/fit`` background jobs with status."""
from __future__ import annotations

from typing import Any

from starlette.requests import Request

from core.errors import PayloadTooLarge
from core.schemas import TextLimits
from core.text import validate_texts
from serving.calls import Call
from serving.errors import MalformedRequest
from serving.gateway_routes import predict_route
from serving.payloads import json_body

MAX_CORPUS = 200_000


async def assign(request: Request, call: Call) -> dict[str, Any]:
    """``{"texts": [...]}`` with the deployment's model, or ``{"texts": [...], "model": JOB_ID}`` with one you fitted."""
    model = request.query_params.get("model")
    if model is None:
        return await predict_route(many=True)(request, call)
    body = await json_body(request, call.config.limits)
    texts = body.get("texts") if isinstance(body, dict) else None
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts) or not texts:
        raise MalformedRequest('body must be {"texts": ["...", ...]}')
    if len(texts) > call.config.limits.max_batch_items:
        raise PayloadTooLarge(f"{len(texts)} texts; the limit is {call.config.limits.max_batch_items} per request")
    texts = validate_texts(texts, TextLimits(max_chars=call.config.limits.max_text_chars))
    return {"results": await call.operate("assign_fitted", job_id=model, texts=texts)}


async def fit(request: Request, call: Call) -> dict[str, Any]:
    """``{"texts": [...], "n_topics": 8, "dates": [...]}`` → a job id; poll ``GET /topics/fit/{job_id}``."""
    body = await json_body(request, call.config.limits)
    if not isinstance(body, dict) or not isinstance(body.get("texts"), list):
        raise MalformedRequest('body must be {"texts": [...], "n_topics": N (optional), "dates": [...] (optional)}')
    if len(body["texts"]) > MAX_CORPUS:
        raise PayloadTooLarge(f"{len(body['texts'])} documents; a fit job takes at most {MAX_CORPUS}")
    from pydantic import ValidationError

    from serving.runtime import FitJobRequest

    try:
        job = FitJobRequest.model_validate(body)
    except ValidationError as exc:
        raise MalformedRequest(f"invalid fit request: {exc.errors(include_url=False, include_input=False)}") from exc
    validate_texts(job.texts, TextLimits(max_chars=call.config.limits.max_text_chars))
    return {"result": await call.operate("fit_start", **job.model_dump())}


async def fit_status(request: Request, call: Call) -> dict[str, Any]:
    return {"result": await call.operate("fit_status", job_id=request.path_params["job_id"])}


ROUTES = [
    ("/topics/assign", "POST", assign),
    ("/topics/fit", "POST", fit),
    ("/topics/fit/{job_id}", "GET", fit_status),
]

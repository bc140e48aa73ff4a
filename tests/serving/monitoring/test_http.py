"""What the gateway can serve: ``Monitor.summary`` behind a route, as JSON (a bare Starlette app, no BentoML)."""
from __future__ import annotations

from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from serving.monitoring import Monitor, MonitoringSummary, MonitorSettings
from serving.monitoring.profile import reference_from_records
from tests.serving.monitoring.conftest import Clock, records


def test_summary_over_http(tmp_path: Path) -> None:
    clock = Clock()
    monitor = Monitor(tmp_path, "acme", MonitorSettings(seed=0), clock=clock)  # background thread, as served
    monitor.register_reference(reference_from_records(records(800, seed=1), task="propensity", version="v1"))

    async def summary(request: Request) -> JSONResponse:
        result = await anyio.to_thread.run_sync(monitor.summary, request.query_params.get("since", "7d"))
        return JSONResponse(result.model_dump(mode="json"))

    app = Starlette(routes=[Route("/v1/monitoring", summary)])
    for shifted in (False, True):
        for record in records(120, seed=7 + shifted, shifted=shifted):
            monitor.observe("propensity", "v1", "record", [record], [{"score": 0.1}], 200)
        clock.now += 3600
    with TestClient(app) as client:
        response = client.get("/v1/monitoring", params={"since": "1d"})
    monitor.close()
    assert response.status_code == 200
    body = MonitoringSummary.model_validate(response.json())
    assert [w.drift.drifted_features for w in body.windows] == [[], ["age", "income"]]
    assert [w.quality.requests for w in body.windows] == [120, 120]

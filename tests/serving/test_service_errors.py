"""Errors raised inside a task service reach the client with their own class and status, through the
generic operation route and the batched predict path (toy tasks, real ``ais serve`` on 127.0.0.1)."""
from __future__ import annotations

import httpx
import pytest
import yaml

from serving.config import hash_key
from tests.serving.server import running_server, toy_plugin

pytestmark = pytest.mark.server
KEY = "errors-key"
HEADERS = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("errors")
    config = {"client": "acme",
              "tasks": {"toytext": {"traffic": {"canary": str(root / "never-written.txt"), "canary_percent": 50}}},
              "keys": [{"tenant": "a", "sha256": hash_key(KEY)}], "state_dir": str(root / "state")}
    path = root / "client.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {"PYTHONPATH": toy_plugin(root / "plugin"), "AIS_HOME": str(root / "home")}
    with running_server(["--config", str(path)], env, root / "server.log") as url:
        yield url


def test_model_not_found_in_an_operation_is_a_404_with_its_message(server: str) -> None:
    """Regression: the gateway rebuilt service errors from six class names, so this was a 500 InternalError."""
    r = httpx.post(f"{server}/toytext/lookup", json={"name": "missing"}, headers={**HEADERS, "X-Caller-Id": "c0"})
    assert r.status_code == 404, r.text
    assert r.json()["error"] == "ModelNotFound" and "no model named 'missing'" in r.json()["detail"]["message"]


def test_an_operation_answers_with_its_typed_response(server: str) -> None:
    r = httpx.post(f"{server}/toytext/lookup", json={"name": "x"}, headers={**HEADERS, "X-Caller-Id": "c0"})
    assert r.status_code in (200, 404), r.text  # the sticky canary slice may hold this caller
    if r.status_code == 200:
        assert r.json()["result"] == {"name": "x", "label": "default", "tenant": "a"}
    typo = httpx.post(f"{server}/toytext/lookup", json={"nmae": "x"}, headers=HEADERS)
    assert typo.status_code == 422 and "nmae" in typo.json()["detail"]["message"]


def test_unknown_model_version_on_the_predict_path_is_a_404(server: str) -> None:
    """The canary's weights file does not exist: callers routed to it get WeightsUnavailable as 404."""
    statuses = {}
    for caller in range(40):
        r = httpx.post(f"{server}/toytext", json={"text": "hello"}, headers={**HEADERS, "X-Caller-Id": f"c{caller}"})
        statuses.setdefault(r.status_code, r.json())
    assert set(statuses) == {200, 404}, statuses
    assert statuses[404]["error"] == "WeightsUnavailable" and "never-written.txt" in statuses[404]["detail"]["message"]


def test_unknown_routes_and_methods_answer_the_json_error_body(server: str) -> None:
    missing = httpx.get(f"{server}/no/such/route", headers=HEADERS)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/json"
    assert missing.json()["error"] == "NotFound" and missing.json()["request_id"]
    wrong = httpx.delete(f"{server}/toytext", headers=HEADERS)
    assert wrong.status_code == 405 and wrong.json()["error"] == "MethodNotAllowed" and wrong.headers["allow"] == "POST"


def test_openapi_document_and_docs_page(server: str) -> None:
    from openapi_spec_validator import validate

    doc = httpx.get(f"{server}/openapi.json").json()
    validate(doc)
    assert {"/toytext", "/toytext/batch", "/toytext/lookup", "/v1/tasks", "/v1/monitoring"} <= set(doc["paths"])
    page = httpx.get(f"{server}/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert httpx.get(f"{server}/docs/static/swagger-ui-bundle.js").status_code == 200


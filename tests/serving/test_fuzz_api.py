"""Schemathesis fuzzes the generated OpenAPI document against a running gateway (sentiment, ocr, face,
propensity): no response may be a 5xx, and every response must match the document (status code,
content type, body schema, headers; 405 with ``Allow`` for undeclared methods).

Bounded in examples and time. Checks that compare our validation with the schema's
(``positive_data_acceptance``/``negative_data_rejection``) are left out on purpose: an image field
is "any bytes" in a schema, and a propensity record is "any object", but only real images and
complete records are accepted, which a 4xx with a clear message says.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from core.registry import get_spec
from serving.config import hash_key
from tests.serving.server import running_server

pytestmark = [pytest.mark.server, pytest.mark.slow]

KEY = "fuzz-key"
TASKS = [t for t in ("sentiment", "ocr", "face", "propensity") if get_spec(t).weights_status().available]
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
          "response_headers_conformance,unsupported_method")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> str:
    if len(TASKS) < 4:
        pytest.skip(f"needs the weights of sentiment, ocr, face and propensity; available: {TASKS}")
    root = tmp_path_factory.mktemp("fuzz")
    config = {"client": "fuzz", "tasks": {t: {} for t in TASKS}, "keys": [{"tenant": "f", "sha256": hash_key(KEY)}],
              "limits": {"timeout_s": 60}, "state_dir": str(root / "state")}
    path = root / "client.yaml"
    path.write_text(yaml.safe_dump(config))
    with running_server(["--config", str(path)], {"AIS_HOME": str(root / "home")}, root / "server.log",
                        ready_timeout=600) as url:
        yield url


def test_schemathesis_finds_no_5xx_and_no_schema_mismatch(server: str, tmp_path: Path) -> None:
    st = Path(sys.executable).parent / "st"
    command = [str(st), "run", f"{server}/openapi.json", "-H", f"Authorization: Bearer {KEY}", "--checks", CHECKS,
               "--max-examples", "5", "--max-time", "240", "--seed", "7", "--no-shrink", "--request-timeout", "90",
               "--workers", "1", "--no-color"]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=420, cwd=tmp_path)
    summary = done.stdout[-6000:]
    assert done.returncode == 0, summary
    assert " passed" in summary and "failure" not in summary.split("SUMMARY")[-1].lower(), summary

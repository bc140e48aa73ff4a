"""A served deployment on the PostgreSQL backend: the gateway's shadow log and monitoring windows land in
the database, not under the state dir. Needs the serving wiring of docs/state.md (``state_database``)."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from core.state import Database
from serving.config import DeploymentConfig, hash_key
from serving.monitoring.store import monitor_store
from serving.shadow import shadow_log
from tests.serving.server import running_server, toy_plugin

pytestmark = pytest.mark.server
KEY = "key-tenant-a"
URL_ENV = "AIS_TEST_DATABASE_URL"


def test_shadow_and_monitoring_of_a_served_deployment_go_to_postgresql(database: Database, tmp_path: Path) -> None:
    import serving.runtime

    if "state" not in DeploymentConfig.model_fields:
        pytest.skip("the deployment file's state: section comes with the issue-22k branch (ais deploy k8s)")
    if not hasattr(serving.runtime, "state_database"):
        pytest.skip("serving does not pass the state database yet (the wiring in docs/state.md)")
    for name in ("v1", "v3"):
        (tmp_path / f"{name}.txt").write_text(name)
    client = f"served-{int(time.time() * 1000)}"
    config = {"client": client, "state_dir": str(tmp_path / "state"),
              "state": {"backend": "postgresql", "url_env": URL_ENV},
              "tasks": {"toytext": {"traffic": {"live": str(tmp_path / "v1.txt"), "shadow": str(tmp_path / "v3.txt")}}},
              "keys": [{"tenant": "a", "sha256": hash_key(KEY)}]}
    path = tmp_path / "client.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {"PYTHONPATH": toy_plugin(tmp_path / "plugin"), "AIS_HOME": str(tmp_path / "home"),
           "BENTOML_HOME": str(tmp_path / "bentoml"), URL_ENV: database.url}
    log = shadow_log(tmp_path / "state", client, database)
    with running_server(["--config", str(path)], env, tmp_path / "server.log") as url, \
            httpx.Client(timeout=30) as http:
        for i in range(10):
            r = http.post(f"{url}/toytext", json={"text": "x"},
                          headers={"Authorization": f"Bearer {KEY}", "X-Caller-Id": f"c{i}"})
            assert r.status_code == 200, r.text
        deadline = time.monotonic() + 20
        while len(log.entries("toytext")) < 10 and time.monotonic() < deadline:
            time.sleep(0.2)
        summary = http.get(f"{url}/v1/monitoring?since=1d", headers={"Authorization": f"Bearer {KEY}"})
        assert summary.status_code == 200, summary.text
    entries = log.entries("toytext")
    assert len(entries) == 10 and all(e["shadow"][0]["label"] == "v3" for e in entries)
    assert not (tmp_path / "state" / "shadow").exists()
    windows = monitor_store(tmp_path / "state", client, database).windows(0)
    assert sum(w.requests for w in windows if w.task == "toytext") == 10
    out = subprocess.run([sys.executable, "-m", "core.cli", "models", "compare", "toytext", "--config", str(path)],
                         env={**__import__("os").environ, **env}, capture_output=True, text=True, timeout=120,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["pairs"] == 10

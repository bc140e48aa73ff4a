"""`ais build` produces a bento for a client's deployment; `bentoml serve` of it answers offline."""
from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
import yaml

from serving.config import hash_key
from tests.serving.server import running_server, toy_plugin

pytestmark = pytest.mark.server


def test_build_then_serve_the_bento(tmp_path) -> None:
    config = {"client": "bento-test", "tasks": {"toytext": {}}, "keys": [{"tenant": "t", "sha256": hash_key("k")}]}
    path = tmp_path / "client.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {"PYTHONPATH": toy_plugin(tmp_path / "plugin"), "BENTOML_HOME": str(tmp_path / "bentoml"),
           "AIS_HOME": str(tmp_path / "home")}
    out = subprocess.run([sys.executable, "-m", "core.cli", "build", "--config", str(path), "--output",
                          str(tmp_path / "build")], env={**os.environ, **env}, check=False, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    tag = out.stdout.strip().splitlines()[-1]
    assert tag.startswith("ais-bento-test:")
    serve_env = {k: v for k, v in env.items()}
    with running_server([tag], {**serve_env, "AIS_CONFIG": ""}, tmp_path / "serve.log",
                        command=[sys.executable, "-m", "bentoml", "serve"]) as url:
        r = httpx.post(f"{url}/toytext", json={"text": "offline"}, headers={"Authorization": "Bearer k"})
        assert r.status_code == 200 and r.json()["result"]["length"] == 7

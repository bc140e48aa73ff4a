"""`ais models import/list/promote/canary/shadow/rollback` on a model store and a deployment file."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from serving.config import hash_key


def _ais(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core.cli", *args], env={**os.environ, **env},
                          check=False, capture_output=True, text=True, timeout=120)


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    return {"BENTOML_HOME": str(tmp_path / "bentoml"), "AIS_HOME": str(tmp_path / "home")}


def test_import_list_and_traffic_changes(tmp_path: Path, env: dict[str, str]) -> None:
    weights = tmp_path / "head.pt"
    weights.write_bytes(b"weights-v2")
    out = _ais(env, "models", "import", "sentiment", str(weights), "--version", "v2", "--note", "retrained")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "sentiment:v2"
    listing = _ais(env, "models", "list", "sentiment").stdout
    assert "sentiment:v2" in listing and "retrained" in listing

    config = tmp_path / "client.yaml"
    config.write_text(yaml.safe_dump({"client": "c", "tasks": {"sentiment": {}},
                                      "keys": [{"tenant": "t", "sha256": hash_key("k")}]}))
    assert _ais(env, "models", "promote", "sentiment", "sentiment:v2", "--config", str(config)).returncode == 0
    traffic = yaml.safe_load(config.read_text())["tasks"]["sentiment"]["traffic"]
    assert traffic["live"] == "sentiment:v2" and traffic["history"] == ["default"]

    unknown = _ais(env, "models", "canary", "sentiment", "sentiment:v9", "--percent", "10", "--config", str(config))
    assert unknown.returncode != 0 and "not in the model store" in unknown.stderr
    wrong_task = _ais(env, "models", "shadow", "sentiment", "ocr:v1", "--config", str(config))
    assert wrong_task.returncode != 0 and "is not a sentiment model" in wrong_task.stderr

    assert _ais(env, "models", "rollback", "sentiment", "--config", str(config)).returncode == 0
    traffic = yaml.safe_load(config.read_text())["tasks"]["sentiment"]["traffic"]
    assert traffic["live"] == "default" and traffic["history"] == []
    nothing = _ais(env, "models", "rollback", "sentiment", "--config", str(config))
    assert nothing.returncode != 0 and "nothing to roll back" in nothing.stderr


def test_store_tag_resolves_to_the_imported_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENTOML_HOME", str(tmp_path / "bentoml"))
    from core.weights import resolve_weights
    from serving.store import import_weights

    weights = tmp_path / "w.bin"
    weights.write_bytes(b"abc")
    tag = import_weights("ocr", weights, version="v1")
    assert resolve_weights(tag, "default").read_bytes() == b"abc"

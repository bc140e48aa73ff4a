"""The commands that read a deployment's state, on both backends: ``ais monitor reference/drift`` and
``ais models compare`` follow the deployment file's ``state:`` section."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from serving.cli import models_app
from serving.config import DeploymentConfig
from serving.monitoring.cli import app as monitor_app
from serving.monitoring.store import monitor_store
from serving.shadow import shadow_log
from tests.serving.monitoring.conftest import records
from tests.state.conftest import Backend

runner = CliRunner()
URL_ENV = "AIS_TEST_DATABASE_URL"


def _config(backend: Backend, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    data: dict[str, object] = {"client": backend.client, "tasks": {"sentiment": {}},
                               "state_dir": str(backend.state_root)}
    if backend.database is not None:
        if "state" not in DeploymentConfig.model_fields:
            pytest.skip("the deployment file's state: section comes with the issue-22k branch (ais deploy k8s)")
        data["state"] = {"backend": "postgresql", "url_env": URL_ENV}
        monkeypatch.setenv(URL_ENV, backend.database.url)  # type: ignore[attr-defined]
    path = tmp_path / "client.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _ok(app: object, args: list[str]) -> str:
    result = runner.invoke(app, args)  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.stdout


def test_monitor_reference_goes_to_the_configured_backend(backend: Backend, monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    config = _config(backend, monkeypatch, tmp_path)
    table = tmp_path / "train.csv"
    pd.DataFrame(records(200)).to_csv(table, index=False)
    _ok(monitor_app, ["reference", "--task", "sentiment", "--version", "v1", "--data", str(table),
                      "--config", str(config)])
    stored = monitor_store(backend.state_root, backend.client, backend.database)  # type: ignore[arg-type]
    reference = stored.reference("sentiment", "v1")
    assert reference is not None and reference.items == 200
    stored.close()


def test_models_compare_reads_the_configured_shadow_log(backend: Backend, monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    config = _config(backend, monkeypatch, tmp_path)
    log = shadow_log(backend.state_root, backend.client, backend.database)  # type: ignore[arg-type]
    for live, shadow in (("pos", "pos"), ("pos", "neg")):
        log.append("sentiment", {"ts": 1.0, "request_id": "r", "task": "sentiment", "live_version": "v1",
                                 "shadow_version": "v2", "live": [{"label": live}], "shadow": [{"label": shadow}],
                                 "error": None})
    out = _ok(models_app, ["compare", "sentiment", "--config", str(config)])
    assert '"pairs": 2' in out and '"label_agreement": 0.5' in out

"""The gateway over HTTP on 127.0.0.1: keys, limits, error codes, metrics, canary, rollback, shadow.

Runs ``ais serve --config`` with two tenants and two (toy) tasks, exactly as a client deployment.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from PIL import Image

from serving.config import hash_key
from tests.serving.server import running_server, toy_plugin

pytestmark = pytest.mark.server

KEY_A, KEY_B = "key-tenant-a", "key-tenant-b"


def _png(size: tuple[int, int] = (32, 24)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("deploy")
    (root / "v1.txt").write_text("v1")
    (root / "v2.txt").write_text("v2")
    (root / "v3.txt").write_text("v3")
    config = {
        "client": "acme",
        "tasks": {"toytext": {"traffic": {"live": str(root / "v1.txt")}}, "toyimage": {}},
        "keys": [{"tenant": "a", "sha256": hash_key(KEY_A)}, {"tenant": "b", "sha256": hash_key(KEY_B)}],
        "limits": {"max_bytes": 200_000, "max_batch_items": 8},
        "state_dir": str(root / "state"),
    }
    path = root / "client.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {"PYTHONPATH": toy_plugin(root / "plugin"), "AIS_HOME": str(root / "home"),
           "BENTOML_HOME": str(root / "bentoml")}
    return {"root": root, "path": path, "env": env}


@pytest.fixture(scope="module")
def server(deployment: dict) -> str:
    with running_server(["--config", str(deployment["path"])], deployment["env"],
                        deployment["root"] / "server.log") as url:
        yield url


def _ais(deployment: dict, *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "core.cli", *args], env={**__import__("os").environ,
                         **deployment["env"]}, check=False, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def auth(key: str = KEY_A, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **extra}


def test_health_needs_no_key(server: str) -> None:
    assert httpx.get(f"{server}/readyz").status_code == 200
    assert httpx.get(f"{server}/livez").status_code == 200


def test_key_required(server: str) -> None:
    r = httpx.post(f"{server}/toytext", json={"text": "hi"})
    assert r.status_code == 401 and r.json()["error"] == "Unauthorized" and r.json()["request_id"]
    assert httpx.post(f"{server}/toytext", json={"text": "hi"}, headers=auth("wrong")).status_code == 401
    r = httpx.post(f"{server}/toytext", json={"text": "hi"}, headers={"X-API-Key": KEY_B})
    assert r.status_code == 200


def test_ok_answers_say_which_version(server: str, deployment: dict) -> None:
    r = httpx.post(f"{server}/toytext", json={"text": "hello"}, headers=auth())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["result"] == {"length": 5, "label": "v1"} and body["role"] == "live"
    assert r.headers["x-model-version"] == body["version"] and r.headers["x-request-id"] == body["request_id"]
    r = httpx.post(f"{server}/toyimage", files={"image": ("a.png", _png(), "image/png")}, headers=auth())
    assert r.status_code == 200 and r.json()["result"]["width"] == 32


def test_error_codes(server: str) -> None:
    big = httpx.post(f"{server}/toyimage", content=b"\0" * 300_000, headers=auth(**{"Content-Type": "image/png"}))
    assert big.status_code == 413, big.text
    assert big.json()["error"] == "PayloadTooLarge"
    not_image = httpx.post(f"{server}/toyimage", files={"image": ("a.txt", b"plain text", "text/plain")},
                           headers=auth())
    assert not_image.status_code == 415 and "not an image" in not_image.json()["detail"]["message"]
    malformed = httpx.post(f"{server}/toytext", content=b"{not json", headers=auth(**{"Content-Type": "application/json"}))
    assert malformed.status_code == 422
    wrong_shape = httpx.post(f"{server}/toytext", json={"txt": "x"}, headers=auth())
    assert wrong_shape.status_code == 422
    empty = httpx.post(f"{server}/toytext", json={"text": "   "}, headers=auth())
    assert empty.status_code == 400 and "empty" in empty.json()["detail"]["message"]
    truncated = httpx.post(f"{server}/toyimage", content=_png((64, 64))[:80], headers=auth(**{"Content-Type": "image/png"}))
    assert truncated.status_code == 400
    missing = httpx.post(f"{server}/nosuchtask", json={}, headers=auth())
    assert missing.status_code == 404


def test_batch_isolates_a_bad_item(server: str) -> None:
    files = [("images", ("a.png", _png(), "image/png")), ("images", ("b.png", _png((8, 8)), "image/png"))]
    r = httpx.post(f"{server}/toyimage/batch", files=files, headers=auth())
    assert r.status_code == 200 and [x["width"] for x in r.json()["results"]] == [32, 8]
    too_many = httpx.post(f"{server}/toytext/batch", json={"texts": ["a"] * 9}, headers=auth())
    assert too_many.status_code == 413


def test_metrics_count_requests_by_status(server: str) -> None:
    text = httpx.get(f"{server}/metrics").text
    for status in ("200", "401", "413", "415", "422"):
        assert f'status="{status}"' in text, status
    assert "ais_request_latency_seconds_bucket" in text and "ais_model_batch_size" in text


def _labels(server: str, n: int, prefix: str) -> list[str]:
    labels = []
    with httpx.Client(timeout=30) as client:
        for i in range(n):
            r = client.post(f"{server}/toytext", json={"text": "x"}, headers=auth(**{"X-Caller-Id": f"{prefix}{i}"}))
            assert r.status_code == 200, r.text
            labels.append(r.json()["result"]["label"])
    return labels


def _reload_pause() -> None:
    time.sleep(1.2)  # the gateway re-reads the deployment file at most every 0.5 s


def test_canary_share_then_rollback(server: str, deployment: dict) -> None:
    path, root = str(deployment["path"]), deployment["root"]
    _ais(deployment, "models", "canary", "toytext", str(root / "v2.txt"), "--percent", "20", "--config", path)
    _reload_pause()
    labels = _labels(server, 1000, "caller-")
    share = labels.count("v2") / len(labels)
    assert 0.15 <= share <= 0.25, share
    _ais(deployment, "models", "rollback", "toytext", "--config", path)
    _reload_pause()
    assert set(_labels(server, 200, "caller-")) == {"v1"}


def test_promote_and_rollback_restore_exactly(server: str, deployment: dict) -> None:
    path, root = str(deployment["path"]), deployment["root"]
    _ais(deployment, "models", "promote", "toytext", str(root / "v2.txt"), "--config", path)
    _reload_pause()
    assert set(_labels(server, 20, "p-")) == {"v2"}
    _ais(deployment, "models", "rollback", "toytext", "--config", path)
    _reload_pause()
    assert set(_labels(server, 20, "p-")) == {"v1"}
    assert yaml.safe_load(Path(path).read_text())["tasks"]["toytext"]["traffic"]["live"] == str(root / "v1.txt")


def test_shadow_logs_every_request_and_never_answers(server: str, deployment: dict) -> None:
    path, root = str(deployment["path"]), deployment["root"]
    _ais(deployment, "models", "shadow", "toytext", str(root / "v3.txt"), "--config", path)
    _reload_pause()
    labels = _labels(server, 30, "s-")
    assert set(labels) == {"v1"}
    log = root / "state" / "shadow" / "acme" / "toytext.jsonl"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (not log.exists() or len(log.read_text().splitlines()) < 30):
        time.sleep(0.2)
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(entries) == 30
    assert all(e["shadow"][0]["label"] == "v3" and e["live"][0]["label"] == "v1" for e in entries)
    report = json.loads(_ais(deployment, "models", "compare", "toytext", "--config", path))
    assert report["pairs"] == 30 and report["means"]["label_agreement"] == 0.0
    _ais(deployment, "models", "shadow", "toytext", "--config", path)


def test_monitoring_summary_counts_requests_and_rejections(server: str) -> None:
    r = httpx.get(f"{server}/v1/monitoring?since=1d", headers=auth())
    assert r.status_code == 200, r.text
    windows = [w for w in r.json()["windows"] if w["task"] == "toytext"]
    assert sum(w["quality"]["requests"] for w in windows) > 0
    assert any(w["quality"]["rejected_rate"] > 0 for w in windows)
    assert httpx.get(f"{server}/v1/monitoring?since=soon", headers=auth()).status_code == 400
    assert httpx.get(f"{server}/v1/monitoring").status_code == 401


def test_concurrent_callers_all_answered(server: str, deployment: dict) -> None:
    """16 concurrent callers through gateway and task service: no request may fail (it once gave 500s).

    Nor may a connection to the task service drop: BentoML's client renewed its pool every 100
    requests by closing the old one under requests in flight (retried, or a 500 when the closed
    pool was picked up before the request went out).
    """
    from concurrent.futures import ThreadPoolExecutor

    log = deployment["root"] / "server.log"
    dropped_before = log.read_text(errors="replace").count("dropped; retrying")

    def one(i: int) -> int:
        with httpx.Client(timeout=60) as client:
            return client.post(f"{server}/toytext", json={"text": f"caller {i}"},
                               headers=auth(**{"X-Caller-Id": f"c{i}"})).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(one, range(320)))
    assert statuses.count(200) == len(statuses), {s: statuses.count(s) for s in set(statuses)}
    assert log.read_text(errors="replace").count("dropped; retrying") == dropped_before

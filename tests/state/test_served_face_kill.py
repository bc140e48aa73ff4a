"""SIGKILL of the face task service in the middle of a stream of enrollments (PostgreSQL backend): after a
restart every acknowledged enrollment is present with its embedding, and no half-written person exists."""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
import yaml

from core.state import Database
from serving.config import hash_key
from tests.serving.server import running_server

pytestmark = [pytest.mark.server, pytest.mark.slow]
KEY = "key-kill"
URL_ENV = "AIS_TEST_DATABASE_URL"


def _face_worker(server_pid: int) -> int:
    import psutil

    for child in psutil.Process(server_pid).children(recursive=True):
        if "ais-face" in " ".join(child.cmdline()):
            return child.pid
    raise AssertionError("no ais-face worker process under the server")


def _server_pid(url: str) -> int:
    import psutil

    port = int(url.rsplit(":", 1)[1])
    for conn in psutil.net_connections("tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
            proc = psutil.Process(conn.pid)
            while proc.parent() is not None and "bentoml" in " ".join(proc.parent().cmdline()):
                proc = proc.parent()
            return proc.pid
    raise AssertionError(f"nothing listens on {url}")


def test_sigkill_of_the_face_service_keeps_every_acknowledged_enrollment(database: Database, shared_data: Path,
                                                                        tmp_path: Path) -> None:
    from vision.face.spec import SPEC

    if not SPEC.weights_status().available:
        pytest.skip("face weights are not installed")
    photo = (shared_data / "faces/knn/train/obama/obama.jpg").read_bytes()
    client = f"kill-{int(time.time() * 1000)}"
    config = {"client": client, "state_dir": str(tmp_path / "state"), "tasks": {"face": {}},
              "state": {"backend": "postgresql", "url_env": URL_ENV}, "limits": {"timeout_s": 60},
              "keys": [{"tenant": "a", "sha256": hash_key(KEY)}]}
    path = tmp_path / "client.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {"AIS_HOME": str(tmp_path / "home"), URL_ENV: database.url}
    headers = {"Authorization": f"Bearer {KEY}"}
    acknowledged: list[str] = []
    stop = threading.Event()

    def stream(url: str) -> None:
        with httpx.Client(timeout=120, headers=headers) as http:
            for n in range(40):
                if stop.is_set():
                    return
                try:
                    r = http.post(f"{url}/face/persons", files={"image": ("o.jpg", photo, "image/jpeg")},
                                  data={"name": f"person {n}", "person_id": f"p{n}"})
                except httpx.HTTPError:
                    continue  # the service died under this request: not acknowledged
                if r.status_code == 200:
                    acknowledged.append(r.json()["result"]["person"]["person_id"])

    with running_server(["--config", str(path)], env, tmp_path / "first.log", ready_timeout=600) as url:
        writer = threading.Thread(target=stream, args=(url,), daemon=True)
        writer.start()
        deadline = time.monotonic() + 300
        while len(acknowledged) < 3:
            assert time.monotonic() < deadline, "no enrollments acknowledged"
            time.sleep(0.05)
        os.kill(_face_worker(_server_pid(url)), signal.SIGKILL)  # mid-stream: the next enrollment is in flight
        stop.set()
        writer.join(timeout=180)
    assert acknowledged
    with running_server(["--config", str(path)], env, tmp_path / "second.log", ready_timeout=600) as url, \
            httpx.Client(timeout=120, headers=headers) as http:
        for person_id in acknowledged:
            r = http.get(f"{url}/face/persons/{person_id}")
            assert r.status_code == 200 and r.json()["result"]["n_embeddings"] == 1, (person_id, r.text)
        persons = http.get(f"{url}/face/persons", params={"limit": 1000}).json()["result"]["persons"]
        assert all(p["n_embeddings"] >= 1 for p in persons)  # no person without its embedding
        assert set(acknowledged) <= {p["person_id"] for p in persons}

"""Two served replicas of the face task on one PostgreSQL database (two ``ais serve`` processes, each with its
own pool and its own state dir): an enrollment acknowledged by replica A is found by replica B's next identify,
and a deletion through B is gone from A."""
from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import yaml

from core.state import Database
from serving.config import DeploymentConfig, hash_key
from tests.serving.server import running_server

pytestmark = [pytest.mark.server, pytest.mark.slow]
KEY = "key-tenant-a"
URL_ENV = "AIS_TEST_DATABASE_URL"


def test_two_served_face_replicas_share_the_gallery(database: Database, shared_data: Path, tmp_path: Path) -> None:
    from vision.face.spec import SPEC

    if "state" not in DeploymentConfig.model_fields:
        pytest.skip("the deployment file's state: section is not on this branch")
    if not SPEC.weights_status().available:
        pytest.skip("face weights are not installed")
    client = f"faces-{int(time.time() * 1000)}"
    photo = (shared_data / "faces/knn/train/obama/obama.jpg").read_bytes()
    probe = (shared_data / "faces/knn/test/obama1.jpg").read_bytes()
    headers = {"Authorization": f"Bearer {KEY}"}
    urls = []
    with ExitStack() as stack:
        for name in ("a", "b"):
            config = {"client": client, "state_dir": str(tmp_path / name / "state"), "tasks": {"face": {}},
                      "state": {"backend": "postgresql", "url_env": URL_ENV},
                      "keys": [{"tenant": "a", "sha256": hash_key(KEY)}]}
            path = tmp_path / f"{name}.yaml"
            path.write_text(yaml.safe_dump(config))
            env = {"AIS_HOME": str(tmp_path / name / "home"), URL_ENV: database.url}
            urls.append(stack.enter_context(running_server(["--config", str(path)], env, tmp_path / f"{name}.log",
                                                           ready_timeout=600)))
        a, b = urls
        http = stack.enter_context(httpx.Client(timeout=300, headers=headers))

        def identify(url: str) -> str:
            r = http.post(f"{url}/face/identify", files={"image": ("p.jpg", probe, "image/jpeg")})
            assert r.status_code == 200, r.text
            return str(r.json()["result"]["faces"][0]["decision"])

        assert identify(b) == "unknown"  # B has built its (empty) index before A writes
        r = http.post(f"{a}/face/persons", files={"image": ("o.jpg", photo, "image/jpeg")},
                      data={"name": "Barack Obama", "person_id": "obama"})
        assert r.status_code == 200, r.text
        assert identify(b) == "obama"
        assert http.get(f"{b}/face/persons/obama").status_code == 200
        assert http.delete(f"{b}/face/persons/obama").status_code == 200
        assert identify(a) == "unknown"
        assert http.get(f"{a}/face/persons/obama").status_code == 404
    assert not list((tmp_path / "a" / "state").rglob("*.db"))  # nothing went to an embedded gallery file

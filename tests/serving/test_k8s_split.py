"""The container commands `ais deploy k8s` renders work: each task service alone, the gateway reaching them.

Runs the rendered ``args`` as BentoML's image entrypoint would (``python -m bentoml_cli._internal.start
ARGS BENTO``), on 127.0.0.1 with free ports in place of the Service addresses, for the toy tasks.
"""
from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import yaml
from PIL import Image

from core import registry
from serving.config import hash_key, parse_config
from serving.k8s import RenderOptions, render
from tests.serving.server import free_port, running_server, toy_plugin

pytestmark = pytest.mark.server
ENTRYPOINT = [sys.executable, "-m", "bentoml_cli._internal.start"]
BENTO = "serving.gateway:Gateway"  # in the image: $BENTO_PATH, whose bento.yaml names this service


def _args(deployment: dict, addresses: dict[str, str]) -> list[str]:
    """The rendered args with --host/--port left to running_server and Service URLs replaced."""
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    out, skip = [], 0
    for index, arg in enumerate(args):
        if skip:
            skip -= 1
            continue
        if arg in ("--host", "--port"):
            skip = 1
            continue
        if index and args[index - 1] == "--depends":
            name, _, url = arg.partition("=")
            arg = f"{name}={addresses[url]}"
        out.append(arg)
    return out


def _env(deployment: dict, root: Path, config_path: Path) -> dict[str, str]:
    """The container's environment, with its mount paths moved under ``root`` (values from Secrets left out)."""
    moves = {"/etc/ais/deployment.yaml": str(config_path), "/var/lib/ais": str(root / "state"), "/tmp": str(root / "tmp")}
    out = {}
    for entry in deployment["spec"]["template"]["spec"]["containers"][0]["env"]:
        if "value" in entry:
            value = entry["value"]
            old = next((prefix for prefix in moves if value.startswith(prefix)), None)
            out[entry["name"]] = moves[old] + value[len(old):] if old else value
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    (root / "state").mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture
def toy_tasks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The toy tasks registered in this process too (the config names them); yields the child PYTHONPATH."""
    path = toy_plugin(tmp_path / "plugin")
    for folder in reversed(path.split(os.pathsep)):
        monkeypatch.syspath_prepend(folder)
    registry._task_entry_points.cache_clear()
    yield os.pathsep.join([str(Path.cwd()), path])
    registry._task_entry_points.cache_clear()


def test_task_services_alone_and_the_gateway_by_address(tmp_path: Path, toy_tasks: str) -> None:
    data = {"client": "split", "tasks": {"toytext": {}, "toyimage": {}}, "keys": [{"tenant": "t", "sha256": hash_key("k")}]}
    config_path = tmp_path / "client.yaml"
    config_path.write_text(yaml.safe_dump(data))
    docs = render(parse_config(data), RenderOptions(image="r/ais-split:1")).objects()
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    base = {"PYTHONPATH": toy_tasks}
    with ExitStack() as stack:
        addresses = {}
        for task in ("toytext", "toyimage"):
            name = f"ais-split-{task}"
            env = {**base, **_env(deployments[name], tmp_path / task, config_path)}  # as in the pod
            url = stack.enter_context(running_server(
                [BENTO], env, tmp_path / f"{task}.log",
                command=[*ENTRYPOINT, *_args(deployments[name], {})]))
            addresses[f"http://{name}:3000"] = url
        gateway_args = _args(deployments["ais-split-gateway"], addresses)
        gateway = stack.enter_context(running_server(
            [BENTO], {**base, **_env(deployments["ais-split-gateway"], tmp_path / "gateway", config_path)},
            tmp_path / "gateway.log", command=[*ENTRYPOINT, *gateway_args]))
        headers = {"Authorization": "Bearer k"}
        text = httpx.post(f"{gateway}/toytext", json={"text": "split"}, headers=headers, timeout=60)
        assert text.status_code == 200 and text.json()["result"]["length"] == 5
        png = io.BytesIO()
        Image.new("RGB", (7, 5)).save(png, "PNG")  # bytes that are not UTF-8 cross the wire intact
        image = httpx.post(f"{gateway}/toyimage", content=png.getvalue(), timeout=60,
                           headers={**headers, "Content-Type": "image/png"})
        assert image.status_code == 200 and image.json()["result"]["width"] == 7
        # the task services answered in their own servers (the gateway started no local copy): each
        # counted one /predict in its own metrics (task services keep no access log; the gateway does)
        for task in ("toytext", "toyimage"):
            metrics = httpx.get(f"{addresses[f'http://ais-split-{task}:3000']}/metrics", timeout=30).text
            assert re.search(r'request_total\{[^}]*endpoint="/predict"[^}]*http_response_code="200"[^}]*\} 1\.0',
                             metrics), metrics[-2000:]
    # state and caches went where the pod mounts its volumes (here moved under tmp_path), nowhere else
    assert (tmp_path / "gateway" / "tmp" / "bentoml").is_dir()
    assert any((tmp_path / "gateway" / "state").iterdir())


def test_gateway_is_ready_without_its_tasks_and_answers_503_for_a_missing_one(tmp_path: Path, toy_tasks: str) -> None:
    """Readiness does not wait for every task service; a task with no pod answers 503, not 500."""
    data = {"client": "split", "tasks": {"toytext": {}}, "keys": [{"tenant": "t", "sha256": hash_key("k")}]}
    config_path = tmp_path / "client.yaml"
    config_path.write_text(yaml.safe_dump(data))
    docs = render(parse_config(data), RenderOptions(image="r/ais-split:1")).objects()
    gateway = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "ais-split-gateway")
    nobody = f"http://127.0.0.1:{free_port()}"  # no task service listens there
    args = _args(gateway, {"http://ais-split-toytext:3000": nobody})
    env = {"PYTHONPATH": toy_tasks, **_env(gateway, tmp_path / "gateway", config_path)}
    with running_server([BENTO], env, tmp_path / "gateway.log",
                        ready_timeout=120, command=[*ENTRYPOINT, *args]) as url:
        answer = httpx.post(f"{url}/toytext", json={"text": "x"}, headers={"Authorization": "Bearer k"}, timeout=60)
        assert answer.status_code == 503, answer.text

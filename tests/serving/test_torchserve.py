"""`ais export torchserve` writes a .mar; TorchServe on 127.0.0.1 answers what the in-process task answers."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from core.registry import get_spec
from tests.serving.server import free_port

pytestmark = [pytest.mark.server, pytest.mark.slow]
TASK = "sentiment"
TEXTS = ["An utterly charming, funny and moving film.", "A dull, lifeless and badly written mess."]


def _torchserve() -> str:
    exe = shutil.which("torchserve") or str(Path(sys.executable).with_name("torchserve"))
    if not Path(exe).exists() or shutil.which("java") is None:
        pytest.skip("torchserve (pip extra 'torchserve') and Java 17 are needed")
    return exe


def test_mar_served_by_torchserve_matches_in_process(tmp_path: Path) -> None:
    exe = _torchserve()
    spec = get_spec(TASK)
    if not spec.weights_status().available:
        pytest.skip(f"{TASK} weights unavailable")
    store = tmp_path / "store"
    out = subprocess.run([sys.executable, "-m", "core.cli", "export", "torchserve", TASK, "--output", str(store)],
                         check=False, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert (store / f"{TASK}.mar").is_file()

    ports = [free_port() for _ in range(5)]
    config = tmp_path / "config.properties"
    config.write_text("\n".join([
        f"inference_address=http://127.0.0.1:{ports[0]}",
        f"management_address=http://127.0.0.1:{ports[1]}",
        f"metrics_address=http://127.0.0.1:{ports[2]}",
        f"grpc_inference_port={ports[3]}",
        f"grpc_management_port={ports[4]}",
        "grpc_inference_address=127.0.0.1",
        "grpc_management_address=127.0.0.1",
        "default_workers_per_model=1",
        "disable_token_authorization=true",
        f"model_store={store}",
    ]))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "LOG_LOCATION": str(tmp_path / "logs"),
           "METRICS_LOCATION": str(tmp_path / "logs")}
    log = (tmp_path / "torchserve.log").open("wb")
    process = subprocess.Popen([exe, "--start", "--foreground", "--ncs", "--disable-token-auth", "--ts-config",
                                str(config), "--model-store", str(store), "--models", f"{TASK}={TASK}.mar"],
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                               cwd=tmp_path)
    base = f"http://127.0.0.1:{ports[0]}"
    try:
        deadline = time.monotonic() + 300
        answers = None
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "torchserve.log").read_text()[-3000:]
            try:
                answers = [httpx.post(f"{base}/predictions/{TASK}", content=t.encode(), timeout=60) for t in TEXTS]
                if all(a.status_code == 200 for a in answers):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(2)
        assert answers and all(a.status_code == 200 for a in answers), (tmp_path / "torchserve.log").read_text()[-3000:]
        served = [a.json() for a in answers]
        local = [r.model_dump(mode="json") for r in spec.create(device="cpu").load().predict(TEXTS)]
        assert [s["label"] for s in served] == [x["label"] for x in local]
        for s, x in zip(served, local, strict=True):
            for key, value in x.items():
                if isinstance(value, float):
                    assert abs(s[key] - value) < 1e-4, key
        bad = httpx.post(f"{base}/predictions/{TASK}", content=b"   ", timeout=60)
        assert bad.status_code == 400
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
        log.close()

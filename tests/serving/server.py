"""Start ``ais serve`` on a free 127.0.0.1 port for a test, wait until ready, always stop it."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
TOY = Path(__file__).resolve().parent / "toy"

ENTRY_POINTS = """\
[ais.tasks]
toyimage = toy_ais_tasks:IMAGE_SPEC
toytext = toy_ais_tasks:TEXT_SPEC

[ais.services]
toyimage = toy_ais_services:ToyImageService
toytext = toy_ais_services:ToyTextService
"""


def toy_plugin(folder: Path) -> str:
    """Install the toy tasks as a plugin visible to a child process; returns its PYTHONPATH."""
    dist = folder / "toy_ais-0.1.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-ais\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(ENTRY_POINTS)
    return os.pathsep.join([str(folder), str(TOY)])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(args: list[str], env: dict[str, str], log_path: Path, ready_timeout: float = 240,
                   command: list[str] | None = None) -> Iterator[str]:
    """``ais serve ARGS`` (or ``COMMAND --port P``) in its own process group; yields the base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [*(command or [sys.executable, "-m", "core.cli", "serve"]), "--host", "127.0.0.1", "--port", str(port), *args]
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv,
                                   env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, cwd=REPO)
        try:
            deadline = time.monotonic() + ready_timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"server exited early:\n{log_path.read_text()[-4000:]}")
                try:
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server not ready in {ready_timeout}s:\n{log_path.read_text()[-4000:]}")
                time.sleep(0.5)
            yield url
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Stop the server's whole process group (it was started in its own session)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)

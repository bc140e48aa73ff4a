"""A real multi-node Ray cluster on 127.0.0.1 for tests: each node its own temp dir, stopped by PID at the end.

``ray stop`` would stop every Ray process of this user on the machine (other people's too), so the
nodes are stopped through the processes whose command line names their temp dirs, and their children.
"""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RAY = str(Path(sys.executable).parent / "ray")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def node_env(token: str) -> dict[str, str]:
    """The environment of the nodes, ``ais batch`` and helper drivers: this checkout first on the path, and
    token authentication with this cluster's own token (not the user's ~/.ray/auth_token, which other
    local clusters share)."""
    return {**os.environ, "PYTHONPATH": str(REPO), "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": token}


def _node_args(temp_dir: Path) -> list[str]:
    # unique ports: a second cluster (another test run, another user) must not collide on Ray's fixed defaults
    return ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--temp-dir", str(temp_dir), "--object-store-memory", str(100 * 1024 * 1024),
            "--dashboard-agent-listen-port", str(free_port()), "--disable-usage-stats"]


def stop_processes_under(dirs: list[Path]) -> list[int]:
    """SIGTERM (then SIGKILL) every process whose command line names one of ``dirs``, and their children."""
    import psutil

    marks = [str(d) for d in dirs]
    found: dict[int, psutil.Process] = {}
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            if any(mark in arg for arg in proc.info["cmdline"] or [] for mark in marks):
                found[proc.pid] = proc
                found.update({child.pid: child for child in proc.children(recursive=True)})
        except psutil.Error:
            continue
    for proc in found.values():
        try:
            proc.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(list(found.values()), timeout=15)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            pass
    return sorted(found)


def _ray_start(args: list[str], token: str, timeout: float) -> None:
    done = subprocess.run([RAY, "start", *args], env=node_env(token), timeout=timeout, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ray start {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")


@contextmanager
def two_node_cluster(timeout: float = 180) -> Iterator[tuple[str, dict[str, str]]]:
    """Start a head and a second node (1 CPU each); yield the head's address and the environment a driver
    needs to join; always stop both."""
    # short paths: Ray's unix sockets live under the temp dir and a socket path has at most 107 bytes
    root = Path(tempfile.mkdtemp(prefix="aisray-", dir="/tmp"))
    head, node = root / "h", root / "n"
    port = free_port()
    address = f"127.0.0.1:{port}"
    token = secrets.token_hex(32)
    try:
        _ray_start(["--head", "--port", str(port), "--include-dashboard=false", "--dashboard-port", str(free_port()),
                    *_node_args(head)], token, timeout)
        _ray_start(["--address", address, *_node_args(node)], token, timeout)
        yield address, node_env(token)
    finally:
        stop_processes_under([head, node])
        shutil.rmtree(root, ignore_errors=True)


# Run inside a separate driver: wait until the job has written a part, then SIGKILL one live worker
# actor of the job (found in the cluster's actor table) and print what was killed.
KILL_ONE_WORKER = """
import json, os, signal, sys, time
from pathlib import Path
import ray
import ray._private.state as state

address, parts, deadline = sys.argv[1], Path(sys.argv[2]), time.monotonic() + float(sys.argv[3])
ray.init(address=address, logging_level="ERROR", log_to_driver=False)
while time.monotonic() < deadline and not any(parts.glob("part-*.parquet")):
    time.sleep(0.05)
done = len(list(parts.glob("part-*.parquet")))
workers = [a for a in state.actors(actor_state_name="ALIVE").values() if "TaskPredictor" in a["ActorClassName"]]
if not workers or done == 0:
    print(json.dumps({"killed": None, "parts_before": done}))
    sys.exit(0)
victim = workers[0]
os.kill(victim["Pid"], signal.SIGKILL)
print(json.dumps({"killed": victim["Pid"], "node": victim["Address"]["NodeID"], "parts_before": done,
                  "workers": len(workers), "nodes": len({a["Address"]["NodeID"] for a in workers})}))
"""

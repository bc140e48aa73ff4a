"""The load generator against a tiny local HTTP server, the server-process lifecycle, and the served section end to end."""
from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from benchmarks.inprocess import Labels
from benchmarks.served import (
    HttpRequest,
    ServedPlan,
    ServerConfig,
    ServerProcess,
    builder_for,
    check_loopback,
    derived_ratios,
    image_bytes,
    load_measurements,
    run_load,
    served_benchmark,
)
from core.errors import ConfigError, InvalidInput
from tests.benchmarks.toy import SPEC

HERE = Path(__file__).parent


class _Handler(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Handler.seen.append({"path": self.path, "auth": self.headers.get("Authorization"),
                              "type": self.headers.get("Content-Type", ""), "body": body})
        status = 200 if self.path == "/ok" and self.headers.get("Authorization") == "Bearer k" else 500
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


@pytest.fixture()
def local_server() -> Iterator[str]:
    _Handler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_load_generator_is_bounded_and_counts(local_server: str) -> None:
    requests = [HttpRequest("/ok", json={"texts": ["a"]}), HttpRequest("/ok", json={"texts": ["b"]})]
    result = run_load(local_server, requests, concurrency=4, max_requests=25, max_seconds=30,
                      headers={"Authorization": "Bearer k"})
    assert result.sent == 25 and result.ok == 25 and result.error_count == 0
    assert len(_Handler.seen) == 25 and all(s["auth"] == "Bearer k" for s in _Handler.seen)
    assert {json.loads(s["body"])["texts"][0] for s in _Handler.seen} == {"a", "b"}
    ms = {m.metric: m for m in load_measurements(Labels("toy", "cpu", "fp32"), result, "batching=on")}
    assert ms["latency_p50"].n == 25 and ms["latency_p50"].concurrency == 4 and ms["latency_p50"].config == "batching=on"
    assert ms["errors"].value == 0 and ms["throughput"].unit == "requests/s"


class _ClosingHandler(_Handler):
    """Keeps HTTP/1.1 keep-alive in its headers but drops every connection after one answer, like a server
    whose idle keep-alive timeout passed between two requests."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        super().do_POST()
        self.close_connection = True


def test_load_generator_resends_on_a_connection_the_server_closed() -> None:
    _Handler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ClosingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = run_load(f"http://127.0.0.1:{server.server_address[1]}", [HttpRequest("/ok", json={})],
                          concurrency=1, max_requests=5, max_seconds=30, headers={"Authorization": "Bearer k"})
    finally:
        server.shutdown()
        server.server_close()
    assert result.ok == 5 and result.error_count == 0 and len(_Handler.seen) == 5


def test_load_generator_counts_errors_not_latencies(local_server: str) -> None:
    result = run_load(local_server, [HttpRequest("/fail", json={})], concurrency=2, max_requests=6, max_seconds=30)
    assert result.ok == 0 and result.errors["HTTP 500"] == 6
    ms = {m.metric: m for m in load_measurements(Labels("toy", "cpu", "fp32"), result, "x")}
    assert "latency_p50" not in ms and ms["error_rate"].value == 1.0


def test_load_generator_sends_multipart_images(local_server: str) -> None:
    from PIL import Image

    request = builder_for(type(SPEC)(**{**SPEC.__dict__, "name": "ocr"}))(Image.new("RGB", (8, 8)))
    assert request.path == "/ocr/batch" and request.files is not None
    run_load(local_server, [request], concurrency=1, max_requests=1, max_seconds=10)
    seen = _Handler.seen[0]
    assert seen["type"].startswith("multipart/form-data") and b'name="images"' in seen["body"] and b"PNG" in seen["body"]


def test_only_loopback_and_connection_errors_are_counted() -> None:
    with pytest.raises(InvalidInput):
        check_loopback("http://example.com:3000")
    with pytest.raises(InvalidInput):
        run_load("http://10.0.0.1:80", [HttpRequest("/x")], concurrency=1, max_requests=1, max_seconds=1)
    from benchmarks.served import free_port

    result = run_load(f"http://127.0.0.1:{free_port()}", [HttpRequest("/x")], concurrency=1, max_requests=2,
                      max_seconds=5, timeout_s=2)
    assert result.ok == 0 and result.error_count == 2 and "ConnectionRefusedError" in result.errors


def test_request_builders() -> None:
    assert builder_for(SPEC)("hello").json == {"texts": ["hello"]}
    assert image_bytes(b"raw") == b"raw"
    with pytest.raises(InvalidInput):
        image_bytes(object())


def test_derived_ratios() -> None:
    from benchmarks.schemas import Measurement

    def m(scenario: str, metric: str, value: float, c: int, config: str = "") -> Measurement:
        return Measurement(task="t", scenario=scenario, metric=metric, value=value, unit="x", device="cpu",
                           precision="fp32", concurrency=c, config=config, n=10)

    out = {d.metric: d for d in derived_ratios([
        m("served", "latency_p50", 12.0, 1, "batching=on"), m("served_reference", "latency_p50", 8.0, 1),
        m("served", "throughput", 90.0, 16, "batching=on"), m("served", "throughput", 30.0, 16, "batching=off")])}
    assert out["served_over_inprocess_p50"].value == 1.5
    assert out["batching_throughput_gain"].value == 3.0 and out["batching_throughput_gain"].concurrency == 16
    assert "failed" not in out["batching_throughput_gain"].config
    with_errors = derived_ratios([m("served", "throughput", 1.0, 16, "batching=on"),
                                  m("served", "throughput", 2.0, 16, "batching=off"),
                                  m("served", "errors", 15.0, 16, "batching=on")])
    assert "failed requests: batching=on 15/10" in with_errors[0].config
    overhead = {d.metric: d for d in derived_ratios([m("served", "latency_p50", 10.5, 1, "batching=on"),
                                                     m("served", "latency_p50", 10.0, 1, "monitoring=off")])}
    assert abs(overhead["monitoring_overhead_p50"].value - 0.05) < 1e-9


@pytest.mark.server
def test_server_process_waits_for_ready_and_always_stops(tmp_path: Path) -> None:
    (tmp_path / "readyz").write_text("ok")  # http.server answers GET /readyz with this file: 200
    argv = [sys.executable, "-m", "http.server", "{port}", "--bind", "127.0.0.1", "--directory", str(tmp_path)]
    with ServerProcess(argv, ready_timeout_s=30) as server:
        pid = server.proc.pid
        assert server.base_url.startswith("http://127.0.0.1:")
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(ConfigError, match="exited"):
        ServerProcess([sys.executable, "-c", "raise SystemExit(3)"], ready_timeout_s=10).start()


@pytest.mark.server
def test_served_benchmark_end_to_end_on_toy(tmp_path: Path) -> None:
    """Two server configurations (the toy server ignores --no-batching), the in-process reference, the ratios."""
    command = (sys.executable, str(HERE / "toy_server.py"), "--port", "{port}", "--tasks", "{tasks}")
    plan = ServedPlan(concurrency=(1, 4), max_requests=12, max_seconds=20, warmup_requests=2, pool=4, device="cpu",
                      ready_timeout_s=30, servers=(ServerConfig("batching=on", command),
                                                   ServerConfig("batching=off", (*command, "--no-batching"))))
    errors: list[str] = []
    ms = served_benchmark([SPEC], plan, log_dir=tmp_path, errors=errors)
    assert errors == []
    served = [m for m in ms if m.scenario == "served" and m.metric == "throughput"]
    assert {(m.config, m.concurrency) for m in served} == {(c, n) for c in ("batching=on", "batching=off") for n in (1, 4)}
    assert all(m.value > 0 for m in served)
    assert not any(m.metric == "errors" and m.value for m in ms)
    derived = {m.metric for m in ms if m.scenario == "derived"}
    assert derived == {"served_over_inprocess_p50", "batching_throughput_gain"}
    assert (tmp_path / "server-batching-on.log").exists()

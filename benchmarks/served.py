"""Served performance: a bounded HTTP load generator, a server process we start and always stop, and the
comparisons that matter (served vs in-process latency, adaptive batching on vs off).

The server command, the endpoint and the request payloads are parameters: ``REQUEST_BUILDERS`` maps a
task name to a function that turns one of the task's sample inputs into an HTTP request; tasks not in
the table get one from their ``input_kind``. Only loopback addresses are ever contacted.
"""
from __future__ import annotations

import io
import itertools
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlparse

from benchmarks.inprocess import Labels, latency_measurements
from benchmarks.schemas import Measurement
from benchmarks.stats import summarize, throughput
from benchmarks.timing import CpuClock, TimingPlan, measure
from core.errors import ConfigError, InvalidInput
from core.registry import TaskSpec

log = logging.getLogger(__name__)

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
DEV_KEY_ENV = "AIS_DEV_KEY"


# -- requests -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class HttpRequest:
    """One request to send: a path under the base URL and either a JSON body or multipart files."""

    path: str
    json: Any = None
    files: dict[str, tuple[str, bytes, str]] | None = None


PayloadBuilder = Callable[[Any], HttpRequest]


def image_bytes(item: Any) -> bytes:
    """Encode a sample input (bytes, path, PIL image or array) as the bytes of an image file."""
    if isinstance(item, (bytes, bytearray)):
        return bytes(item)
    if isinstance(item, (str, Path)) and Path(item).is_file():
        return Path(item).read_bytes()
    from PIL import Image

    if not isinstance(item, Image.Image):
        try:
            item = Image.fromarray(item)
        except (TypeError, AttributeError) as exc:
            raise InvalidInput(f"cannot send a {type(item).__name__} as an image") from exc
    buffer = io.BytesIO()
    item.convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def text_request(task: str) -> PayloadBuilder:
    return lambda item: HttpRequest(f"/{task}", json={"texts": [str(item)]})


def image_request(task: str, field_name: str = "image") -> PayloadBuilder:
    return lambda item: HttpRequest(f"/{task}", files={field_name: ("input.png", image_bytes(item), "image/png")})


def image_batch_request(task: str) -> PayloadBuilder:
    """One image per request on ``/<task>/batch``: the adaptively batched path (``/ocr`` reads whole documents)."""
    return lambda item: HttpRequest(f"/{task}/batch", files={"images": ("input.png", image_bytes(item), "image/png")})


def record_request(task: str) -> PayloadBuilder:
    return lambda item: HttpRequest(f"/{task}", json={"records": [item if isinstance(item, dict) else dict(item)]})


# The tasks the served section is specified for; others are built from their spec's input kind.
REQUEST_BUILDERS: dict[str, PayloadBuilder] = {
    "sentiment": text_request("sentiment"),
    "ocr": image_batch_request("ocr"),
}


def builder_for(spec: TaskSpec) -> PayloadBuilder:
    if spec.name in REQUEST_BUILDERS:
        return REQUEST_BUILDERS[spec.name]
    kind = getattr(spec, "input_kind", "image")
    return {"text": text_request, "record": record_request}.get(kind, image_request)(spec.name)


def check_loopback(url: str) -> str:
    """Return ``url`` without a trailing slash, refusing anything that is not a loopback http URL."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or parsed.hostname not in LOOPBACK:
        raise InvalidInput(f"the load generator only targets 127.0.0.1/localhost, not {url!r}")
    return url.rstrip("/")


# -- load generator -----------------------------------------------------------------------------
@dataclass
class LoadResult:
    """What one load level produced: latencies of successful requests, errors by kind, wall time."""

    concurrency: int
    latencies_s: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    sent: int = 0
    wall_s: float = 0.0

    @property
    def ok(self) -> int:
        return len(self.latencies_s)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


@dataclass(frozen=True)
class EncodedRequest:
    """A request already encoded to bytes: the load loop only sends, so the generator's own JSON and
    multipart encoding is not part of what is measured (nor of the CPU it takes from the server)."""

    path: str
    body: bytes
    headers: dict[str, str]

    @classmethod
    def of(cls, request: HttpRequest, headers: dict[str, str] | None = None) -> EncodedRequest:
        import httpx

        built = httpx.Request("POST", "http://127.0.0.1" + request.path, json=request.json, files=request.files)
        body = built.read()
        kept = {k: v for k, v in built.headers.items() if k.lower() in ("content-type",)}
        return cls(request.path, body, {**(headers or {}), **kept, "Content-Length": str(len(body))})


class _Connection:
    """One keep-alive connection of one load thread (``http.client``: a fraction of httpx's CPU per
    request, which on a 2-core machine is CPU the server under test does not get). A request that fails
    on a reused connection the server has since closed is sent once more on a fresh one, as browsers
    and HTTP libraries do; any other failure is the request's error."""

    def __init__(self, base: str, timeout_s: float) -> None:
        import http.client

        parsed = urlparse(base)
        kind = http.client.HTTPSConnection if parsed.scheme == "https" else http.client.HTTPConnection
        self._new = lambda: kind(parsed.hostname, parsed.port, timeout=timeout_s)
        self._conn = self._new()
        self._used = False

    def post(self, request: EncodedRequest) -> tuple[int, bytes]:
        import http.client

        try:
            return self._send(request)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            if not self._used:
                raise
            self.close()
            self._conn, self._used = self._new(), False
            return self._send(request)

    def _send(self, request: EncodedRequest) -> tuple[int, bytes]:
        self._conn.request("POST", request.path, body=request.body, headers=request.headers)
        response = self._conn.getresponse()
        body = response.read()
        self._used = True
        return response.status, body

    def close(self) -> None:
        self._conn.close()


def run_load(base_url: str, requests: Sequence[HttpRequest], *, concurrency: int, max_requests: int,
             max_seconds: float, headers: dict[str, str] | None = None, timeout_s: float = 30.0) -> LoadResult:
    """Closed-loop load: ``concurrency`` threads each send one request at a time, cycling over
    ``requests``, until ``max_requests`` were sent or ``max_seconds`` passed. A non-2xx answer or a
    transport error counts as an error, not as a latency. Requests are encoded once, before the clock."""
    import http.client

    if concurrency < 1 or max_requests < 1 or max_seconds <= 0 or not requests:
        raise InvalidInput("run_load needs concurrency >= 1, max_requests >= 1, max_seconds > 0 and requests")
    base = check_loopback(base_url)
    encoded = [EncodedRequest.of(r, headers) for r in requests]
    result = LoadResult(concurrency=concurrency)
    lock = threading.Lock()
    counter = itertools.count()
    deadline = time.perf_counter() + max_seconds

    def worker() -> None:
        connection = _Connection(base, timeout_s)
        try:
            while time.perf_counter() < deadline:
                index = next(counter)  # itertools.count is atomic under the GIL
                if index >= max_requests:
                    return
                req = encoded[index % len(encoded)]
                start = time.perf_counter()
                try:
                    status, _ = connection.post(req)
                    elapsed = time.perf_counter() - start
                    with lock:
                        result.sent += 1
                        result.statuses[status] += 1
                        if 200 <= status < 300:
                            result.latencies_s.append(elapsed)
                        else:
                            result.errors[f"HTTP {status}"] += 1
                except (OSError, http.client.HTTPException) as exc:
                    connection.close()
                    connection = _Connection(base, timeout_s)
                    with lock:
                        result.sent += 1
                        result.errors[type(exc).__name__] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, name=f"load-{i}", daemon=True) for i in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max_seconds + timeout_s + 5)
    result.wall_s = time.perf_counter() - start
    return result


def load_measurements(labels: Labels, result: LoadResult, config: str) -> list[Measurement]:
    """Latency percentiles, throughput (successful requests/s), errors and error rate of one load level."""
    c = result.concurrency
    out: list[Measurement] = []
    if result.ok:
        out += latency_measurements(labels, "served", result.latencies_s, concurrency=c, config=config)
        out.append(labels.m("served", "throughput", throughput(result.ok, result.wall_s), "requests/s", result.ok,
                            concurrency=c, config=config))
    out.append(labels.m("served", "errors", result.error_count, "count", result.sent, concurrency=c, config=config))
    if result.sent:
        out.append(labels.m("served", "error_rate", result.error_count / result.sent, "ratio", result.sent,
                            concurrency=c, config=config))
    return out


# -- the server process -------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class ServerConfig:
    """A server to start: a label (e.g. ``batching=on``) and its command; ``{port}`` and ``{tasks}`` are filled in."""

    label: str
    command: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()

    def argv(self, port: int, tasks: Sequence[str]) -> list[str]:
        return [part.format(port=port, tasks=",".join(tasks)) for part in self.command]


AIS_SERVE = (sys.executable, "-m", "core.cli", "serve", "--host", "127.0.0.1", "--port", "{port}", "--tasks", "{tasks}")
BATCHING_ON = ServerConfig("batching=on", AIS_SERVE)
BATCHING_OFF = ServerConfig("batching=off", (*AIS_SERVE, "--no-batching"))
MONITORING_OFF = ServerConfig("monitoring=off", AIS_SERVE, (("AIS_NO_MONITORING", "1"),))


class ServerProcess:
    """Start a server command in its own process group, wait for ``GET /readyz`` → 200, and always stop it.

    >>> with ServerProcess(["python", "-m", "http.server", "{port}"]) as server:  # doctest: +SKIP
    ...     server.base_url
    """

    def __init__(self, argv: Sequence[str], *, port: int | None = None, env: dict[str, str] | None = None,
                 ready_path: str = "/readyz", ready_timeout_s: float = 180.0, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.argv = [a.format(port=self.port) for a in argv]
        self.env = {**os.environ, **(env or {})}
        self.ready_path = ready_path
        self.ready_timeout_s = ready_timeout_s
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self._log: Any = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        import httpx

        self._log = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        log.info("starting server: %s", " ".join(self.argv))
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + self.ready_timeout_s
        try:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise ConfigError(f"server exited with code {self.proc.returncode} before it was ready"
                                      + (f"; see {self.log_path}" if self.log_path else ""))
                try:
                    if httpx.get(self.base_url + self.ready_path, timeout=2.0).status_code == 200:
                        log.info("server ready on %s (pid %d)", self.base_url, self.proc.pid)
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.25)
            raise ConfigError(f"server not ready on {self.base_url}{self.ready_path} after {self.ready_timeout_s:.0f} s")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM the server's process group (it started workers), then SIGKILL if it lingers."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        if proc is not None:
            # Workers of a server that died first may still hold the group; reap them too.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()
        self._log = None


# -- the served benchmark -----------------------------------------------------------------------
@dataclass(frozen=True)
class ServedPlan:
    """Load levels and bounds for the served section."""

    concurrency: tuple[int, ...] = (1, 4, 16)
    max_requests: int = 200
    max_seconds: float = 60.0
    warmup_requests: int = 8
    pool: int = 16
    request_timeout_s: float = 130.0  # above the server's own 120 s request timeout: the server decides
    ready_timeout_s: float = 300.0
    servers: tuple[ServerConfig, ...] = (BATCHING_ON, BATCHING_OFF)
    device: str = "auto"  # of the in-process reference; the server is expected to run on the same device


QUICK_SERVED = ServedPlan(concurrency=(1, 16), max_requests=64, max_seconds=20.0, warmup_requests=4, pool=8)


def _placement_labels(task: str, device: str) -> Labels:
    from core.device import resolve_placement

    placement = resolve_placement(device, "auto")
    return Labels(task, placement.device, placement.precision)


def in_process_reference(spec: TaskSpec, inputs: Sequence[Any], plan: ServedPlan, n: int) -> list[Measurement]:
    """The same inputs through the raw ``predict([item])`` call, one at a time (concurrency 1)."""
    task = spec.create(device=plan.device).load()
    labels = Labels(spec.name, task.placement.device, task.placement.precision)
    items = itertools.cycle(inputs)
    seconds = measure(lambda: task.predict([next(items)]), CpuClock(),
                      TimingPlan(warmup=min(plan.warmup_requests, 3), min_runs=max(1, min(n, 20)), max_runs=max(1, n),
                                 max_seconds=plan.max_seconds))
    return latency_measurements(labels, "served_reference", seconds, batch_size=1, concurrency=1)


def derived_ratios(measurements: list[Measurement], *, on: str = BATCHING_ON.label, off: str = BATCHING_OFF.label,
                   high_concurrency: int = 16) -> list[Measurement]:
    """Served/in-process p50 latency at concurrency 1, and batching on/off throughput at high concurrency."""
    index = {(m.task, m.scenario, m.metric, m.concurrency, m.config): m for m in measurements}
    out: list[Measurement] = []
    for task in sorted({m.task for m in measurements}):
        served = (index.get((task, "served", "latency_p50", 1, on)) or index.get((task, "served", "latency_p50", 1, off))
                  or index.get((task, "served", "latency_p50", 1, "external")))
        ref = index.get((task, "served_reference", "latency_p50", 1, ""))
        if served and ref and ref.value > 0:
            out.append(Measurement(task=task, scenario="derived", metric="served_over_inprocess_p50",
                                   value=served.value / ref.value, unit="ratio", device=ref.device,
                                   precision=ref.precision, concurrency=1, n=min(served.n, ref.n),
                                   config=f"served {served.config} p50 / in-process p50"))
        monitored = index.get((task, "served", "latency_p50", 1, on))
        unmonitored = index.get((task, "served", "latency_p50", 1, MONITORING_OFF.label))
        if monitored and unmonitored and unmonitored.value > 0:
            out.append(Measurement(task=task, scenario="derived", metric="monitoring_overhead_p50",
                                   value=monitored.value / unmonitored.value - 1, unit="fraction",
                                   device=monitored.device, precision=monitored.precision, concurrency=1,
                                   n=min(monitored.n, unmonitored.n),
                                   config=f"served p50 with monitoring ({on}) / without ({MONITORING_OFF.label}) - 1"))
        t_on = index.get((task, "served", "throughput", high_concurrency, on))
        t_off = index.get((task, "served", "throughput", high_concurrency, off))
        if t_on and t_off and t_off.value > 0:
            # Failed requests do not count as throughput; say how many there were next to the ratio.
            failed = [f"{label} {int(e.value)}/{e.n}" for label in (on, off)
                      if (e := index.get((task, "served", "errors", high_concurrency, label))) and e.value]
            note = f" (failed requests: {', '.join(failed)})" if failed else ""
            out.append(Measurement(task=task, scenario="derived", metric="batching_throughput_gain",
                                   value=t_on.value / t_off.value, unit="ratio", device=t_on.device,
                                   precision=t_on.precision, concurrency=high_concurrency,
                                   n=min(t_on.n, t_off.n), config=f"{on} / {off} requests/s{note}"))
    return out


def served_benchmark(specs: Sequence[TaskSpec], plan: ServedPlan = ServedPlan(), *,
                     log_dir: Path | None = None, errors: list[str] | None = None,
                     external_url: str | None = None) -> list[Measurement]:
    """For each server configuration, start one server with all ``specs`` and load each task at each
    concurrency level; then time the raw in-process call on the same inputs; then the ratios.

    With ``external_url`` no server is started: the running one there is loaded (label ``external``);
    its key must then be in ``AIS_DEV_KEY``."""
    errors = errors if errors is not None else []
    key = os.environ.get(DEV_KEY_ENV) or secrets.token_urlsafe(24)
    headers = {"Authorization": f"Bearer {key}"}
    names = [s.name for s in specs]
    inputs = {s.name: s.sample_inputs(plan.pool) for s in specs}
    payloads = {s.name: [builder_for(s)(item) for item in inputs[s.name]] for s in specs}
    labels = {s.name: _placement_labels(s.name, plan.device) for s in specs}
    out: list[Measurement] = []

    def load_all(base_url: str, label: str) -> None:
        for name in names:
            run_load(base_url, payloads[name], concurrency=1, max_requests=plan.warmup_requests,
                     max_seconds=plan.max_seconds, headers=headers, timeout_s=plan.request_timeout_s)
            for concurrency in plan.concurrency:
                result = run_load(base_url, payloads[name], concurrency=concurrency, max_requests=plan.max_requests,
                                  max_seconds=plan.max_seconds, headers=headers, timeout_s=plan.request_timeout_s)
                log.info("%s %s %s", name, label, summary_line(result))
                out.extend(load_measurements(labels[name], result, label))
                if result.error_count:
                    errors.append(f"{name} {label} c={concurrency}: {result.error_count} of {result.sent} requests "
                                  f"failed {dict(result.errors)}")

    if external_url:
        load_all(check_loopback(external_url), "external")
    for server in () if external_url else plan.servers:
        log_path = (log_dir / f"server-{server.label.replace('=', '-')}.log") if log_dir else None
        port = free_port()
        try:
            with ServerProcess(server.argv(port, names), port=port, env={DEV_KEY_ENV: key, **dict(server.env)},
                               ready_timeout_s=plan.ready_timeout_s, log_path=log_path) as proc:
                load_all(proc.base_url, server.label)
        except Exception as exc:  # noqa: BLE001 - one server configuration failing is a result to report
            message = f"server {server.label}: {type(exc).__name__}: {exc}"
            log.warning(message)
            errors.append(message)
    for spec in specs:
        try:
            out += in_process_reference(spec, inputs[spec.name], plan, plan.max_requests)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"in-process reference {spec.name}: {type(exc).__name__}: {exc}")
    return out + derived_ratios(out, high_concurrency=max(plan.concurrency))


def summary_line(result: LoadResult) -> str:
    """One human line for a load level (used by the CLI's log)."""
    if not result.ok:
        return f"c={result.concurrency}: no successful requests; errors {dict(result.errors)}"
    s = summarize(result.latencies_s)
    return (f"c={result.concurrency}: p50 {s.p50 * 1000:.1f} ms, p99 {s.p99 * 1000:.1f} ms, "
            f"{throughput(result.ok, result.wall_s):.1f} req/s, {result.error_count} errors")

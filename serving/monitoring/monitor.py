"""The hook the gateway calls on every request: ``Monitor(state_dir, client).observe(...)``.

``observe`` only counts the request and, for a sampled one, queues its payloads; a background
thread turns them into summary features, drops the payloads, and merges per-window profiles into
SQLite. It never raises: a monitoring fault is logged and the request goes on.

>>> import tempfile; m = Monitor(tempfile.mkdtemp(), "demo", MonitorSettings(background=False))
>>> m.observe("sentiment", "v1", "text", ["great film"], [{"label": "positive"}], 200); m.flush()
>>> m.store.windows(0)[0].items
1
"""
from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, Field

from serving.monitoring.features import Value, image_features, output_features, record_features, text_features
from serving.monitoring.profile import build_profile
from serving.monitoring.schemas import (
    DriftThresholds,
    MonitoringSummary,
    ReferenceProfile,
    WindowProfile,
)
from serving.monitoring.store import MonitorStorage, monitor_store

if TYPE_CHECKING:
    from core.state import Database

log = logging.getLogger("ais.monitoring")
_KINDS = ("image", "text", "record")


class MonitorSettings(BaseModel):
    """How much traffic is profiled, how it is windowed and how often it is written."""

    sample_rates: dict[str, float] = Field(default_factory=lambda: {"image": 0.25, "text": 1.0, "record": 1.0},
                                           description="share of requests profiled, per input kind")
    window_s: int = Field(3600, gt=0, description="window length (hourly by default)")
    flush_items: int = Field(256, gt=0, description="write to SQLite after this many profiled items...")
    flush_interval_s: float = Field(30.0, gt=0, description="...or after this many seconds")
    queue_size: int = Field(1024, gt=0, description="pending sampled requests; beyond it samples are dropped")
    queue_bytes: int = Field(256 * 1024 * 1024, gt=0, description="...and beyond this many bytes of queued images")
    background: bool = Field(True, description="profile in a background thread (False: inline, for tests)")
    metrics: bool = Field(False, description="update Prometheus gauges after each write")
    metrics_interval_s: float = Field(300.0, ge=0, description="recompute drift for the gauges at most this often")
    thresholds: DriftThresholds = Field(default_factory=DriftThresholds)
    seed: int | None = None


@dataclass
class _Pending:
    """Rows waiting to be written for one (task, version, kind, window)."""

    rows: list[dict[str, Value]] = field(default_factory=list)
    embeddings: list[np.ndarray] = field(default_factory=list)
    requests: int = 0
    rejected: int = 0
    item_errors: int = 0
    sampled: int = 0


_Key = tuple[str, str, str, int]


class Monitor:
    """Live profiles of one client's traffic in ``<state_dir>/monitoring/<client>.sqlite``."""

    def __init__(self, state_dir: str | Path, client: str, settings: MonitorSettings | None = None,
                 clock: Callable[[], float] = time.time, database: Database | None = None) -> None:
        """``database``: the deployment's PostgreSQL (``core.state``); None keeps the SQLite file."""
        self.state_dir = Path(state_dir)
        self.client = client
        self.settings = settings or MonitorSettings()
        self.clock = clock
        self.store: MonitorStorage = monitor_store(self.state_dir, client, database)
        self.dropped = 0
        self._queued_bytes = 0
        self._random = random.Random(self.settings.seed)
        self._lock = threading.Lock()
        self._pending: dict[_Key, _Pending] = defaultdict(_Pending)
        self._pending_items = 0
        self._last_flush = time.monotonic()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=self.settings.queue_size)
        self._worker: threading.Thread | None = None
        self._references: dict[tuple[str, str], tuple[float, ReferenceProfile | None]] = {}
        self._metrics_at: dict[tuple[str, str], float] = {}
        self._warned = False

    @classmethod
    def for_deployment(cls, config: Any, settings: MonitorSettings | None = None,
                       database: Database | None = None) -> Monitor:
        """From a ``serving.config.DeploymentConfig``: its ``state_dir`` (default ``AIS_HOME``) and client."""
        from core.offline import state_dir

        folder = Path(config.state_dir) if config.state_dir else state_dir()
        return cls(folder, config.client, settings, database=database)

    # -- request path -------------------------------------------------------------------------
    def observe(self, task: str, version: str, kind: str, payloads: Sequence[Any] | None,
                results: Sequence[Any] | None = None, status: int = 200,
                embeddings: np.ndarray | None = None) -> None:
        """Record one request: always counted; its inputs profiled when sampled and ``status < 400``.

        ``payloads`` are the decoded inputs (image bytes, texts or record dicts), ``results`` the
        per-item answers (dicts; ``{"error": ...}`` for a failed item), ``embeddings`` optional
        per-item vectors (items x dims). Cheap and thread-safe; never raises.
        """
        try:
            key = (task, version, kind, self._window_start())
            rejected = status >= 400
            with self._lock:
                pending = self._pending[key]
                pending.requests += 1
                pending.rejected += int(rejected)
            if rejected or not payloads or kind not in _KINDS:
                return
            if self._random.random() >= self.settings.sample_rates.get(kind, 1.0):
                return
            size = sum(len(p) for p in payloads if isinstance(p, (bytes, bytearray, memoryview)))
            job = (key, list(payloads), list(results) if results is not None else None, embeddings, size)
            if not self.settings.background:
                self._profile(*job[:4])
                return
            self._ensure_worker()
            with self._lock:
                room = self._queued_bytes + size <= self.settings.queue_bytes
                if room:
                    self._queued_bytes += size
            try:
                if not room:
                    raise queue.Full
                self._queue.put_nowait(job)
            except queue.Full:
                # the request path never waits for monitoring: a sample that does not fit is dropped
                with self._lock:
                    self.dropped += 1
                    self._queued_bytes -= size if room else 0
        except Exception:  # noqa: BLE001 - monitoring must never fail a request
            self._warn_once("observe failed")

    # -- background work ------------------------------------------------------------------------
    def _window_start(self) -> int:
        now = int(self.clock())
        return now - now % self.settings.window_s

    def _ensure_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            with self._lock:
                if self._worker is None or not self._worker.is_alive():
                    self._worker = threading.Thread(target=self._run, name=f"ais-monitor-{self.client}", daemon=True)
                    self._worker.start()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                self._profile(*job)
            except Exception:  # noqa: BLE001
                self._warn_once("profiling failed")
            finally:
                self._queue.task_done()

    def _profile(self, key: _Key, payloads: list[Any], results: list[Any] | None,
                 embeddings: np.ndarray | None, size: int = 0) -> None:
        try:
            self._summarise(key, payloads, results, embeddings)
        finally:
            if size:
                with self._lock:
                    self._queued_bytes -= size

    def _summarise(self, key: _Key, payloads: list[Any], results: list[Any] | None,
                   embeddings: np.ndarray | None) -> None:
        kind = key[2]
        rows: list[dict[str, Value]] = []
        errors = 0
        for index, payload in enumerate(payloads):
            result = results[index] if results is not None and index < len(results) else None
            if isinstance(result, dict) and "error" in result:
                errors += 1
            try:
                if kind == "image":
                    row: dict[str, Value] = dict(image_features(bytes(payload)))
                elif kind == "text":
                    row = dict(text_features(str(payload)))
                else:
                    row = record_features(payload) if isinstance(payload, dict) else {}
            except Exception:  # noqa: BLE001 - an undecodable image is counted, not profiled
                errors += 1
                continue
            row.update(output_features(result))
            rows.append(row)
        with self._lock:
            pending = self._pending[key]
            pending.rows.extend(rows)
            pending.item_errors += errors
            pending.sampled += 1
            if embeddings is not None:
                pending.embeddings.append(np.asarray(embeddings, dtype=np.float32))
            self._pending_items += len(rows)
            due = (self._pending_items >= self.settings.flush_items
                   or time.monotonic() - self._last_flush >= self.settings.flush_interval_s)
        if due:
            self._write()

    def _write(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, defaultdict(_Pending)
            self._pending_items = 0
            self._last_flush = time.monotonic()
        for (task, version, kind, start), part in pending.items():
            reference = self.reference(task, version)
            vectors = np.vstack(part.embeddings) if part.embeddings else None
            profile = build_profile(kind, part.rows, reference, embeddings=vectors,  # type: ignore[arg-type]
                                    projection_seed=reference.projection_seed if reference else 0)
            window = WindowProfile(task=task, version=version, start=start, length_s=self.settings.window_s,
                                   requests=part.requests, rejected=part.rejected, item_errors=part.item_errors,
                                   sampled=part.sampled, **profile.model_dump())
            merged = self.store.merge_window(window)
            if self.settings.metrics:
                self._update_metrics(merged, reference)

    def _update_metrics(self, window: WindowProfile, reference: ReferenceProfile | None) -> None:
        key = (window.task, window.version)
        now = time.monotonic()
        if now - self._metrics_at.get(key, -1e18) < self.settings.metrics_interval_s:
            return
        self._metrics_at[key] = now
        from serving.monitoring.drift import drift_report
        from serving.monitoring.metrics import MonitoringMetrics
        from serving.monitoring.quality import quality_report

        drift = drift_report(reference, window, self.settings.thresholds) if reference is not None else None
        MonitoringMetrics().update(quality_report(window), drift)

    def flush(self) -> None:
        """Wait for queued samples to be profiled, then write every pending window."""
        try:
            if self._worker is not None and self._worker.is_alive():
                self._queue.join()
            self._write()
        except Exception:  # noqa: BLE001
            self._warn_once("flush failed")

    def close(self) -> None:
        """Flush and stop the background thread (at service shutdown)."""
        self.flush()
        if self._worker is not None and self._worker.is_alive():
            self._queue.put(None)
            self._worker.join(timeout=5)
        self.store.close()

    def _warn_once(self, what: str) -> None:
        if not self._warned:
            self._warned = True
            log.exception("monitoring: %s (further errors are logged at debug level)", what)
        else:
            log.debug("monitoring: %s", what, exc_info=True)  # noqa: LOG014 - called from handlers

    # -- references and results -------------------------------------------------------------------
    def reference(self, task: str, version: str) -> ReferenceProfile | None:
        """The reference of ``task:version`` (re-read when it changes); None when there is none."""
        stamp = self.store.reference_stamp(task, version)
        if stamp is None:
            return None
        cached = self._references.get((task, version))
        if cached is not None and cached[0] == stamp:
            return cached[1]
        profile = self.store.reference(task, version)
        self._references[(task, version)] = (stamp, profile)
        return profile

    def register_reference(self, profile: ReferenceProfile) -> str:
        """Save a model version's reference where this monitor (and the report) will find it; says where."""
        return self.store.put_reference(profile)

    def record_evaluation(self, type_: str, task: str, version: str, report: BaseModel) -> None:
        """Keep a fairness or target-drift report so ``ais monitor report`` shows it."""
        self.store.add_evaluation(type_, task, version, report, created=self.clock())

    def summary(self, since: str | timedelta = "7d") -> MonitoringSummary:
        """Flush, then quality and drift per window since ``since`` — JSON-ready for an HTTP endpoint."""
        from serving.monitoring.summary import summarize

        self.flush()
        return summarize(self.state_dir, self.client, since, now=self.clock(), thresholds=self.settings.thresholds,
                         store=self.store)

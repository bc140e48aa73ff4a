"""Shadow traffic: a copy of live requests runs on the shadow version off the response path, both logged.

The log (``<state>/shadow/<client>/<task>.jsonl``) keeps outputs and ids, never the inputs a client
sent. ``ais models compare TASK`` reads it and reports task-specific agreement.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

log = logging.getLogger(__name__)


class ShadowRecorder:
    """Runs shadow calls as background tasks on the server's event loop, bounded in number and in time.

    A shadow call is awaited on the loop, not run in a worker thread: a shadow version that hangs
    would otherwise hold the threads that live work shares (the monitoring summary, log writes)
    until the pending limit. It is cancelled after ``timeout_s`` and logged as an error.
    """

    def __init__(self, folder: Path, max_pending: int = 256) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_pending = max_pending
        self._tasks: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()

    @property
    def pending(self) -> int:
        """Shadow calls scheduled and not yet logged."""
        return len(self._tasks)

    def log_path(self, task: str) -> Path:
        return self.folder / f"{task}.jsonl"

    def submit(self, task: str, run: Callable[[], Awaitable[list[Any]]], live: list[Any], live_version: str,
               shadow_version: str, request_id: str, timeout_s: float = 60.0) -> bool:
        """Schedule a shadow run; drop it (False) rather than slow live traffic when too many are pending."""
        if self.pending >= self.max_pending:
            log.warning("shadow queue full; dropping shadow copy of %s", request_id)
            return False
        job = asyncio.get_running_loop().create_task(
            self._run(task, run, live, live_version, shadow_version, request_id, timeout_s))
        self._tasks.add(job)
        job.add_done_callback(self._tasks.discard)
        return True

    async def _run(self, task: str, run: Callable[[], Awaitable[list[Any]]], live: list[Any], live_version: str,
                   shadow_version: str, request_id: str, timeout_s: float) -> None:
        started = time.perf_counter()
        try:
            with anyio.fail_after(timeout_s):
                shadow, error = await run(), None
        except TimeoutError:
            shadow, error = [], f"TimeoutError: the shadow version did not answer within {timeout_s:g} s"
        except Exception as exc:  # noqa: BLE001 - a failing shadow must never affect live traffic
            shadow, error = [], f"{type(exc).__name__}: {exc}"
        entry = {"ts": time.time(), "request_id": request_id, "task": task, "live_version": live_version,
                 "shadow_version": shadow_version, "live": live, "shadow": shadow, "error": error,
                 "shadow_ms": (time.perf_counter() - started) * 1000}
        await anyio.to_thread.run_sync(self._write, task, json.dumps(entry, default=str))

    def _write(self, task: str, line: str) -> None:
        with self._lock, self.log_path(task).open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")

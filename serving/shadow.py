"""Shadow traffic: a copy of live requests runs on the shadow version off the response path, both logged.

The log keeps outputs and ids, never the inputs a client sent: ``<state>/shadow/<client>/<task>.jsonl``
on the embedded backend, rows of ``shadow_log`` in the deployment's PostgreSQL (so every gateway
replica writes to one log). ``ais models compare TASK`` reads it and reports task-specific agreement.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import anyio

if TYPE_CHECKING:
    from core.state import Database

log = logging.getLogger(__name__)


class ShadowLog(Protocol):
    """A deployment's shadow log: one entry per shadowed request, read back per task, oldest first."""

    def append(self, task: str, entry: dict[str, Any]) -> None: ...

    def entries(self, task: str) -> list[dict[str, Any]]: ...


class FileShadowLog:
    """``<folder>/<task>.jsonl``, one JSON line per entry (the embedded backend)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._lock = threading.Lock()

    def path(self, task: str) -> Path:
        return self.folder / f"{task}.jsonl"

    def append(self, task: str, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, default=str)
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            with self.path(task).open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")

    def entries(self, task: str) -> list[dict[str, Any]]:
        path = self.path(task)
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class PostgresShadowLog:
    """The client's rows of ``shadow_log``; every replica appends to the same log."""

    def __init__(self, database: Database, client: str) -> None:
        self.database, self.client = database, client

    def append(self, task: str, entry: dict[str, Any]) -> None:
        body = json.dumps(entry, default=str)
        with self.database.connection() as conn:
            conn.execute("INSERT INTO shadow_log (client, task, ts, entry) VALUES (%s, %s, %s, %s)",
                         (self.client, task, float(entry.get("ts") or time.time()), body))

    def entries(self, task: str) -> list[dict[str, Any]]:
        with self.database.connection() as conn:
            rows = conn.execute("SELECT entry FROM shadow_log WHERE client = %s AND task = %s ORDER BY id",
                                (self.client, task)).fetchall()
        return [row[0] for row in rows]


def shadow_log(state_root: Path, client: str, database: Database | None = None) -> ShadowLog:
    """The deployment's shadow log in the backend it configured."""
    if database is not None:
        return PostgresShadowLog(database, client)
    return FileShadowLog(Path(state_root) / "shadow" / client)


class ShadowRecorder:
    """Runs shadow calls as background tasks on the server's event loop, bounded in number and in time.

    A shadow call is awaited on the loop, not run in a worker thread: a shadow version that hangs
    would otherwise hold the threads that live work shares (the monitoring summary, log writes)
    until the pending limit. It is cancelled after ``timeout_s`` and logged as an error.
    """

    def __init__(self, log: ShadowLog | Path, max_pending: int = 256) -> None:
        """``log``: where entries go; a folder means the embedded ``FileShadowLog`` in it."""
        self.log: ShadowLog = FileShadowLog(log) if isinstance(log, Path) else log
        self.max_pending = max_pending
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        """Shadow calls scheduled and not yet logged."""
        return len(self._tasks)

    def log_path(self, task: str) -> Path:
        """The task's log file (embedded backend only)."""
        if not isinstance(self.log, FileShadowLog):
            raise TypeError("this shadow log is kept in the database, not in a file")
        return self.log.path(task)

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
        try:
            await anyio.to_thread.run_sync(self.log.append, task, entry)
        except Exception:  # a lost log entry must never surface in live traffic
            log.exception("shadow log entry for %s not written", request_id)

"""The embedded database of live windows and stored evaluations: one SQLite file (WAL) per client.

Only profiles (sketches and counts) are written; the payloads a client sent never reach disk.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from serving.monitoring.profile import safe_name
from serving.monitoring.schemas import UnreadableWindow, WindowProfile

log = logging.getLogger("ais.monitoring")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS windows (
    task TEXT NOT NULL, version TEXT NOT NULL, start INTEGER NOT NULL, length_s INTEGER NOT NULL,
    kind TEXT NOT NULL, body TEXT NOT NULL, updated REAL NOT NULL,
    PRIMARY KEY (task, version, start, length_s));
CREATE TABLE IF NOT EXISTS evaluations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL, type TEXT NOT NULL,
    task TEXT NOT NULL, version TEXT NOT NULL, body TEXT NOT NULL);
"""


def _parse(body: str) -> WindowProfile | str:
    """A stored window, or why it cannot be read (the first few validation errors)."""
    try:
        return WindowProfile.model_validate_json(body)
    except ValidationError as exc:
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])


def store_path(state_dir: Path, client: str) -> Path:
    """``<state>/monitoring/<client>.sqlite``."""
    return Path(state_dir) / "monitoring" / f"{safe_name(client)}.sqlite"


class MonitorStore:
    """Thread-safe access to one client's monitoring database (one connection guarded by a lock)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable enough for statistics, fast
            conn.executescript(_SCHEMA)
            self._conn = conn
        return self._conn

    def merge_window(self, window: WindowProfile) -> WindowProfile:
        """Add ``window`` to the stored window with the same key; returns the merged window."""
        key = (window.task, window.version, window.start, window.length_s)
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")  # other processes (CLI, a second worker) wait instead of clashing
            try:
                row = conn.execute("SELECT body FROM windows WHERE task=? AND version=? AND start=? AND length_s=?",
                                   key).fetchone()
                merged = window
                stored = _parse(row[0]) if row is not None else None
                if isinstance(stored, WindowProfile):
                    merged = stored
                    merged.merge(window)
                    for field in ("requests", "rejected", "item_errors", "sampled"):
                        setattr(merged, field, getattr(merged, field) + getattr(window, field))
                elif stored is not None:  # unreadable (an older version's bug): start it afresh, never stay stuck
                    log.warning("monitoring: replacing the unreadable window %s: %s", key, stored)
                conn.execute("INSERT OR REPLACE INTO windows VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (*key, window.kind, merged.model_dump_json(), time.time()))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return merged

    def windows(self, since: int, until: int | None = None, task: str | None = None) -> list[WindowProfile]:
        """Readable windows overlapping [since, until), oldest first (see ``read_windows`` for the others)."""
        return self.read_windows(since, until, task)[0]

    def read_windows(self, since: int, until: int | None = None, task: str | None = None
                     ) -> tuple[list[WindowProfile], list[UnreadableWindow]]:
        """Windows overlapping [since, until), oldest first, and those whose stored body no longer validates."""
        query = "SELECT task, version, start, length_s, body FROM windows WHERE start + length_s > ? AND start < ?"
        args: list[Any] = [since, until if until is not None else 2 ** 62]
        if task:
            query += " AND task = ?"
            args.append(task)
        with self._lock:
            rows = self._connection().execute(query + " ORDER BY start, task, version", args).fetchall()
        readable, unreadable = [], []
        for task_, version, start, length_s, body in rows:
            parsed = _parse(body)
            if isinstance(parsed, WindowProfile):
                readable.append(parsed)
            else:
                unreadable.append(UnreadableWindow(task=task_, version=version, window_start=start,
                                                   length_s=length_s, reason=f"stored window does not validate: "
                                                   f"{parsed}"))
        return readable, unreadable

    def add_evaluation(self, type_: str, task: str, version: str, body: BaseModel, created: float | None = None) -> None:
        with self._lock:
            self._connection().execute(
                "INSERT INTO evaluations (created, type, task, version, body) VALUES (?, ?, ?, ?, ?)",
                (created if created is not None else time.time(), type_, task, version, body.model_dump_json()))

    def evaluations(self, since: float) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._connection().execute(
                "SELECT created, type, task, version, body FROM evaluations WHERE created >= ? ORDER BY created",
                (since,)).fetchall()
        return [{"created": c, "type": t, "task": k, "version": v, "report": json.loads(b)} for c, t, k, v, b in rows]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

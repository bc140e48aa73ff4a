"""The database of live windows and stored evaluations: one SQLite file (WAL) per client (embedded),
or the client's rows in the deployment's PostgreSQL (``monitoring_windows``, ``monitoring_evaluations``),
where every replica's windows merge into one.

Only profiles (sketches and counts) are written; the payloads a client sent never reach disk.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ValidationError

from serving.monitoring.profile import load_reference, safe_name, save_reference
from serving.monitoring.schemas import ReferenceProfile, UnreadableWindow, WindowProfile

if TYPE_CHECKING:
    from core.state import Database

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


def _merged(stored_body: str | None, window: WindowProfile, key: tuple[Any, ...]) -> WindowProfile:
    """``window`` added to the stored one (if any): sketches merged, counts summed."""
    stored = _parse(stored_body) if stored_body is not None else None
    if isinstance(stored, WindowProfile):
        stored.merge(window)
        for field in ("requests", "rejected", "item_errors", "sampled"):
            setattr(stored, field, getattr(stored, field) + getattr(window, field))
        return stored
    if stored is not None:  # unreadable (an older version's bug): start it afresh, never stay stuck
        log.warning("monitoring: replacing the unreadable window %s: %s", key, stored)
    return window


def _split(rows: list[tuple[str, str, int, int, str]]) -> tuple[list[WindowProfile], list[UnreadableWindow]]:
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


class MonitorStorage(Protocol):
    """One client's monitoring windows and stored evaluation reports."""

    def merge_window(self, window: WindowProfile) -> WindowProfile: ...

    def windows(self, since: int, until: int | None = None, task: str | None = None) -> list[WindowProfile]: ...

    def read_windows(self, since: int, until: int | None = None, task: str | None = None
                     ) -> tuple[list[WindowProfile], list[UnreadableWindow]]: ...

    def add_evaluation(self, type_: str, task: str, version: str, body: BaseModel,
                       created: float | None = None) -> None: ...

    def evaluations(self, since: float) -> list[dict[str, Any]]: ...

    def put_reference(self, profile: ReferenceProfile) -> str:
        """Keep the reference of ``profile.task:profile.version``; says where."""

    def reference_stamp(self, task: str, version: str) -> float | None:
        """When the reference last changed (cheap: to re-read only changed ones); None when there is none."""

    def reference(self, task: str, version: str) -> ReferenceProfile | None: ...

    def close(self) -> None: ...


def store_path(state_dir: Path, client: str) -> Path:
    """``<state>/monitoring/<client>.sqlite``."""
    return Path(state_dir) / "monitoring" / f"{safe_name(client)}.sqlite"


def _use_wal(conn: sqlite3.Connection, attempts: int = 100) -> None:
    """Switch to WAL. Changing the journal mode needs the database to itself and SQLite's busy timeout
    does not wait for that, so writers opening the file at the same moment retry (found with 8 writers)."""
    for attempt in range(attempts):
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05)


class MonitorStore:
    """Thread-safe access to one client's monitoring database (one connection guarded by a lock).

    Reference profiles are JSON files beside it: ``<state>/monitoring/references/<task>/<version>.json``.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.references = self.path.parent / "references"
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        # the database opens on first use; its folder now, so an unwritable state volume fails at start-up
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            _use_wal(conn)
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
                merged = _merged(row[0] if row is not None else None, window, key)
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
        return _split(rows)

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

    def _reference_path(self, task: str, version: str) -> Path:
        return self.references / safe_name(task) / f"{safe_name(version)}.json"

    def put_reference(self, profile: ReferenceProfile) -> str:
        return str(save_reference(profile, self._reference_path(profile.task, profile.version)))

    def reference_stamp(self, task: str, version: str) -> float | None:
        try:
            return self._reference_path(task, version).stat().st_mtime
        except OSError:
            return None

    def reference(self, task: str, version: str) -> ReferenceProfile | None:
        path = self._reference_path(task, version)
        return load_reference(path) if path.is_file() else None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class PostgresMonitorStore:
    """One client's windows and evaluations in the deployment's PostgreSQL; replicas merge into one window."""

    def __init__(self, database: Database, client: str) -> None:
        self.database, self.client = database, client

    def merge_window(self, window: WindowProfile) -> WindowProfile:
        """Add ``window`` to the stored window with the same key, the row locked while merging."""
        key = (self.client, window.task, window.version, window.start, window.length_s)
        where = "client = %s AND task = %s AND version = %s AND start = %s AND length_s = %s"
        with self.database.connection() as conn, conn.transaction():
            row = conn.execute(f"SELECT body FROM monitoring_windows WHERE {where} FOR UPDATE", key).fetchone()
            if row is None:  # two replicas creating the same window: one inserts, the other merges into it
                inserted = conn.execute(
                    "INSERT INTO monitoring_windows (client, task, version, start, length_s, kind, body, updated) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (*key, window.kind, window.model_dump_json(), time.time())).rowcount
                if inserted:
                    return window
                row = conn.execute(f"SELECT body FROM monitoring_windows WHERE {where} FOR UPDATE", key).fetchone()
            merged = _merged(row[0], window, key[1:])
            conn.execute(f"UPDATE monitoring_windows SET kind = %s, body = %s, updated = %s WHERE {where}",
                         (window.kind, merged.model_dump_json(), time.time(), *key))
        return merged

    def windows(self, since: int, until: int | None = None, task: str | None = None) -> list[WindowProfile]:
        return self.read_windows(since, until, task)[0]

    def read_windows(self, since: int, until: int | None = None, task: str | None = None
                     ) -> tuple[list[WindowProfile], list[UnreadableWindow]]:
        query = ("SELECT task, version, start, length_s, body FROM monitoring_windows "
                 "WHERE client = %s AND start + length_s > %s AND start < %s")
        args: list[Any] = [self.client, since, until if until is not None else 2 ** 62]
        if task:
            query += " AND task = %s"
            args.append(task)
        with self.database.connection() as conn:
            rows = conn.execute(query + " ORDER BY start, task, version", args).fetchall()
        return _split(rows)

    def add_evaluation(self, type_: str, task: str, version: str, body: BaseModel, created: float | None = None) -> None:
        with self.database.connection() as conn:
            conn.execute("INSERT INTO monitoring_evaluations (client, created, type, task, version, body) "
                         "VALUES (%s, %s, %s, %s, %s, %s)",
                         (self.client, created if created is not None else time.time(), type_, task, version,
                          body.model_dump_json()))

    def evaluations(self, since: float) -> list[dict[str, Any]]:
        with self.database.connection() as conn:
            rows = conn.execute("SELECT created, type, task, version, body FROM monitoring_evaluations "
                                "WHERE client = %s AND created >= %s ORDER BY created, id",
                                (self.client, since)).fetchall()
        return [{"created": c, "type": t, "task": k, "version": v, "report": json.loads(b)} for c, t, k, v, b in rows]

    def put_reference(self, profile: ReferenceProfile) -> str:
        with self.database.connection() as conn:
            conn.execute("INSERT INTO monitoring_references (client, task, version, body, updated) "
                         "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (client, task, version) "
                         "DO UPDATE SET body = EXCLUDED.body, updated = EXCLUDED.updated",
                         (self.client, profile.task, profile.version, profile.model_dump_json(), time.time()))
        return f"monitoring_references ({self.client}, {profile.task}, {profile.version})"

    def reference_stamp(self, task: str, version: str) -> float | None:
        with self.database.connection() as conn:
            row = conn.execute("SELECT updated FROM monitoring_references WHERE client = %s AND task = %s "
                               "AND version = %s", (self.client, task, version)).fetchone()
        return None if row is None else float(row[0])

    def reference(self, task: str, version: str) -> ReferenceProfile | None:
        with self.database.connection() as conn:
            row = conn.execute("SELECT body FROM monitoring_references WHERE client = %s AND task = %s "
                               "AND version = %s", (self.client, task, version)).fetchone()
        return None if row is None else ReferenceProfile.model_validate_json(row[0])

    def close(self) -> None:
        """Nothing to close: the pool belongs to whoever opened the database."""


def monitor_store(state_dir: Path, client: str, database: Database | None = None) -> MonitorStorage:
    """The client's monitoring store in the backend the deployment configured."""
    if database is not None:
        return PostgresMonitorStore(database, client)
    return MonitorStore(store_path(state_dir, client))

"""Tell replicas that shared state changed: a generation counter per piece of state, and NOTIFY.

A writer calls ``bump(conn, kind, scope)`` inside the transaction of its write: the counter rises and
a notification goes out on channel ``ais_state`` when (and only if) the transaction commits. A replica
that keeps an in-memory copy (a face gallery's index) either compares ``generation()`` with the one
it loaded, or runs a ``ChangeListener`` that calls it back within milliseconds of the commit. After
the listener (re)connects it reports a change of everything (``kind == "*"``), since notifications
sent while it was away are lost; a replica then re-checks its generations.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)
CHANNEL = "ais_state"
ANY = "*"


def bump(conn: psycopg.Connection[Any], kind: str, scope: str) -> int:
    """Raise the generation of ``(kind, scope)`` in the caller's transaction and notify on commit; the new value."""
    row = conn.execute(
        "INSERT INTO state_generations (kind, scope, generation) VALUES (%s, %s, 1) "
        "ON CONFLICT (kind, scope) DO UPDATE SET generation = state_generations.generation + 1 "
        "RETURNING generation", (kind, scope)).fetchone()
    generation = int(row[0]) if row is not None else 0
    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, json.dumps([kind, scope, generation])))
    return generation


def generation(conn: psycopg.Connection[Any], kind: str, scope: str) -> int:
    """The committed generation of ``(kind, scope)``; 0 when it was never written."""
    row = conn.execute("SELECT generation FROM state_generations WHERE kind = %s AND scope = %s",
                       (kind, scope)).fetchone()
    return int(row[0]) if row is not None else 0


OnChange = Callable[[str, str, int], None]


class ChangeListener:
    """A thread on its own connection that LISTENs on ``ais_state`` and calls ``on_change(kind, scope, generation)``.

    ``start()`` returns once it listens (so a write after it is never missed); ``stop()`` ends it
    within ``poll_s``. A lost connection is retried every ``retry_s``; each (re)connection reports
    ``("*", "*", -1)``. Callbacks run on the listener's thread: keep them short (mark stale, do not reload).
    """

    def __init__(self, url: str, on_change: OnChange, poll_s: float = 0.2, retry_s: float = 2.0) -> None:
        self.url, self.on_change, self.poll_s, self.retry_s = url, on_change, poll_s, retry_s
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, timeout_s: float = 30.0) -> Self:
        self._thread = threading.Thread(target=self._run, name="ais-state-listener", daemon=True)
        self._thread.start()
        if not self._listening.wait(timeout_s):
            self.stop()
            raise TimeoutError(f"state listener did not connect within {timeout_s:g} s")
        return self

    def _notify(self, kind: str, scope: str, generation: int) -> None:
        try:
            self.on_change(kind, scope, generation)
        except Exception:
            log.exception("state listener: the change callback failed")

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    self._notify(ANY, ANY, -1)
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=self.poll_s):
                            try:
                                kind, scope, generation = json.loads(note.payload)
                            except (ValueError, TypeError):
                                log.warning("state listener: unreadable notification %r", note.payload[:200])
                                continue
                            self._notify(str(kind), str(scope), int(generation))
            except psycopg.Error as exc:
                if self._stop.is_set():
                    break
                log.warning("state listener: connection lost (%s); retrying in %.0f s", exc, self.retry_s)
                self._stop.wait(self.retry_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.poll_s * 5 + 5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

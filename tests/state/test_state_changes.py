"""Generation counters and change notifications on a real PostgreSQL: what a replica's in-memory copy
(a face gallery's index) relies on to refresh within a second of another replica's write."""
from __future__ import annotations

import queue
import threading
import time

import pytest

from core.state import Database
from core.state_changes import ANY, ChangeListener, bump, generation


def test_a_bump_is_seen_by_another_pool_once_committed(database: Database) -> None:
    with Database(database.url, max_size=1) as other:
        with database.connection() as conn:
            assert generation(conn, "face-gallery", "acme/t-commit") == 0
            assert bump(conn, "face-gallery", "acme/t-commit") == 1
            with other.connection() as reader:  # not committed yet
                assert generation(reader, "face-gallery", "acme/t-commit") == 0
        with other.connection() as reader:
            assert generation(reader, "face-gallery", "acme/t-commit") == 1


def test_concurrent_bumps_count_every_write(database: Database) -> None:
    def write() -> None:
        for _ in range(10):
            with database.connection() as conn:
                bump(conn, "face-gallery", "acme/t-race")

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with database.connection() as conn:
        assert generation(conn, "face-gallery", "acme/t-race") == 40


def test_the_listener_hears_committed_changes_only_and_within_a_second(database: Database) -> None:
    heard: queue.Queue[tuple[str, str, int, float]] = queue.Queue()
    listener = ChangeListener(database.url, lambda k, s, g: heard.put((k, s, g, time.monotonic())))
    with listener:
        assert heard.get(timeout=5)[:3] == (ANY, ANY, -1)  # (re)connected: re-check everything
        with pytest.raises(RuntimeError), database.connection() as conn:
            bump(conn, "face-gallery", "acme/t-rolled-back")
            raise RuntimeError("the write failed: rolled back, nobody is told")
        with database.connection() as conn:
            new = bump(conn, "face-gallery", "acme/t-listen")
        committed = time.monotonic()
        kind, scope, gen, at = heard.get(timeout=5)
    assert (kind, scope, gen) == ("face-gallery", "acme/t-listen", new)
    assert at - committed < 1.0
    assert heard.empty()


def test_the_listener_stops_promptly(database: Database) -> None:
    listener = ChangeListener(database.url, lambda *_: None, poll_s=0.1).start()
    started = time.monotonic()
    listener.stop()
    assert time.monotonic() - started < 2.0

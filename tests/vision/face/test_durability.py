"""A gallery writer killed with SIGKILL mid-enrollment leaves a consistent gallery holding every acknowledged
person: the SQLite file, and the PostgreSQL gallery (a real throwaway server)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import numpy as np

from vision.face.store import GalleryStore

DIM = 128
ROWS = 400  # embeddings per enroll call: a large transaction (~200 KB) that is often cut in the middle

_WRITER = textwrap.dedent(
    f"""
    import sys
    import numpy as np
    from vision.face.store import GalleryStore
    store = GalleryStore(sys.argv[1], "durability-test", {DIM})
    i = 0
    while True:
        vectors = np.random.default_rng(i).normal(size=({ROWS}, {DIM})).astype(np.float32)
        store.create_person("acme", f"Person {{i}}", vectors, person_id=f"p{{i}}")
        print(f"ack p{{i}}", flush=True)   # printed only after the enroll call returned
        i += 1
    """
)


def _acknowledged_before_kill(code: str, *args: str, pause: float) -> list[str]:
    """Run the writer ``code``, read at least 8 acknowledgements, wait ``pause`` s (to land the kill inside a
    later transaction), SIGKILL it; return every person it acknowledged, the unread ones in the pipe included."""
    repo = Path(__file__).resolve().parents[3]
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True,
                            cwd=repo, env={**os.environ, "PYTHONPATH": str(repo)})
    acked: list[str] = []
    deadline = time.monotonic() + 60
    try:
        assert proc.stdout is not None
        while len(acked) < 8 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acked.append(line.split()[1])
        time.sleep(pause)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    # acknowledgements the parent had not read yet still count: read the rest of the pipe
    assert proc.stdout is not None
    acked += [line.split()[1] for line in proc.stdout.read().splitlines() if line.startswith("ack")]
    assert len(acked) >= 8, "the writer did not get going"
    return acked


def test_sigkill_during_enrollment_keeps_acknowledged_persons(tmp_path: Path) -> None:
    path = tmp_path / "gallery.db"
    acked = _acknowledged_before_kill(_WRITER, str(path), pause=0.05)

    store = GalleryStore(path, "durability-test", DIM)  # "restart"
    try:
        assert store.integrity_check() == "ok"
        persons = {p.person_id: p for p in store.list_persons("acme", limit=10_000)}
        assert set(acked) <= set(persons), f"acknowledged but lost: {set(acked) - set(persons)}"
        # no half-written person: each one present has all of its embeddings, byte for byte
        for person_id, person in persons.items():
            assert person.n_embeddings == ROWS
            i = int(person_id[1:])
            expected = np.random.default_rng(i).normal(size=(ROWS, DIM)).astype(np.float32)
            np.testing.assert_array_equal(store.person_vectors("acme", person_id), expected)
        snapshot = store.tenant_vectors("acme")
        assert len(snapshot.person_ids) == ROWS * len(persons)
        assert snapshot.generation == len(persons)  # one generation bump per committed enrollment
        # the file is writable again after the crash
        store.create_person("acme", "After restart", np.ones((1, DIM), np.float32), person_id="after")
    finally:
        store.close()


_PG_WRITER = textwrap.dedent(
    f"""
    import sys
    import numpy as np
    from vision.face.store import open_gallery_store
    store = open_gallery_store(sys.argv[1], "durability-test", {DIM}, client=sys.argv[2])
    i = 0
    while True:
        vectors = np.random.default_rng(i).normal(size=({ROWS}, {DIM})).astype(np.float32)
        store.create_person("acme", f"Person {{i}}", vectors, person_id=f"p{{i}}")
        print(f"ack p{{i}}", flush=True)   # printed only after the commit returned
        i += 1
    """
)


def test_sigkill_during_postgres_enrollment_keeps_acknowledged_persons(postgres_url: str) -> None:
    from core.state import Database
    from vision.face.store_postgres import PostgresGalleryStore

    client = f"durability-{uuid.uuid4().hex[:8]}"
    acked = _acknowledged_before_kill(_PG_WRITER, postgres_url, client, pause=0.03)

    with Database(postgres_url, max_size=2) as database:
        store = PostgresGalleryStore(database, "durability-test", DIM, client=client)  # "restart"
        persons = {p.person_id: p for p in store.list_persons("acme", limit=10_000)}
        assert set(acked) <= set(persons), f"acknowledged but lost: {set(acked) - set(persons)}"
        assert len(persons) <= len(acked) + 1  # at most the one being committed when killed
        for person_id, person in persons.items():  # no half-written person, byte for byte
            assert person.n_embeddings == ROWS
            expected = np.random.default_rng(int(person_id[1:])).normal(size=(ROWS, DIM)).astype(np.float32)
            np.testing.assert_array_equal(store.person_vectors("acme", person_id), expected)
        with database.connection() as conn:  # no embedding without its person, no person without embeddings
            orphans = conn.execute(
                "SELECT COUNT(*) FROM face_persons p WHERE p.client = %s AND NOT EXISTS (SELECT 1 FROM "
                "face_embeddings e WHERE e.client = p.client AND e.gallery = p.gallery AND e.tenant = p.tenant "
                "AND e.person_id = p.person_id)", (client,)).fetchone()
        assert orphans is not None and orphans[0] == 0
        snapshot = store.tenant_vectors("acme")
        assert len(snapshot.person_ids) == ROWS * len(persons)
        assert snapshot.generation == len(persons)  # one generation bump per committed enrollment
        store.create_person("acme", "After restart", np.ones((1, DIM), np.float32), person_id="after")

"""Two replicas (two galleries, each with its own PostgreSQL pool) on one database: an enrollment acknowledged
by one is found by the other's next search, a deletion by one is gone from the other's next search."""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from core.errors import NotFound
from core.state import Database
from vision.face.gallery import Gallery
from vision.face.store_postgres import PostgresGalleryStore

DIM = 128
TENANT = "acme"


def _vectors(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)


@pytest.fixture
def replicas(database: Database) -> Iterator[tuple[Gallery, Gallery]]:
    """Replica A on the session pool, replica B on a pool of its own, both serving one client's gallery."""
    client = f"client-{uuid.uuid4().hex[:10]}"
    with Database(database.url, max_size=2) as other:
        a = Gallery(store=PostgresGalleryStore(database, "test-embedder", DIM, client=client))
        b = Gallery(store=PostgresGalleryStore(other, "test-embedder", DIM, client=client))
        yield a, b


def test_an_enrollment_on_one_replica_is_found_by_the_other_at_once(replicas: tuple[Gallery, Gallery]) -> None:
    a, b = replicas
    assert b.index(TENANT).search(_vectors(1, 0)[0]) == []  # B holds a (now stale) index of the empty gallery
    a.index(TENANT)
    ann = _vectors(3, 1)
    a.enroll_embeddings(TENANT, ann, "Ann", person_id="ann")
    acknowledged = time.monotonic()
    found = b.index(TENANT).search(ann[1], k=1)
    elapsed = time.monotonic() - acknowledged
    assert found[0][0] == "ann" and found[0][1] < 0.05  # float32 rounding of the norm expansion
    assert elapsed < 1.0, f"replica B found the enrollment only after {elapsed:.3f} s"
    assert b.get(TENANT, "ann").n_embeddings == 3

    # a write through B while A holds an index: A's next search sees both persons
    bob = _vectors(2, 2)
    b.enroll_embeddings(TENANT, bob, "Bob", person_id="bob")
    assert a.index(TENANT).n_persons == 2
    assert a.index(TENANT).search(bob[0], k=1)[0][0] == "bob"

    # a deletion through B: gone from A's next search, and from its reads
    b.delete(TENANT, "ann")
    assert [p for p, _ in a.index(TENANT).search(ann[1], k=5)] == ["bob"]
    with pytest.raises(NotFound):
        a.get(TENANT, "ann")
    assert [p.person_id for p in a.list(TENANT)] == ["bob"]


def test_each_replica_keeps_its_own_writes_in_step(replicas: tuple[Gallery, Gallery]) -> None:
    a, b = replicas
    for i in range(6):  # alternate writers: each index is current after every write
        writer, reader = (a, b) if i % 2 == 0 else (b, a)
        writer.enroll_embeddings(TENANT, _vectors(2, 10 + i), f"P{i}", person_id=f"p{i}")
        assert reader.index(TENANT).n_persons == i + 1
        assert writer.index(TENANT).n_persons == i + 1
    assert a.store.generation(TENANT) == b.store.generation(TENANT) == 6


@pytest.mark.slow
def test_face_operations_on_two_replicas_with_real_photos(analyzer, database: Database, shared_data: Path,
                                                          tmp_path: Path) -> None:
    """``vision.face.operations`` with ``context.database`` set, on real photos and the real models."""
    from core.operations import OperationContext
    from vision.face import operations as ops
    from vision.face.store_postgres import PostgresGalleryStore as Store

    client = f"client-{uuid.uuid4().hex[:10]}"
    train = shared_data / "faces" / "knn" / "train"
    probe = (shared_data / "faces" / "knn" / "test" / "obama1.jpg").read_bytes()
    with Database(database.url, max_size=2) as other:
        ctx_a = OperationContext(tenant=TENANT, state_root=tmp_path / "a", client=client, database=database)
        ctx_b = OperationContext(tenant=TENANT, state_root=tmp_path / "b", client=client, database=other)
        before = ops.identify(analyzer, ops.IdentifyRequest(image=probe), ctx_b)  # B caches the empty index
        assert [f.decision for f in before.faces] == ["unknown"] and before.gallery_size == 0
        assert isinstance(ops.gallery(analyzer, ctx_b).store, Store)  # type: ignore[attr-defined]

        photos = [p.read_bytes() for p in sorted((train / "obama").iterdir())]
        enrolled = ops.enroll(analyzer, ops.EnrollRequest(name="Barack Obama", images=photos, person_id="obama"),
                              ctx_a)
        assert enrolled.added == len(photos)
        after = ops.identify(analyzer, ops.IdentifyRequest(image=probe), ctx_b)
        assert [f.decision for f in after.faces] == ["obama"] and after.gallery_size == 1
        verified = ops.verify(analyzer, ops.VerifyRequest(image=probe, person_id="obama"), ctx_b)
        assert verified.same_person

        ops.delete_person(analyzer, ops.PersonRequest(person_id="obama"), ctx_b)
        gone = ops.identify(analyzer, ops.IdentifyRequest(image=probe), ctx_a)
        assert [f.decision for f in gone.faces] == ["unknown"] and gone.gallery_size == 0
        with pytest.raises(NotFound):
            ops.get_person(analyzer, ops.PersonRequest(person_id="obama"), ctx_a)

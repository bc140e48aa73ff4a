"""Gallery storage on both backends (SQLite file, PostgreSQL): tenant scoping, validation, embedder check,
deletion; and, for the SQLite file, deletion that erases the bytes from disk.

Tests taking ``store``/``open_store`` run once per backend (``sqlite``, ``postgresql``: a real throwaway
server, skipped with the reason when it cannot start); each PostgreSQL test uses its own client name.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from core.errors import ConfigError, InvalidInput, NotFound
from vision.face.store import GalleryStorage, GalleryStore, open_gallery_store

DIM = 8
OpenStore = Callable[..., GalleryStorage]


def _vectors(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)


@pytest.fixture(params=["sqlite", "postgresql"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenStore]:
    """Opens stores of one gallery on the parameter's backend (the same file, or the same client and name)."""
    where: object = tmp_path / "g.db"
    if request.param == "postgresql":
        where = request.getfixturevalue("database")
    client = f"client-{uuid.uuid4().hex[:10]}"
    opened: list[GalleryStorage] = []

    def open_(embedder: str = "test-embedder", dim: int = DIM) -> GalleryStorage:
        store = open_gallery_store(where, embedder, dim, client=client)  # type: ignore[arg-type]
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: OpenStore) -> GalleryStorage:
    return open_store()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[GalleryStore]:
    s = GalleryStore(tmp_path / "g.db", "test-embedder", DIM)
    yield s
    s.close()


def test_pragmas_are_durable_and_secure(sqlite_store: GalleryStorage) -> None:
    db = sqlite_store._db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA secure_delete").fetchone()[0] == 1


def test_create_get_list_add(store: GalleryStorage) -> None:
    person, gen1 = store.create_person("acme", "Ann", _vectors(2, 1), person_id="ann")
    assert person.n_embeddings == 2 and person.display_name == "Ann" and gen1 == 1
    person, gen2 = store.add_vectors("acme", "ann", _vectors(1, 2))
    assert person.n_embeddings == 3 and gen2 == 2 and person.updated_at >= person.created_at
    generated, _ = store.create_person("acme", "Bob", _vectors(1, 3))
    assert len(generated.person_id) == 32
    assert [p.person_id for p in store.list_persons("acme")] == ["ann", generated.person_id]
    snapshot = store.tenant_vectors("acme")
    assert snapshot.generation == 3 and snapshot.person_ids.count("ann") == 3
    np.testing.assert_array_equal(store.person_vectors("acme", "ann")[:2], _vectors(2, 1))
    with pytest.raises(InvalidInput) as err:
        store.create_person("acme", "Ann again", _vectors(1, 4), person_id="ann")
    assert err.value.detail["reason"] == "person_exists"


def test_another_tenant_sees_nothing(store: GalleryStorage) -> None:
    store.create_person("tenant-a", "Ann", _vectors(1, 1), person_id="ann")
    assert store.list_persons("tenant-b") == []
    for call in (lambda: store.get_person("tenant-b", "ann"),
                 lambda: store.person_vectors("tenant-b", "ann"),
                 lambda: store.add_vectors("tenant-b", "ann", _vectors(1, 2)),
                 lambda: store.delete_person("tenant-b", "ann")):
        with pytest.raises(NotFound):
            call()
    assert store.tenant_vectors("tenant-b").vectors.shape == (0, DIM)
    # the same person id may exist independently in another tenant
    store.create_person("tenant-b", "Other Ann", _vectors(1, 3), person_id="ann")
    assert store.get_person("tenant-a", "ann").display_name == "Ann"


@pytest.mark.parametrize("bad", ["", " x", "a/b", "x" * 200, None, 5])
def test_bad_ids_are_invalid_input(store: GalleryStore, bad: object) -> None:
    with pytest.raises(InvalidInput):
        store.create_person(bad, "Name", _vectors(1, 1))  # type: ignore[arg-type]


def test_bad_vectors_and_names(store: GalleryStorage) -> None:
    with pytest.raises(InvalidInput):
        store.create_person("t", "Name", np.zeros((1, DIM + 1), np.float32))
    with pytest.raises(InvalidInput):
        store.create_person("t", "Name", np.full((1, DIM), np.nan, np.float32))
    with pytest.raises(InvalidInput):
        store.create_person("t", "  ", _vectors(1, 1))
    assert store.list_persons("t") == []  # a failed call leaves nothing behind


def test_other_embedder_is_refused(open_store: OpenStore) -> None:
    open_store("dlib", DIM)
    with pytest.raises(ConfigError):
        open_store("facenet", DIM)
    with pytest.raises(ConfigError):
        open_store("dlib", DIM + 1)
    open_store("dlib", DIM)  # the same embedder opens again


def test_delete_removes_the_person_its_embeddings_and_crops(store: GalleryStorage) -> None:
    keep = _vectors(2, 10)
    store.create_person("acme", "Keep", keep, person_id="keep", images=[b"keep-crop", None])
    person, _ = store.create_person("acme", "Gone", _vectors(3, 11), person_id="gone",
                                    images=[b"jpeg-1", b"jpeg-2", None])
    assert person.n_images_stored == 2
    generation = store.generation("acme")
    removed, new_generation = store.delete_person("acme", "gone")
    assert removed == 3 and new_generation == generation + 1 == store.generation("acme")
    with pytest.raises(NotFound):
        store.get_person("acme", "gone")
    with pytest.raises(NotFound):
        store.delete_person("acme", "gone")
    snapshot = store.tenant_vectors("acme")
    assert snapshot.person_ids == ["keep", "keep"] and snapshot.generation == new_generation
    np.testing.assert_array_equal(snapshot.vectors, keep)
    assert [p.person_id for p in store.list_persons("acme")] == ["keep"]
    assert store.get_person("acme", "keep").n_images_stored == 1
    # the id is free again: a new person with it starts from nothing
    again, _ = store.create_person("acme", "Gone again", _vectors(1, 12), person_id="gone")
    assert again.n_embeddings == 1 and again.n_images_stored == 0


def test_a_failed_write_leaves_no_half_written_person(store: GalleryStorage) -> None:
    with pytest.raises(InvalidInput):  # the third quality is invalid: nothing of the call is kept
        store.create_person("acme", "Ann", _vectors(3, 1), person_id="ann", qualities=[1.0, 0.5, 2.0])
    with pytest.raises(NotFound):
        store.get_person("acme", "ann")
    store.create_person("acme", "Ann", _vectors(1, 1), person_id="ann")
    with pytest.raises(InvalidInput):
        store.add_vectors("acme", "ann", _vectors(2, 2), images=[b"x"])  # one image for two vectors
    assert store.get_person("acme", "ann").n_embeddings == 1
    assert store.generation("acme") == 1


def test_two_openings_share_the_gallery(open_store: OpenStore) -> None:
    writer, reader = open_store(), open_store()
    _, generation = writer.create_person("acme", "Ann", _vectors(2, 1), person_id="ann", qualities=[1.0, 0.5])
    assert reader.generation("acme") == generation
    assert reader.tenant_vectors("acme").qualities.tolist() == [1.0, 0.5]  # type: ignore[union-attr]
    np.testing.assert_array_equal(reader.person_vectors("acme", "ann"), _vectors(2, 1))
    assert reader.person_qualities("acme", "ann").tolist() == [1.0, 0.5]
    assert reader.display_names("acme", ["ann", "nobody"]) == {"ann": "Ann"}
    assert reader.count_persons("acme") == 1 and reader.count_persons("other") == 0
    reader.delete_person("acme", "ann")
    assert writer.list_persons("acme") == [] and writer.generation("acme") == generation + 1


def _disk_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_delete_erases_embedding_and_image_bytes_from_the_files(sqlite_store: GalleryStorage) -> None:
    store = sqlite_store
    keep = _vectors(3, 10)
    gone = _vectors(3, 11)
    image = np.random.default_rng(5).bytes(6000)  # spans overflow pages
    store.create_person("acme", "Keep", keep, person_id="keep")
    store.create_person("acme", "Gone", gone, person_id="gone", images=[image, None, None])
    before = _disk_bytes(store.path)
    assert all(row.tobytes() in before for row in gone) and image[:512] in before
    removed, _ = store.delete_person("acme", "gone")
    assert removed == 3
    after = _disk_bytes(store.path)
    for row in gone:
        assert row.tobytes() not in after, "deleted embedding bytes still on disk"
    assert image[:512] not in after and image[-512:] not in after
    assert all(row.tobytes() in after for row in keep)
    assert store.integrity_check() == "ok"
    with pytest.raises(NotFound):
        store.get_person("acme", "gone")


@pytest.mark.parametrize(("limit", "offset"), [(2**63, 0), (0, 0), (10_001, 0), (10, -1), (10, 2**63)])
def test_list_persons_refuses_limits_sqlite_cannot_hold(store: GalleryStorage, limit: int, offset: int) -> None:
    # GET /face/persons?limit=9223372036854775808 was an OverflowError in SQLite (HTTP 500)
    with pytest.raises(InvalidInput, match="limit must be from 1"):
        store.list_persons("acme", limit=limit, offset=offset)
    assert store.list_persons("acme", limit=10_000, offset=0) == []


def test_reference_qualities_are_stored_and_summarised(store: GalleryStorage) -> None:
    person, _ = store.create_person("acme", "Ann", _vectors(3, 1), qualities=[1.0, 0.6, 0.8])
    assert person.n_embeddings == 3 and person.n_low_quality == 2
    assert person.mean_quality == pytest.approx(0.8, abs=1e-4)
    snapshot = store.tenant_vectors("acme")
    assert snapshot.qualities is not None and snapshot.qualities.tolist() == pytest.approx([1.0, 0.6, 0.8])
    with pytest.raises(InvalidInput):
        store.add_vectors("acme", person.person_id, _vectors(1, 2), qualities=[0.0])


def test_a_gallery_written_before_qualities_opens_and_reads_weight_one(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    store = GalleryStore(path, "test-embedder", DIM)
    store.close()
    db = sqlite3.connect(path)  # rebuild the embeddings table as the schema before reference weights had it
    db.executescript("DROP TABLE embeddings; CREATE TABLE embeddings (id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, "
                     "person_id TEXT NOT NULL, vector BLOB NOT NULL, face_image BLOB, created_at REAL NOT NULL);"
                     "INSERT INTO persons VALUES ('acme', 'ann', 'Ann', 0, 0);")
    db.execute("INSERT INTO embeddings (tenant, person_id, vector, created_at) VALUES ('acme', 'ann', ?, 0)",
               (_vectors(1, 3).astype('<f4').tobytes(),))
    db.commit()
    db.close()
    store = GalleryStore(path, "test-embedder", DIM)
    assert store.get_person("acme", "ann").mean_quality == 1.0
    assert store.tenant_vectors("acme").qualities.tolist() == [1.0]  # type: ignore[union-attr]
    store.close()


def test_postgres_vacuum_erases_deleted_bytes_from_the_table_files(postgres_server, database) -> None:  # type: ignore[no-untyped-def]
    """After delete the crop's TOAST bytes are gone; after ``vacuum()`` (VACUUM FULL) the vectors too.
    (Plain VACUUM leaves a deleted vector in freed heap space, and the WAL keeps it until recycled.)"""
    from vision.face.store_postgres import PostgresGalleryStore

    store = PostgresGalleryStore(database, "test-embedder", DIM, client=f"erase-{uuid.uuid4().hex[:8]}")
    data = Path(postgres_server.folder) / "data"
    if not os.access(data, os.R_OK):
        pytest.skip(f"cannot read the test server's files in {data}")
    keep, gone = _vectors(3, 20), _vectors(3, 21)
    crop = np.random.default_rng(22).bytes(6000)
    store.create_person("acme", "Keep", keep, person_id="keep")
    store.create_person("acme", "Gone", gone, person_id="gone", images=[crop, None, None])

    def files() -> bytes:
        with database.connection() as conn:
            conn.execute("CHECKPOINT")
            paths = conn.execute("SELECT pg_relation_filepath(c.oid), pg_relation_filepath(c.reltoastrelid) "
                                 "FROM pg_class c WHERE c.relname = 'face_embeddings'").fetchone()
        return b"".join((data / p).read_bytes() for p in paths if p and (data / p).exists())

    assert crop[:256] in files() and all(row.tobytes() in files() for row in gone)
    store.delete_person("acme", "gone")
    assert crop[:256] not in files() and crop[-256:] not in files()
    store.vacuum()
    after = files()
    assert not any(row.tobytes() in after for row in gone), "deleted embedding bytes still in the table files"
    assert all(row.tobytes() in after for row in keep)


def test_concurrent_creates_of_one_id_keep_exactly_one(open_store: OpenStore) -> None:
    import threading

    stores = [open_store(), open_store()]
    outcomes: list[str] = []

    def create(i: int) -> None:
        try:
            stores[i % 2].create_person("acme", f"Writer {i}", _vectors(4, i), person_id="same")
            outcomes.append("created")
        except InvalidInput as exc:
            outcomes.append(str(exc.detail.get("reason")))

    threads = [threading.Thread(target=create, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["created"] + ["person_exists"] * 5
    person = stores[1].get_person("acme", "same")
    assert person.n_embeddings == 4 and stores[0].generation("acme") == 1

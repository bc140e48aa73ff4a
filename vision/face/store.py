"""SQLite storage of enrolled persons per tenant: durable (WAL, synchronous=FULL) and truly deleting.

Every query is scoped by tenant, so a person of another tenant is indistinguishable from one that
never existed (``NotFound``). Deletion runs with ``secure_delete=ON`` (freed bytes are zeroed) and then
truncates the write-ahead log, so a deleted embedding's bytes are gone from the files on disk.
Each tenant has a ``generation`` counter bumped by every write, which lets in-memory indexes in any
process see that they are stale.
"""
from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from core.errors import ConfigError, InvalidInput, NotFound
from vision.face.schemas import Person

if TYPE_CHECKING:
    from core.state import Database

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$")
MAX_NAME_CHARS = 200
MAX_PAGE = 10_000  # persons per page of list_persons
MAX_OFFSET = 2**62

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tenants (tenant TEXT PRIMARY KEY, generation INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS persons (
    tenant TEXT NOT NULL,
    person_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (tenant, person_id)
);
CREATE TABLE IF NOT EXISTS embeddings (
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    person_id TEXT NOT NULL,
    vector BLOB NOT NULL,
    face_image BLOB,
    created_at REAL NOT NULL,
    quality REAL,
    FOREIGN KEY (tenant, person_id) REFERENCES persons (tenant, person_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS embeddings_by_person ON embeddings (tenant, person_id);
"""


def check_id(value: object, what: str) -> str:
    """Tenant and person ids: 1-128 characters of letters, digits and ``_.:@-``."""
    if not isinstance(value, str) or not _ID.match(value):
        raise InvalidInput(f"{what} must be 1-128 characters of letters, digits and _.:@- "
                           f"(starting with a letter or digit), got {value!r}", field=what)
    return value


def check_name(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise InvalidInput("display_name must be a non-empty string", field="display_name")
    if len(value) > MAX_NAME_CHARS:
        raise InvalidInput(f"display_name has more than {MAX_NAME_CHARS} characters", field="display_name")
    return value.strip()


# Person summary columns; quality NULL (rows written before reference weights) counts as 1.0.
_PERSON_COLUMNS = ("p.person_id, p.display_name, p.created_at, p.updated_at, COUNT(e.id), COUNT(e.face_image), "
                   "AVG(COALESCE(e.quality, 1.0)), SUM(CASE WHEN e.id IS NOT NULL AND COALESCE(e.quality, 1.0) < 1.0 "
                   "THEN 1 ELSE 0 END)")


def _person_row(row: Sequence[object]) -> Person:
    n = int(row[4])  # type: ignore[call-overload]
    return Person(person_id=row[0], display_name=row[1], created_at=row[2], updated_at=row[3],  # type: ignore[arg-type]
                  n_embeddings=n, n_images_stored=row[5],  # type: ignore[arg-type]
                  mean_quality=round(float(row[6]), 4) if n else None,  # type: ignore[arg-type]
                  n_low_quality=int(row[7] or 0))  # type: ignore[call-overload]


def checked_rows(vectors: np.ndarray, dim: int, images: Sequence[bytes | None] | None,
                 qualities: Sequence[float] | None) -> list[tuple[bytes, bytes | None, float]]:
    """One ``(little-endian float32 vector, crop or None, quality)`` per embedding, validated."""
    matrix = np.asarray(vectors, dtype="<f4")
    if matrix.ndim != 2 or matrix.shape[1] != dim or len(matrix) == 0:
        raise InvalidInput(f"expected a non-empty (n, {dim}) embedding matrix, got shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise InvalidInput("embeddings contain NaN or infinity")
    blobs = [row.tobytes() for row in matrix]
    crops = list(images) if images is not None else [None] * len(blobs)
    if len(crops) != len(blobs):
        raise InvalidInput("one stored image per embedding is expected")
    weights = [float(q) for q in qualities] if qualities is not None else [1.0] * len(blobs)
    if len(weights) != len(blobs) or not all(0.0 < q <= 1.0 for q in weights):
        raise InvalidInput("one quality in (0, 1] per embedding is expected")
    return list(zip(blobs, crops, weights))


def check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE or not 0 <= offset <= MAX_OFFSET:  # SQLite integers end at 2**63 - 1
        raise InvalidInput(f"limit must be from 1 to {MAX_PAGE:,} and offset from 0 to {MAX_OFFSET:,}",
                           limit=MAX_PAGE)


@dataclass(frozen=True)
class TenantVectors:
    """All embeddings of one tenant at one generation (what an in-memory index is built from)."""

    generation: int
    person_ids: list[str]
    vectors: np.ndarray
    qualities: np.ndarray | None = None  # (n,) reference weights in (0, 1]; 1.0 for rows stored without one


class GalleryStorage(Protocol):
    """What a ``Gallery`` needs from its storage: ``GalleryStore`` (SQLite) or
    ``vision.face.store_postgres.PostgresGalleryStore``; ``open_gallery_store`` picks one."""

    embedder: str
    dim: int

    def create_person(self, tenant: str, display_name: str, vectors: np.ndarray, *, person_id: str | None = None,
                      images: Sequence[bytes | None] | None = None,
                      qualities: Sequence[float] | None = None) -> tuple[Person, int]: ...

    def add_vectors(self, tenant: str, person_id: str, vectors: np.ndarray, *,
                    images: Sequence[bytes | None] | None = None,
                    qualities: Sequence[float] | None = None) -> tuple[Person, int]: ...

    def get_person(self, tenant: str, person_id: str) -> Person: ...

    def list_persons(self, tenant: str, *, limit: int = 1000, offset: int = 0) -> list[Person]: ...

    def count_persons(self, tenant: str) -> int: ...

    def display_names(self, tenant: str, person_ids: Sequence[str]) -> dict[str, str]: ...

    def delete_person(self, tenant: str, person_id: str) -> tuple[int, int]: ...

    def generation(self, tenant: str) -> int: ...

    def tenant_vectors(self, tenant: str) -> TenantVectors: ...

    def person_vectors(self, tenant: str, person_id: str) -> np.ndarray: ...

    def person_qualities(self, tenant: str, person_id: str) -> np.ndarray: ...

    def close(self) -> None: ...


def open_gallery_store(where: str | Path | Database, embedder: str, dim: int, *, client: str = "local",
                       name: str = "default") -> GalleryStorage:
    """The gallery store ``where`` names: a SQLite file path, a ``postgresql://`` URL (the store owns
    the pool it opens), or an open ``core.state.Database`` (shared; the caller closes it). ``client``
    and ``name`` scope the gallery inside a database (one gallery per client, model version)."""
    from core.state import Database, is_database_url

    if isinstance(where, Database):
        from vision.face.store_postgres import PostgresGalleryStore

        return PostgresGalleryStore(where, embedder, dim, client=client, name=name)
    if isinstance(where, str) and "://" in where and is_database_url(where):
        from vision.face.store_postgres import PostgresGalleryStore

        return PostgresGalleryStore(Database(where), embedder, dim, client=client, name=name, owns_database=True)
    return GalleryStore(where, embedder, dim)


class GalleryStore:
    """One SQLite file holding every tenant's persons and embeddings for one embedder."""

    def __init__(self, path: str | Path, embedder: str, dim: int) -> None:
        self.path = Path(path)
        self.embedder = embedder
        self.dim = dim
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection guarded by a lock: serving calls from several threads; SQLite serialises writes anyway.
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=30.0)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "secure_delete=ON", "foreign_keys=ON",
                       "busy_timeout=30000"):
            self._db.execute(f"PRAGMA {pragma}")
        with self._write() as db:
            # executescript() would COMMIT our transaction first, so run the statements one by one.
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)
            columns = {row[1] for row in db.execute("PRAGMA table_info(embeddings)")}
            if "quality" not in columns:  # galleries written before reference weights: NULL reads as 1.0
                db.execute("ALTER TABLE embeddings ADD COLUMN quality REAL")
            self._check_meta(db)

    # -- plumbing --------------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: IMMEDIATE takes the write lock up front, so concurrent writers queue."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _check_meta(self, db: sqlite3.Connection) -> None:
        wanted = {"schema": SCHEMA_VERSION, "embedder": self.embedder, "dim": str(self.dim)}
        have = dict(db.execute("SELECT key, value FROM meta").fetchall())
        if not have:
            db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", wanted.items())
            return
        for key, value in wanted.items():
            if have.get(key) != value:
                raise ConfigError(f"gallery {self.path} was built with {key}={have.get(key)!r}, not {value!r}; "
                                  "embeddings of different models cannot be compared — use another gallery file")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _bump(self, db: sqlite3.Connection, tenant: str) -> int:
        db.execute("INSERT INTO tenants (tenant, generation) VALUES (?, 1) "
                   "ON CONFLICT (tenant) DO UPDATE SET generation = generation + 1", (tenant,))
        return int(db.execute("SELECT generation FROM tenants WHERE tenant = ?", (tenant,)).fetchone()[0])

    def _insert_vectors(self, db: sqlite3.Connection, tenant: str, person_id: str, vectors: np.ndarray,
                        images: Sequence[bytes | None] | None, now: float,
                        qualities: Sequence[float] | None = None) -> int:
        rows = checked_rows(vectors, self.dim, images, qualities)
        db.executemany(
            "INSERT INTO embeddings (tenant, person_id, vector, face_image, created_at, quality) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(tenant, person_id, blob, image, now, q) for blob, image, q in rows])
        return len(rows)

    def _person(self, db: sqlite3.Connection, tenant: str, person_id: str) -> Person:
        row = db.execute(
            f"SELECT {_PERSON_COLUMNS} "
            "FROM persons p LEFT JOIN embeddings e ON e.tenant = p.tenant AND e.person_id = p.person_id "
            "WHERE p.tenant = ? AND p.person_id = ? GROUP BY p.tenant, p.person_id", (tenant, person_id)).fetchone()
        if row is None:
            raise NotFound(f"person {person_id!r} not found", person_id=person_id)
        return _person_row(row)

    # -- operations ------------------------------------------------------------------------------
    def create_person(self, tenant: str, display_name: str, vectors: np.ndarray, *, person_id: str | None = None,
                      images: Sequence[bytes | None] | None = None,
                      qualities: Sequence[float] | None = None) -> tuple[Person, int]:
        """Insert a person with its embeddings in one transaction; returns (person, new generation)."""
        check_id(tenant, "tenant")
        person_id = check_id(person_id, "person_id") if person_id is not None else uuid.uuid4().hex
        name = check_name(display_name)
        now = time.time()
        with self._write() as db:
            exists = db.execute("SELECT 1 FROM persons WHERE tenant = ? AND person_id = ?",
                                (tenant, person_id)).fetchone()
            if exists:
                raise InvalidInput(f"person {person_id!r} already exists; use add_images to add photos",
                                   reason="person_exists", person_id=person_id)
            db.execute("INSERT INTO persons (tenant, person_id, display_name, created_at, updated_at) "
                       "VALUES (?, ?, ?, ?, ?)", (tenant, person_id, name, now, now))
            self._insert_vectors(db, tenant, person_id, vectors, images, now, qualities)
            generation = self._bump(db, tenant)
            person = self._person(db, tenant, person_id)
        return person, generation

    def add_vectors(self, tenant: str, person_id: str, vectors: np.ndarray, *,
                    images: Sequence[bytes | None] | None = None,
                    qualities: Sequence[float] | None = None) -> tuple[Person, int]:
        check_id(tenant, "tenant")
        check_id(person_id, "person_id")
        now = time.time()
        with self._write() as db:
            self._person(db, tenant, person_id)  # NotFound for another tenant's person too
            self._insert_vectors(db, tenant, person_id, vectors, images, now, qualities)
            db.execute("UPDATE persons SET updated_at = ? WHERE tenant = ? AND person_id = ?",
                       (now, tenant, person_id))
            generation = self._bump(db, tenant)
            person = self._person(db, tenant, person_id)
        return person, generation

    def get_person(self, tenant: str, person_id: str) -> Person:
        check_id(tenant, "tenant")
        check_id(person_id, "person_id")
        with self._lock:
            return self._person(self._db, tenant, person_id)

    def list_persons(self, tenant: str, *, limit: int = 1000, offset: int = 0) -> list[Person]:
        check_id(tenant, "tenant")
        check_page(limit, offset)
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_PERSON_COLUMNS} "
                "FROM persons p LEFT JOIN embeddings e ON e.tenant = p.tenant AND e.person_id = p.person_id "
                "WHERE p.tenant = ? GROUP BY p.tenant, p.person_id ORDER BY p.created_at, p.person_id "
                "LIMIT ? OFFSET ?", (tenant, limit, offset)).fetchall()
        return [_person_row(r) for r in rows]

    def count_persons(self, tenant: str) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM persons WHERE tenant = ?", (tenant,)).fetchone()[0])

    def display_names(self, tenant: str, person_ids: Sequence[str]) -> dict[str, str]:
        if not person_ids:
            return {}
        marks = ",".join("?" * len(person_ids))
        with self._lock:
            rows = self._db.execute(f"SELECT person_id, display_name FROM persons WHERE tenant = ? "
                                    f"AND person_id IN ({marks})", (tenant, *person_ids)).fetchall()
        return dict(rows)

    def delete_person(self, tenant: str, person_id: str) -> tuple[int, int]:
        """Delete a person and its embeddings and images; returns (embeddings removed, new generation)."""
        check_id(tenant, "tenant")
        check_id(person_id, "person_id")
        with self._write() as db:
            self._person(db, tenant, person_id)
            removed = db.execute("DELETE FROM embeddings WHERE tenant = ? AND person_id = ?",
                                 (tenant, person_id)).rowcount
            db.execute("DELETE FROM persons WHERE tenant = ? AND person_id = ?", (tenant, person_id))
            generation = self._bump(db, tenant)
        self.scrub()
        return removed, generation

    def scrub(self) -> None:
        """Copy the WAL into the database and truncate it, so old page images (still holding deleted
        bytes) leave the disk; secure_delete already zeroed them in the pages themselves."""
        with self._lock:
            busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            log.warning("gallery %s: a reader blocked the WAL checkpoint; deleted bytes may remain in the "
                        "WAL until the next checkpoint", self.path)

    def vacuum(self) -> None:
        """Rebuild the file (smaller after many deletions)."""
        with self._lock:
            self._db.execute("VACUUM")
        self.scrub()

    def generation(self, tenant: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT generation FROM tenants WHERE tenant = ?", (tenant,)).fetchone()
        return int(row[0]) if row else 0

    def tenant_vectors(self, tenant: str) -> TenantVectors:
        """Every embedding of a tenant with the generation they belong to, read in one snapshot."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                row = self._db.execute("SELECT generation FROM tenants WHERE tenant = ?", (tenant,)).fetchone()
                rows = self._db.execute("SELECT person_id, vector, COALESCE(quality, 1.0) FROM embeddings "
                                        "WHERE tenant = ? ORDER BY id", (tenant,)).fetchall()
            finally:
                self._db.execute("COMMIT")
        vectors = (np.frombuffer(b"".join(r[1] for r in rows), dtype="<f4").reshape(len(rows), self.dim)
                   if rows else np.zeros((0, self.dim), dtype=np.float32))
        return TenantVectors(int(row[0]) if row else 0, [r[0] for r in rows], vectors.astype(np.float32),
                             np.array([r[2] for r in rows], dtype=np.float32))

    def person_vectors(self, tenant: str, person_id: str) -> np.ndarray:
        check_id(tenant, "tenant")
        check_id(person_id, "person_id")
        with self._lock:
            self._person(self._db, tenant, person_id)
            rows = self._db.execute("SELECT vector FROM embeddings WHERE tenant = ? AND person_id = ? ORDER BY id",
                                    (tenant, person_id)).fetchall()
        return np.frombuffer(b"".join(r[0] for r in rows), dtype="<f4").reshape(len(rows), self.dim).copy()

    def person_qualities(self, tenant: str, person_id: str) -> np.ndarray:
        """Reference weights of a person's embeddings, in the order of ``person_vectors``."""
        with self._lock:
            rows = self._db.execute("SELECT COALESCE(quality, 1.0) FROM embeddings WHERE tenant = ? AND person_id = ? "
                                    "ORDER BY id", (tenant, person_id)).fetchall()
        return np.array([r[0] for r in rows], dtype=np.float32)

    def integrity_check(self) -> str:
        with self._lock:
            return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

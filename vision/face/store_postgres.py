"""PostgreSQL storage of enrolled persons per tenant: the interface of ``GalleryStore``, shared by replicas.

Tables ``face_galleries`` (one row per client and gallery name, holding the embedder and dimension),
``face_persons`` and ``face_embeddings`` (migration ``core/migrations/0003_face_gallery.sql``). Every
write is one transaction: a person is committed with all of its embeddings or not at all, and an
acknowledged write is durable (PostgreSQL's commit). Each write raises the tenant's generation in
``state_generations`` (``core.state_changes.bump``: kind ``face-gallery``, scope
``<client>/<gallery>/<tenant>``) in the same transaction, so a replica compares it with the generation
of its in-memory index before searching and reloads when another replica wrote.

Deleting a person deletes its rows (embeddings and crops) in one transaction: gone from every query of
every replica at once. It then runs ``VACUUM`` on the face tables: the crops' TOAST space and the dead
rows are reclaimed, but PostgreSQL does not zero freed space, so a deleted vector's bytes stay in the
table file until the space is reused or ``vacuum()`` (``VACUUM FULL``) rewrites the table, and in the
write-ahead log (and backups) until those are recycled (measured; see ``docs/state.md``).
"""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import ConfigError, InvalidInput, NotFound
from core.state_changes import bump
from core.state_changes import generation as committed_generation
from vision.face.schemas import Person
from vision.face.store import TenantVectors, _person_row, check_id, check_name, check_page, checked_rows

if TYPE_CHECKING:
    import psycopg

    from core.state import Database

log = logging.getLogger(__name__)
KIND = "face-gallery"

_PERSON_COLUMNS = ("p.person_id, p.display_name, p.created_at, p.updated_at, COUNT(e.id), COUNT(e.face_image), "
                   "AVG(e.quality), SUM(CASE WHEN e.id IS NOT NULL AND e.quality < 1.0 THEN 1 ELSE 0 END)")
_PERSON_FROM = ("FROM face_persons p LEFT JOIN face_embeddings e ON e.client = p.client AND e.gallery = p.gallery "
                "AND e.tenant = p.tenant AND e.person_id = p.person_id "
                "WHERE p.client = %s AND p.gallery = %s AND p.tenant = %s")
_GROUP = " GROUP BY p.client, p.gallery, p.tenant, p.person_id"


class PostgresGalleryStore:
    """One gallery (``client``, ``name``) of one embedder in the shared database; rows tenant-scoped."""

    def __init__(self, database: Database, embedder: str, dim: int, *, client: str = "local",
                 name: str = "default", owns_database: bool = False) -> None:
        if not isinstance(client, str) or not client or "\x00" in client:
            raise ConfigError(f"gallery client must be a non-empty string, got {client!r}")
        self.database, self.embedder, self.dim = database, embedder, dim
        self.client, self.name = client, check_id(name, "gallery name")
        self._owns_database = owns_database
        with self.database.connection() as conn:
            conn.execute("INSERT INTO face_galleries (client, gallery, embedder, dim) VALUES (%s, %s, %s, %s) "
                         "ON CONFLICT (client, gallery) DO NOTHING", (client, name, embedder, dim))
            row = conn.execute("SELECT embedder, dim FROM face_galleries WHERE client = %s AND gallery = %s",
                               (client, name)).fetchone()
        assert row is not None
        if (row[0], int(row[1])) != (embedder, dim):
            raise ConfigError(f"face gallery {name!r} of client {client!r} was built with embedder={row[0]!r}, "
                              f"dim={row[1]}, not embedder={embedder!r}, dim={dim}; embeddings of different models "
                              "cannot be compared — use another gallery name")

    def __repr__(self) -> str:
        return f"PostgresGalleryStore({self.database!r}, client={self.client!r}, name={self.name!r})"

    # -- plumbing --------------------------------------------------------------------------------
    def _scope(self, tenant: str) -> str:
        return f"{self.client}/{self.name}/{tenant}"  # gallery and tenant never contain '/'

    def _key(self, tenant: str) -> tuple[str, str, str]:
        return self.client, self.name, tenant

    def close(self) -> None:
        if self._owns_database:
            self.database.close()

    def _person(self, conn: psycopg.Connection[Any], tenant: str, person_id: str) -> Person:
        row = conn.execute(f"SELECT {_PERSON_COLUMNS} {_PERSON_FROM} AND p.person_id = %s{_GROUP}",
                           (*self._key(tenant), person_id)).fetchone()
        if row is None:
            raise NotFound(f"person {person_id!r} not found", person_id=person_id)
        return _person_row(row)

    def _lock_person(self, conn: psycopg.Connection[Any], tenant: str, person_id: str) -> None:
        """Row-lock the person (NotFound across tenants), so a concurrent delete and add queue up."""
        row = conn.execute("SELECT 1 FROM face_persons WHERE client = %s AND gallery = %s AND tenant = %s "
                           "AND person_id = %s FOR UPDATE", (*self._key(tenant), person_id)).fetchone()
        if row is None:
            raise NotFound(f"person {person_id!r} not found", person_id=person_id)

    def _insert_vectors(self, conn: psycopg.Connection[Any], tenant: str, person_id: str,
                        rows: list[tuple[bytes, bytes | None, float]], now: float) -> None:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO face_embeddings (client, gallery, tenant, person_id, vector, face_image, created_at, "
                "quality) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [(*self._key(tenant), person_id, blob, image, now, q) for blob, image, q in rows])

    # -- operations ------------------------------------------------------------------------------
    def create_person(self, tenant: str, display_name: str, vectors: np.ndarray, *, person_id: str | None = None,
                      images: Sequence[bytes | None] | None = None,
                      qualities: Sequence[float] | None = None) -> tuple[Person, int]:
        """Insert a person with its embeddings in one transaction; returns (person, new generation)."""
        check_id(tenant, "tenant")
        person_id = check_id(person_id, "person_id") if person_id is not None else uuid.uuid4().hex
        name = check_name(display_name)
        rows = checked_rows(vectors, self.dim, images, qualities)
        now = time.time()
        with self.database.connection() as conn, conn.transaction():
            inserted = conn.execute(
                "INSERT INTO face_persons (client, gallery, tenant, person_id, display_name, created_at, updated_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
                (*self._key(tenant), person_id, name, now, now)).fetchone()
            if inserted is None:
                raise InvalidInput(f"person {person_id!r} already exists; use add_images to add photos",
                                   reason="person_exists", person_id=person_id)
            self._insert_vectors(conn, tenant, person_id, rows, now)
            generation = bump(conn, KIND, self._scope(tenant))
            person = self._person(conn, tenant, person_id)
        return person, generation

    def add_vectors(self, tenant: str, person_id: str, vectors: np.ndarray, *,
                    images: Sequence[bytes | None] | None = None,
                    qualities: Sequence[float] | None = None) -> tuple[Person, int]:
        check_id(tenant, "tenant")
        check_id(person_id, "person_id")
        now = time.time()
        with self.database.connection() as conn, conn.transaction():
            self._lock_person(conn, tenant, person_id)
            self._insert_vectors(conn, tenant, person_id, checked_rows(vectors, self.dim, images, qualities), now)
            conn.execute("UPDATE face_persons SET updated_at = %s WHERE client = %s AND gallery = %s AND tenant = %s "
                         "AND person_id = %s", (now, *self._key(tenant), person_id))
            generation = bump(conn, KIND, self._scope(tenant))
            person = self._person(conn, tenant, person_id)
        return person, generation

    def get_person(self, tenant: str, person_id: str) -> Person:
        check_id(tenant, "tenant")
        check_id(person_id, "person_id")
        with self.database.connection() as conn:
            return self._person(conn, tenant, person_id)

    def list_persons(self, tenant: str, *, limit: int = 1000, offset: int = 0) -> list[Person]:
        check_id(tenant, "tenant")
        check_page(limit, offset)
        with self.database.connection() as conn:
            rows = conn.execute(f"SELECT {_PERSON_COLUMNS} {_PERSON_FROM}{_GROUP} "
                                "ORDER BY p.created_at, p.person_id LIMIT %s OFFSET %s",
                                (*self._key(tenant), limit, offset)).fetchall()
        return [_person_row(r) for r in rows]

    def count_persons(self, tenant: str) -> int:
        with self.database.connection() as conn:
            row = conn.execute("SELECT COUNT(*) FROM face_persons WHERE client = %s AND gallery = %s AND tenant = %s",
                               self._key(tenant)).fetchone()
        return int(row[0]) if row else 0

    def display_names(self, tenant: str, person_ids: Sequence[str]) -> dict[str, str]:
        if not person_ids:
            return {}
        with self.database.connection() as conn:
            rows = conn.execute("SELECT person_id, display_name FROM face_persons WHERE client = %s AND gallery = %s "
                                "AND tenant = %s AND person_id = ANY(%s)",
                                (*self._key(tenant), list(person_ids))).fetchall()
        return {r[0]: r[1] for r in rows}

    def delete_person(self, tenant: str, person_id: str) -> tuple[int, int]:
        """Delete a person and its embeddings and crops in one transaction; (embeddings removed, new generation)."""
        check_id(tenant, "tenant")
        check_id(person_id, "person_id")
        with self.database.connection() as conn, conn.transaction():
            self._lock_person(conn, tenant, person_id)
            removed = conn.execute("DELETE FROM face_embeddings WHERE client = %s AND gallery = %s AND tenant = %s "
                                   "AND person_id = %s", (*self._key(tenant), person_id)).rowcount
            conn.execute("DELETE FROM face_persons WHERE client = %s AND gallery = %s AND tenant = %s "
                         "AND person_id = %s", (*self._key(tenant), person_id))
            generation = bump(conn, KIND, self._scope(tenant))
        self.scrub()
        return removed, generation

    def scrub(self) -> None:
        """``VACUUM`` the face tables (and their TOAST, where crops live): dead rows are pruned from the
        pages. Best effort: a failure is logged, the delete itself is already committed."""
        try:
            self._outside_transaction("VACUUM face_embeddings", "VACUUM face_persons")
        except Exception as exc:  # noqa: BLE001 - the rows are deleted; only the space reclaim failed
            log.warning("face gallery %s: VACUUM after a delete failed (%s); dead rows stay until autovacuum",
                        self.name, exc)

    def vacuum(self) -> None:
        """``VACUUM FULL`` the face tables: rewrite them into new files holding live rows only, so a deleted
        person's bytes leave the table files (plain VACUUM leaves them in freed page space). Takes an
        exclusive lock on the tables for the rewrite (every replica's gallery waits): an operator's job."""
        self._outside_transaction("VACUUM FULL face_embeddings", "VACUUM FULL face_persons")

    def _outside_transaction(self, *statements: str) -> None:
        """Run ``statements`` in autocommit mode (``VACUUM`` cannot run inside a transaction block)."""
        with self.database.connection() as conn:
            conn.commit()
            conn.autocommit = True
            try:
                for statement in statements:
                    conn.execute(statement)
            finally:
                conn.autocommit = False

    def generation(self, tenant: str) -> int:
        with self.database.connection() as conn:
            return committed_generation(conn, KIND, self._scope(tenant))

    def tenant_vectors(self, tenant: str) -> TenantVectors:
        """Every embedding of a tenant with the generation they belong to, read in one snapshot."""
        with self.database.connection() as conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # first statement: one snapshot
            generation = committed_generation(conn, KIND, self._scope(tenant))
            with conn.cursor(binary=True) as cur:
                rows = cur.execute("SELECT person_id, vector, quality FROM face_embeddings WHERE client = %s "
                                   "AND gallery = %s AND tenant = %s ORDER BY id", self._key(tenant)).fetchall()
        vectors = (np.frombuffer(b"".join(r[1] for r in rows), dtype="<f4").reshape(len(rows), self.dim)
                   if rows else np.zeros((0, self.dim), dtype=np.float32))
        return TenantVectors(generation, [r[0] for r in rows], vectors.astype(np.float32),
                             np.array([r[2] for r in rows], dtype=np.float32))

    def person_vectors(self, tenant: str, person_id: str) -> np.ndarray:
        check_id(tenant, "tenant")
        check_id(person_id, "person_id")
        with self.database.connection() as conn:
            self._person(conn, tenant, person_id)
            rows = conn.execute("SELECT vector FROM face_embeddings WHERE client = %s AND gallery = %s AND tenant = %s "
                                "AND person_id = %s ORDER BY id", (*self._key(tenant), person_id)).fetchall()
        return np.frombuffer(b"".join(r[0] for r in rows), dtype="<f4").reshape(len(rows), self.dim).copy()

    def person_qualities(self, tenant: str, person_id: str) -> np.ndarray:
        """Reference weights of a person's embeddings, in the order of ``person_vectors``."""
        with self.database.connection() as conn:
            rows = conn.execute("SELECT quality FROM face_embeddings WHERE client = %s AND gallery = %s "
                                "AND tenant = %s AND person_id = %s ORDER BY id",
                                (*self._key(tenant), person_id)).fetchall()
        return np.array([r[0] for r in rows], dtype=np.float32)

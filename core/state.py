"""Where mutable state lives: the embedded default (files and SQLite under the state dir) or PostgreSQL.

A deployment names its backend with a database URL: none means embedded, ``postgresql://...`` means
one PostgreSQL database that every replica shares. ``Database`` owns a connection pool and applies the
schema migrations of ``core/migrations/`` (numbered SQL files) when it opens, once per database, under
an advisory lock so replicas starting together do not race.

Each kind of state keeps its own storage interface in the package that owns it (planograms in
``vision.planogram.store``, topic-fit jobs in ``nlp.topics.job_store``, shadow logs in
``serving.shadow``, monitoring windows in ``serving.monitoring.store``); this module only holds what
they share: the URL rule, the pool and the migrations.

>>> is_database_url(None), is_database_url("postgresql://db/ais"), is_database_url("postgres://db/ais")
(False, True, True)
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, Self

from core.errors import ConfigError

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)
MIGRATIONS_PACKAGE = "core.migrations"
# pg_advisory_xact_lock key of schema migrations: any constant that other applications do not use
MIGRATION_LOCK = 0x41495353_00000016  # "AISS" + 22; fits a signed bigint
_MIGRATION_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_URL_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(url: str | None) -> bool:
    """True for a PostgreSQL URL; None or an empty string mean the embedded backend."""
    if not url:
        return False
    if not url.startswith(_URL_SCHEMES):
        raise ConfigError(f"state URL must start with postgresql:// (got {redact(url)!r}); "
                          "leave it empty for the embedded backend")
    return True


def redact(url: str) -> str:
    """The URL without its password, for logs and error messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The numbered SQL files of ``core/migrations``, in order; gaps or duplicates are a ConfigError."""
    found: list[Migration] = []
    for entry in resources.files(MIGRATIONS_PACKAGE).iterdir():
        match = _MIGRATION_FILE.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise ConfigError(f"schema migrations must be numbered 0001, 0002, ... without gaps; "
                              f"found {migration.name} where {expected:04d} was expected")
    return found


def apply_migrations(conn: psycopg.Connection[Any]) -> list[str]:
    """Apply the migrations this database lacks, in one transaction under an advisory lock; their names.

    Idempotent (a second call applies nothing) and safe when several processes start at once: the
    others wait for the lock, then find every version recorded.
    """
    applied: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                     "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                     "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        known = migrations()
        newer = sorted(done - {m.version for m in known})
        if newer:
            raise ConfigError(f"the database has schema versions {newer} that this release does not know; "
                              "it was migrated by a newer release: upgrade this one")
        for migration in known:
            if migration.version in done:
                continue
            conn.execute(migration.sql.encode("utf-8"))
            conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                         (migration.version, migration.name))
            applied.append(migration.name)
    if applied:
        log.info("state: applied schema migrations %s", ", ".join(applied))
    return applied


def _require_driver() -> None:
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError as exc:
        raise ConfigError("the PostgreSQL state backend needs psycopg 3 and psycopg-pool: "
                          "pip install 'ai-services[postgres]'") from exc


class Database:
    """A pool of connections to one PostgreSQL database, migrated on open. Close it when done.

    One per process and URL: the serving process creates it and hands it to operations through
    ``OperationContext.database``; stores borrow connections with ``connection()``.
    """

    def __init__(self, url: str, min_size: int = 1, max_size: int = 8, timeout_s: float = 30.0,
                 migrate: bool = True) -> None:
        is_database_url(url)
        _require_driver()
        from psycopg_pool import ConnectionPool

        self.url = url
        self.pool = ConnectionPool(url, min_size=min_size, max_size=max_size, timeout=timeout_s, open=False,
                                   name="ais-state")
        try:
            self.pool.open(wait=True, timeout=timeout_s)
        except Exception as exc:
            self.pool.close()
            raise ConfigError(f"cannot reach the state database {redact(url)}: {exc}") from exc
        if migrate:
            with self.pool.connection() as conn:
                apply_migrations(conn)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection; its work is committed when the block ends (rolled back on an exception)."""
        with self.pool.connection() as conn:
            yield conn

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Database({redact(self.url)!r})"


def url_from_env(backend: str, url_env: str | None, environ: dict[str, str] | None = None) -> str | None:
    """The database URL a deployment's ``state:`` section names: read from the environment variable
    ``url_env`` (a Kubernetes Secret), never from the file; None for ``backend: embedded``."""
    import os

    if backend == "embedded":
        return None
    if backend != "postgresql":
        raise ConfigError(f"state backend must be 'embedded' or 'postgresql', got {backend!r}")
    if not url_env:
        raise ConfigError("state backend 'postgresql' needs url_env: the environment variable holding the URL")
    url = (environ if environ is not None else os.environ).get(url_env, "")
    if not url:
        raise ConfigError(f"state backend 'postgresql': the environment variable {url_env} is empty or unset")
    is_database_url(url)
    return url


def open_database(url: str | None) -> Database | None:
    """The database a URL names, or None for the embedded backend."""
    return Database(url) if is_database_url(url) else None

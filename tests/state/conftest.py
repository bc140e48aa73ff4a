"""Fixtures of the state suites: a real PostgreSQL for the session, and a ``backend`` parameter.

Every state suite takes ``backend`` and runs once per backend: ``embedded`` (files/SQLite in a temp
folder) and ``postgresql`` (the throwaway server below; skipped with the reason when it cannot start).
"""
from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.state.postgres import PgServer, start_server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PgServer]:
    """A throwaway PostgreSQL on 127.0.0.1 for the whole session, stopped and removed at the end."""
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        pytest.skip("psycopg / psycopg-pool not installed (pip install 'ai-services[postgres]')")
    try:
        server = start_server()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PgServer) -> str:
    return postgres_server.url


@pytest.fixture(scope="session")
def database(postgres_url: str) -> Iterator[object]:
    """One migrated pool on the test server, shared by the session's tests."""
    from core.state import Database

    with Database(postgres_url, max_size=4) as db:
        yield db


@dataclass
class Backend:
    """What a state test needs to build stores: the backend's name, a state folder, the database if any.

    ``client`` and ``tenant`` are unique per test, so tests share one database without seeing each other.
    """

    name: str
    state_root: Path
    database: object | None
    client: str
    tenant: str


@pytest.fixture(params=["embedded", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    unique = uuid.uuid4().hex[:10]
    db = request.getfixturevalue("database") if request.param == "postgresql" else None
    return Backend(request.param, tmp_path / "state", db, f"client-{unique}", f"tenant-{unique}")


@contextmanager
def replica(backend: Backend) -> Iterator[Backend]:
    """The same state as another process would reach it: with PostgreSQL a second, separate pool."""
    if backend.database is None:
        yield backend
        return
    from core.state import Database

    with Database(backend.database.url, max_size=2) as other:  # type: ignore[attr-defined]
        yield replace(backend, database=other)

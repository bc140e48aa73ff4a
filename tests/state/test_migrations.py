"""Schema migrations on a real PostgreSQL: recorded, idempotent, safe when replicas start together."""
from __future__ import annotations

import threading

import pytest

from core.errors import ConfigError
from core.state import Database, apply_migrations, is_database_url, migrations, redact, url_from_env


def test_migrations_are_numbered_without_gaps() -> None:
    found = migrations()
    assert [m.version for m in found] == list(range(1, len(found) + 1))
    assert found[0].name == "0001_state.sql"


def test_url_rule() -> None:
    assert not is_database_url(None) and not is_database_url("")
    assert is_database_url("postgresql://u:secret@db:5432/ais")
    with pytest.raises(ConfigError, match="postgresql://"):
        is_database_url("mysql://u@db/ais")
    assert "secret" not in redact("postgresql://u:secret@db:5432/ais")


def test_url_from_the_environment() -> None:
    assert url_from_env("embedded", "AIS_DATABASE_URL", {"AIS_DATABASE_URL": "postgresql://x/y"}) is None
    assert url_from_env("postgresql", "AIS_DATABASE_URL", {"AIS_DATABASE_URL": "postgresql://x/y"}) == "postgresql://x/y"
    with pytest.raises(ConfigError, match="AIS_DATABASE_URL is empty or unset"):
        url_from_env("postgresql", "AIS_DATABASE_URL", {})
    with pytest.raises(ConfigError, match="'embedded' or 'postgresql'"):
        url_from_env("mysql", "AIS_DATABASE_URL", {})


def _fresh_database(postgres_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"


def test_applied_once_and_recorded(postgres_url: str) -> None:
    import psycopg

    url = _fresh_database(postgres_url, "migrate_once")
    with psycopg.connect(url) as conn:
        assert apply_migrations(conn) == [m.name for m in migrations()]
        assert apply_migrations(conn) == []
        rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert rows == [(m.version, m.name) for m in migrations()]


def test_replicas_starting_together_migrate_once(postgres_url: str) -> None:
    import psycopg

    url = _fresh_database(postgres_url, "migrate_race")
    applied: list[list[str]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        try:
            with psycopg.connect(url) as conn:
                barrier.wait()
                applied.append(apply_migrations(conn))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sorted(len(a) for a in applied) == [0, 0, 0, len(migrations())]


def test_a_newer_schema_is_refused(postgres_url: str) -> None:
    import psycopg

    url = _fresh_database(postgres_url, "migrate_newer")
    with Database(url) as db, db.connection() as conn:
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (999, '0999_future.sql')")
    with psycopg.connect(url) as conn, pytest.raises(ConfigError, match="newer release"):
        apply_migrations(conn)


def test_unreachable_database_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="cannot reach"):
        Database("postgresql://nobody@127.0.0.1:1/none", timeout_s=2)

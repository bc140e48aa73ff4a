"""The state backend a deployment file selects (its ``state:`` section), opened by a process or a command.

``embedded`` (or a deployment file without the section) gives None: files and SQLite under the
state dir. ``postgresql`` gives a ``core.state.Database`` on the URL in the environment variable
``state.url_env``; whoever opens it closes it (a service keeps one for its lifetime).
"""
from __future__ import annotations

from typing import Any

from core.state import Database, open_database, url_from_env


def database_url(config: Any) -> str | None:
    """The PostgreSQL URL a ``DeploymentConfig`` selects, None for the embedded backend."""
    section = getattr(config, "state", None)
    if section is None:
        return None
    return url_from_env(section.backend, section.url_env)


def open_state(config: Any) -> Database | None:
    """A pool on the deployment's state database (migrated), or None for the embedded backend."""
    return open_database(database_url(config))

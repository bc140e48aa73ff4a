"""Where a tenant's planograms are kept: files under the state dir (embedded) or the shared PostgreSQL.

Both stores answer the same ``PlanogramStorage`` interface; ``planogram_store(context)`` picks the one
the deployment configured. With PostgreSQL every replica reads the planogram another one saved.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Protocol

from core.errors import NotFound
from core.operations import OperationContext
from vision.planogram.planograms import PlanogramStore, checked_fixture_id, parse_planogram
from vision.planogram.schemas import PlanogramSpec

if TYPE_CHECKING:
    from pathlib import Path

    from core.state import Database


class PlanogramStorage(Protocol):
    """A tenant's planograms keyed by fixture id."""

    def put(self, spec: PlanogramSpec | dict[str, Any] | str | Path) -> PlanogramSpec: ...

    def get(self, fixture_id: str) -> PlanogramSpec: ...

    def ids(self) -> list[str]: ...

    def delete(self, fixture_id: str) -> None: ...


class PostgresPlanogramStore:
    """One tenant's planograms in the ``planograms`` table (one row per fixture, the spec as JSON)."""

    def __init__(self, database: Database, client: str, tenant: str) -> None:
        self.database, self.client, self.tenant = database, client, tenant

    def put(self, spec: PlanogramSpec | dict[str, Any] | str | Path) -> PlanogramSpec:
        parsed = parse_planogram(spec)
        fixture_id = checked_fixture_id(parsed.fixture_id)
        with self.database.connection() as conn:
            conn.execute(
                "INSERT INTO planograms (client, tenant, fixture_id, spec) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (client, tenant, fixture_id) DO UPDATE SET spec = EXCLUDED.spec, updated = now()",
                (self.client, self.tenant, fixture_id, json.dumps(parsed.model_dump(mode="json"))))
        return parsed

    def get(self, fixture_id: str) -> PlanogramSpec:
        fixture_id = checked_fixture_id(fixture_id)
        with self.database.connection() as conn:
            row = conn.execute("SELECT spec FROM planograms WHERE client = %s AND tenant = %s AND fixture_id = %s",
                               (self.client, self.tenant, fixture_id)).fetchone()
        if row is None:
            raise NotFound(f"no planogram for fixture {fixture_id!r}; known: {', '.join(self.ids()) or 'none'}")
        return parse_planogram(row[0])

    def ids(self) -> list[str]:
        with self.database.connection() as conn:
            rows = conn.execute("SELECT fixture_id FROM planograms WHERE client = %s AND tenant = %s "
                                "ORDER BY fixture_id", (self.client, self.tenant)).fetchall()
        return [row[0] for row in rows]

    def delete(self, fixture_id: str) -> None:
        fixture_id = checked_fixture_id(fixture_id)
        with self.database.connection() as conn:
            gone = conn.execute("DELETE FROM planograms WHERE client = %s AND tenant = %s AND fixture_id = %s",
                                (self.client, self.tenant, fixture_id)).rowcount
        if not gone:
            raise NotFound(f"no planogram for fixture {fixture_id!r}")


def planogram_store(context: OperationContext) -> PlanogramStorage:
    """The caller's planograms in the backend the deployment configured."""
    if context.database is not None:
        return PostgresPlanogramStore(context.database, context.client, context.tenant)
    return PlanogramStore(root=context.tenant_dir("planograms"))

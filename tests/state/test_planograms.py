"""The planogram store's suite, run on both backends; with PostgreSQL, two stores agree."""
from __future__ import annotations

import pytest

from core.errors import InvalidInput, NotFound
from core.operations import OperationContext
from tests.state.conftest import Backend, replica
from vision.planogram.store import PlanogramStorage, PostgresPlanogramStore, planogram_store

SPEC = {"fixture_id": "bay-1", "shelves": [[{"sku": "A", "facings": 2}, {"sku": "B"}], [{"sku": "C"}]]}


def _store(backend: Backend, tenant: str | None = None) -> PlanogramStorage:
    context = OperationContext(tenant=tenant or backend.tenant, state_root=backend.state_root,
                               client=backend.client, database=backend.database)  # type: ignore[arg-type]
    return planogram_store(context)


def test_backend_is_the_configured_one(backend: Backend) -> None:
    assert isinstance(_store(backend), PostgresPlanogramStore) == (backend.name == "postgresql")


def test_put_get_list_delete(backend: Backend) -> None:
    store = _store(backend)
    assert store.ids() == []
    saved = store.put(SPEC)
    assert saved.fixture_id == "bay-1"
    assert store.get("bay-1") == saved
    store.put({**SPEC, "fixture_id": "a-0"})
    assert store.ids() == ["a-0", "bay-1"]
    store.delete("bay-1")
    assert store.ids() == ["a-0"]
    with pytest.raises(NotFound, match="bay-1.*known: a-0"):
        store.get("bay-1")
    with pytest.raises(NotFound):
        store.delete("bay-1")


def test_put_replaces_and_yaml_text_is_accepted(backend: Backend) -> None:
    store = _store(backend)
    store.put(SPEC)
    store.put("fixture_id: bay-1\nshelves:\n  - [{sku: Z, facings: 3}]\n")
    assert store.get("bay-1").shelves[0].sequence() == ["Z", "Z", "Z"]
    assert store.ids() == ["bay-1"]


def test_bad_ids_and_specs_are_invalid_input(backend: Backend) -> None:
    store = _store(backend)
    with pytest.raises(InvalidInput, match="fixture id"):
        store.get("../etc/passwd")
    with pytest.raises(InvalidInput, match="fixture id"):
        store.put({**SPEC, "fixture_id": "no/slash"})
    with pytest.raises(InvalidInput, match="shelves"):
        store.put({"fixture_id": "x"})


def test_tenants_do_not_see_each_other(backend: Backend) -> None:
    _store(backend).put(SPEC)
    other = _store(backend, tenant=backend.tenant + "-other")
    assert other.ids() == []
    with pytest.raises(NotFound):
        other.get("bay-1")


def test_a_second_replica_sees_the_writes(backend: Backend) -> None:
    """Two replicas (two stores, each with its own connection pool, on one state) agree."""
    first = _store(backend)
    with replica(backend) as other:
        second = _store(other)
        first.put(SPEC)
        assert second.get("bay-1").fixture_id == "bay-1"
        second.delete("bay-1")
        assert first.ids() == []


def test_the_operations_reach_the_configured_backend(backend: Backend) -> None:
    """The handlers ``serving`` calls: a planogram saved through one replica is listed by another."""
    from core.operations import Empty
    from vision.planogram.operations import list_planograms, put_planogram
    from vision.planogram.schemas import PlanogramSpec

    def context(b: Backend) -> OperationContext:
        return OperationContext(tenant=b.tenant, state_root=b.state_root, client=b.client,
                                database=b.database)  # type: ignore[arg-type]

    put_planogram(None, PlanogramSpec.model_validate(SPEC), context(backend))
    with replica(backend) as other:
        assert list_planograms(None, Empty(), context(other)).fixture_ids == ["bay-1"]

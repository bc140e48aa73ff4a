"""The monitoring suite, run on both backends: windows merge (across replicas too), evaluations and
reference profiles are kept, an unreadable window is reported, and drift is found the same way."""
from __future__ import annotations

import threading
from pathlib import Path

from core.state import Database
from serving.monitoring import Monitor, MonitorSettings
from serving.monitoring.profile import reference_from_records
from serving.monitoring.schemas import DriftThresholds, WindowProfile
from serving.monitoring.store import MonitorStorage, PostgresMonitorStore, monitor_store, store_path
from tests.serving.monitoring.conftest import Clock, records
from tests.state.conftest import Backend, replica

HOUR = 3600


def _monitor(backend: Backend, clock: Clock) -> Monitor:
    settings = MonitorSettings(background=False, seed=0, sample_rates={"image": 1.0, "text": 1.0, "record": 1.0})
    return Monitor(backend.state_root, backend.client, settings, clock=clock,
                   database=backend.database)  # type: ignore[arg-type]


def _store(backend: Backend) -> MonitorStorage:
    return monitor_store(backend.state_root, backend.client, backend.database)  # type: ignore[arg-type]


def _feed(monitor: Monitor, payloads: list[dict], batch: int = 4) -> None:
    for i in range(0, len(payloads), batch):
        chunk = payloads[i:i + batch]
        monitor.observe("propensity", "v1", "record", chunk, [{"label": "x", "score": 0.5}] * len(chunk), 200)


def test_backend_is_the_configured_one(backend: Backend) -> None:
    assert isinstance(_store(backend), PostgresMonitorStore) == (backend.name == "postgresql")


def test_drift_is_found_in_the_shifted_window_only(backend: Backend) -> None:
    clock = Clock()
    monitor = _monitor(backend, clock)
    where = monitor.register_reference(reference_from_records(records(1500, seed=1), task="propensity",
                                                              version="v1"))
    assert ("monitoring_references" in where) == (backend.name == "postgresql")
    _feed(monitor, records(400, seed=2))
    clock.now += HOUR
    _feed(monitor, records(400, seed=3, shifted=True))
    summary = monitor.summary("1d")
    assert [w.drift.drifted_features for w in summary.windows] == [[], ["age", "income"]]  # type: ignore[union-attr]
    monitor.close()


def test_two_replicas_merge_into_one_window(backend: Backend) -> None:
    clock = Clock()
    with replica(backend) as other:
        monitors = [_monitor(backend, clock), _monitor(other, clock)]
        threads = [threading.Thread(target=_feed, args=(m, records(200, seed=k))) for k, m in enumerate(monitors)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        for monitor in monitors:
            monitor.flush()
        windows = _store(backend).windows(0)
        for monitor in monitors:
            monitor.close()
    assert len(windows) == 1
    assert windows[0].requests == 100 and windows[0].sampled == 100 and windows[0].items == 400


def test_concurrent_merges_lose_no_count(backend: Backend) -> None:
    """Eight writers merging into one (new) window at once: every count lands, none is lost."""
    with replica(backend) as other:
        stores = [_store(backend), _store(other)]
        barrier = threading.Barrier(8)

        def merge(k: int) -> None:
            barrier.wait()
            for _ in range(5):
                stores[k % 2].merge_window(WindowProfile(kind="record", task="t", version="v", start=0,
                                                         length_s=HOUR, requests=1, rejected=1))

        threads = [threading.Thread(target=merge, args=(k,)) for k in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        window = stores[0].windows(0)[0]
        for store in stores:
            store.close()
    assert (window.requests, window.rejected) == (40, 40)


def test_windows_are_filtered_by_time_and_task(backend: Backend) -> None:
    store = _store(backend)
    for task, start in (("a", 0), ("a", HOUR), ("b", HOUR), ("a", 2 * HOUR)):
        store.merge_window(WindowProfile(kind="record", task=task, version="v1", start=start, length_s=HOUR,
                                         requests=1))
    assert [(w.task, w.start) for w in store.windows(HOUR, 2 * HOUR)] == [("a", HOUR), ("b", HOUR)]
    assert [w.start for w in store.windows(0, task="a")] == [0, HOUR, 2 * HOUR]
    store.close()


def test_evaluations_are_kept_in_order(backend: Backend) -> None:
    store = _store(backend)
    report = DriftThresholds(psi=0.3)
    store.add_evaluation("fairness", "propensity", "v1", report, created=200.0)
    store.add_evaluation("target", "propensity", "v2", report, created=100.0)
    assert [(e["type"], e["version"], e["created"]) for e in store.evaluations(0)] == [
        ("target", "v2", 100.0), ("fairness", "v1", 200.0)]
    assert store.evaluations(150)[0]["report"] == report.model_dump(mode="json")
    store.close()


def test_clients_do_not_see_each_other(backend: Backend) -> None:
    _store(backend).merge_window(WindowProfile(kind="record", task="t", version="v", start=0, length_s=HOUR))
    other = monitor_store(backend.state_root, backend.client + "-other", backend.database)  # type: ignore[arg-type]
    assert other.windows(0) == []


def test_an_unreadable_window_is_reported_then_replaced(backend: Backend) -> None:
    store = _store(backend)
    store.merge_window(WindowProfile(kind="record", task="t", version="v", start=0, length_s=HOUR, requests=1))
    _corrupt(backend)
    readable, unreadable = store.read_windows(0)
    assert readable == [] and len(unreadable) == 1 and "does not validate" in unreadable[0].reason
    merged = store.merge_window(WindowProfile(kind="record", task="t", version="v", start=0, length_s=HOUR,
                                              requests=2))
    assert merged.requests == 2 and store.read_windows(0)[1] == []
    store.close()


def _corrupt(backend: Backend) -> None:
    """Write a window body that no longer validates, as a bug in an older version could have."""
    if isinstance(backend.database, Database):
        with backend.database.connection() as conn:
            conn.execute("UPDATE monitoring_windows SET body = '{\"kind\": 3}' WHERE client = %s", (backend.client,))
        return
    import sqlite3

    with sqlite3.connect(store_path(Path(backend.state_root), backend.client)) as conn:
        conn.execute("UPDATE windows SET body = '{\"kind\": 3}'")


def test_references_are_kept_and_stamped(backend: Backend) -> None:
    store = _store(backend)
    assert store.reference("propensity", "v1") is None and store.reference_stamp("propensity", "v1") is None
    profile = reference_from_records(records(100, seed=1), task="propensity", version="v1")
    store.put_reference(profile)
    assert store.reference("propensity", "v1") == profile
    assert store.reference_stamp("propensity", "v1") is not None
    store.close()

"""The shadow-log suite, run on both backends: what the recorder logs is read back for comparison."""
from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import anyio

from serving.compare import compare_entries, compare_log
from serving.shadow import FileShadowLog, PostgresShadowLog, ShadowLog, ShadowRecorder, shadow_log
from tests.state.conftest import Backend, replica


def _log(backend: Backend, client: str | None = None) -> ShadowLog:
    return shadow_log(backend.state_root, client or backend.client, backend.database)  # type: ignore[arg-type]


def _entry(i: int, live: str = "a", shadow: str = "a", error: str | None = None) -> dict[str, object]:
    return {"ts": 1_700_000_000.0 + i, "request_id": f"r{i}", "task": "sentiment", "live_version": "v1",
            "shadow_version": "v2", "live": [{"label": live}], "shadow": [] if error else [{"label": shadow}],
            "error": error, "shadow_ms": 1.5}


def test_backend_is_the_configured_one(backend: Backend) -> None:
    assert isinstance(_log(backend), PostgresShadowLog) == (backend.name == "postgresql")
    assert isinstance(_log(backend), FileShadowLog) == (backend.name == "embedded")


def test_entries_come_back_in_order_per_task(backend: Backend) -> None:
    log = _log(backend)
    assert log.entries("sentiment") == []
    for i in range(5):
        log.append("sentiment", _entry(i))
    log.append("ocr", {**_entry(9), "task": "ocr"})
    assert [e["request_id"] for e in log.entries("sentiment")] == ["r0", "r1", "r2", "r3", "r4"]
    assert log.entries("sentiment")[0] == _entry(0)
    assert [e["request_id"] for e in log.entries("ocr")] == ["r9"]


def test_clients_do_not_see_each_other(backend: Backend) -> None:
    _log(backend).append("sentiment", _entry(0))
    assert _log(backend, client=backend.client + "-other").entries("sentiment") == []


def test_the_recorder_logs_answers_and_timeouts(backend: Backend) -> None:
    recorder = ShadowRecorder(_log(backend))

    async def answers() -> list[object]:
        return [{"label": "neg"}]

    async def hangs() -> list[object]:
        await anyio.sleep(30)
        return []

    async def scenario() -> None:
        assert recorder.submit("sentiment", answers, [{"label": "pos"}], "v1", "v2", "ok", timeout_s=5)
        assert recorder.submit("sentiment", hangs, [{"label": "pos"}], "v1", "v2", "hung", timeout_s=0.2)
        with anyio.fail_after(10):
            while recorder.pending:
                await asyncio.sleep(0.02)

    anyio.run(scenario)
    by_id = {e["request_id"]: e for e in recorder.log.entries("sentiment")}
    assert by_id["ok"]["shadow"] == [{"label": "neg"}] and by_id["ok"]["error"] is None
    assert by_id["hung"]["error"].startswith("TimeoutError") and by_id["hung"]["shadow"] == []


def test_agreement_from_the_log(backend: Backend) -> None:
    log = _log(backend)
    for i, (live, shadow) in enumerate([("a", "a"), ("a", "b"), ("b", "b"), ("c", "c")]):
        log.append("sentiment", _entry(i, live, shadow))
    log.append("sentiment", _entry(4, error="TimeoutError: late"))
    report = compare_entries(log.entries("sentiment"), "sentiment")
    assert report.pairs == 4 and report.errors == 1 and report.live_versions == ["v1"]
    assert report.means["label_agreement"] == 0.75
    if isinstance(log, FileShadowLog):  # the file reader of `ais models compare` agrees with the generic one
        assert compare_log(log.path("sentiment"), "sentiment") == report


def test_replicas_append_to_one_log(backend: Backend) -> None:
    """Two gateway replicas writing at once: no entry is lost (with PostgreSQL, each its own pool)."""
    with replica(backend) as other:
        logs = [_log(backend), _log(other)]

        def write(k: int) -> None:
            for i in range(25):
                logs[k].append("sentiment", _entry(k * 100 + i))

        threads = [threading.Thread(target=write, args=(k,)) for k in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert sorted(e["request_id"] for e in _log(backend).entries("sentiment")) == sorted(
        f"r{k * 100 + i}" for k in range(2) for i in range(25))


def test_a_folder_still_means_the_file_log(tmp_path: Path) -> None:
    recorder = ShadowRecorder(tmp_path / "shadow")
    assert isinstance(recorder.log, FileShadowLog) and recorder.log_path("t") == tmp_path / "shadow" / "t.jsonl"

"""Shadow copies run off the response path: bounded in number and in time, never holding live work's threads."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import anyio

from serving.shadow import ShadowRecorder


def test_a_hanging_shadow_version_is_cancelled_and_logged_without_starving_worker_threads(tmp_path: Path) -> None:
    """Regression: shadow calls ran in worker threads with no time limit, so 40 hung shadow calls held
    every thread of the pool the monitoring summary and log writes use."""
    recorder = ShadowRecorder(tmp_path)

    async def hangs() -> list[object]:
        await anyio.sleep(60)
        return []

    async def answers() -> list[object]:
        return [{"label": "v3"}]

    async def scenario() -> float:
        for i in range(60):
            assert recorder.submit("toytext", hangs, [{"label": "v1"}], "v1", "v3", f"hang-{i}", timeout_s=0.5)
        assert recorder.submit("toytext", answers, [{"label": "v1"}], "v1", "v3", "ok", timeout_s=0.5)
        started = anyio.current_time()
        await anyio.to_thread.run_sync(lambda: None)  # a live caller of the thread pool is not blocked
        waited = anyio.current_time() - started
        with anyio.fail_after(10):
            while recorder.pending:
                await asyncio.sleep(0.05)
        return waited

    assert anyio.run(scenario) < 0.4
    entries = [json.loads(line) for line in recorder.log_path("toytext").read_text().splitlines()]
    assert len(entries) == 61
    by_id = {e["request_id"]: e for e in entries}
    assert by_id["ok"]["shadow"] == [{"label": "v3"}] and by_id["ok"]["error"] is None
    hung = [e for key, e in by_id.items() if key.startswith("hang-")]
    assert all(e["shadow"] == [] and e["error"].startswith("TimeoutError") for e in hung)
    assert all(e["shadow_ms"] < 5000 for e in hung)


def test_the_shadow_queue_drops_copies_beyond_its_bound(tmp_path: Path) -> None:
    recorder = ShadowRecorder(tmp_path, max_pending=2)

    async def hangs() -> list[object]:
        await anyio.sleep(60)
        return []

    async def scenario() -> list[bool]:
        accepted = [recorder.submit("t", hangs, [], "v1", "v2", str(i), timeout_s=0.2) for i in range(4)]
        with anyio.fail_after(10):
            while recorder.pending:
                await asyncio.sleep(0.05)
        return accepted

    assert anyio.run(scenario) == [True, True, False, False]

"""Acceptance: ``ais batch`` on a real two-node Ray cluster on 127.0.0.1 (sentiment and OCR).

Results equal the in-process ``predict`` results item for item; a corrupt image and an empty text
are error rows; a worker killed mid-job, then a rerun, completes the job without predicting again
what was already written (the rerun's ``predicted`` count is exactly what was missing).
"""
from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from batch.output import finished_ids, parts_dir
from core.errors import InvalidInput
from core.registry import create_task, get_spec
from tests.batch.ray_cluster import KILL_ONE_WORKER, two_node_cluster

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]
JOB_TIMEOUT = 600


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[str, dict[str, str]]]:
    pytest.importorskip("ray")
    pytest.importorskip("psutil")
    with two_node_cluster() as address_env:
        yield address_env


def _close(a: Any, b: Any, path: str = "") -> list[str]:
    """Differences between two JSON values: exact for text and structure, 1e-4 for numbers (thread counts
    and batch padding move the last float digits)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a)} != {sorted(b)}"]
        return [d for k in a for d in _close(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _close(x, y, f"{path}[{i}]")]
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return [] if abs(a - b) <= 1e-4 * max(1.0, abs(a), abs(b)) else [f"{path}: {a} != {b}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def _expected(task: str, items: dict[str, Any]) -> dict[str, Any]:
    """In-process results: the JSON of each valid item, the exception of each bad one."""
    model = create_task(task, device="cpu").load()
    out: dict[str, Any] = {}
    for key, item in items.items():
        try:
            out[key] = model.predict([item])[0].model_dump(mode="json")
        except InvalidInput as exc:
            out[key] = exc
    return out


def _start(cluster: tuple[str, dict[str, str]], log: Path, *args: str) -> subprocess.Popen[str]:
    """Start ``ais batch`` (as ``python -m batch.cli``); its output goes to files, not to pipes that fill up."""
    with log.with_suffix(".out").open("w") as out, log.with_suffix(".err").open("w") as err:
        return subprocess.Popen([sys.executable, "-m", "batch.cli", *args, "--address", cluster[0], "--workers",
                                 "2", "--no-progress"], env=cluster[1], stdout=out, stderr=err, text=True)


def _finish(job: subprocess.Popen[str], log: Path) -> tuple[int, str, str]:
    rc = job.wait(timeout=JOB_TIMEOUT)
    return rc, log.with_suffix(".out").read_text(), log.with_suffix(".err").read_text()


def _kill_then_resume(cluster: tuple[str, dict[str, str]], task: str, source: Path, out: Path, total: int, batch: int) -> dict[str, Any]:
    args = (task, "--input", str(source), "--output", str(out), "--batch-size", str(batch))
    logs = out.parent
    job = _start(cluster, logs / "first", *args)
    killer = subprocess.run([sys.executable, "-c", KILL_ONE_WORKER, cluster[0], str(parts_dir(out)), "400"],
                            env=cluster[1], capture_output=True, text=True, timeout=JOB_TIMEOUT, check=False)
    first_rc, _, first_err = _finish(job, logs / "first")
    kill = json.loads(killer.stdout.strip().splitlines()[-1])
    assert kill["killed"] is not None, f"no worker to kill mid-job: {kill}\n{killer.stderr[-2000:]}"
    done_before = len(finished_ids(out))
    rc, second_out, second_err = _finish(_start(cluster, logs / "rerun", *args), logs / "rerun")
    assert rc == 0, second_err[-3000:]
    summary = json.loads(second_out.strip().splitlines()[-1])
    print(f"{task}: killed worker {kill}; first run rc={first_rc}, {done_before}/{total} written before "
          f"the rerun; rerun {summary}")
    if first_rc != 0:
        print(f"first run's error (tail): {first_err[-1500:]}")
    # no input predicted twice: the rerun predicts exactly the inputs missing from the output
    assert summary["skipped"] == done_before
    assert summary["predicted"] == total - done_before
    assert summary["rows"] == total
    return {"first_rc": first_rc, "done_before": done_before, "kill": kill, **summary}


def _check_rows(out: Path, expected: dict[str, Any]) -> None:
    rows = {r["id"]: r for r in pq.read_table(out).to_pylist()}
    assert list(rows) == list(expected)  # one row per input, in input order
    for key, want in expected.items():
        row = rows[key]
        if isinstance(want, Exception):
            assert row["result"] is None and row["error"], row
            assert row["error_type"] == type(want).__name__, row
        else:
            assert row["error"] is None, row
            assert _close(json.loads(row["result"]), want, key) == []


def test_sentiment_on_two_nodes_with_a_killed_worker(cluster: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    texts = get_spec("sentiment").sample_inputs(79)
    texts.insert(5, "")
    items = {f"t{i:03d}": text for i, text in enumerate(texts)}
    source = tmp_path / "texts.jsonl"
    source.write_text("".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in items.items()), encoding="utf-8")
    out = tmp_path / "sentiment.parquet"
    _kill_then_resume(cluster, "sentiment", source, out, len(items), batch=1)
    expected = _expected("sentiment", items)
    assert isinstance(expected["t005"], InvalidInput)
    _check_rows(out, expected)


def test_ocr_on_two_nodes_with_a_killed_worker(cluster: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    spec = get_spec("ocr")
    folder = tmp_path / "pages"
    folder.mkdir()
    items: dict[str, bytes] = {}
    for i, png in enumerate(spec.sample_inputs(5)):
        items[f"page{i}.png"] = png
    items["zz-corrupt.png"] = spec.make_bad_input()
    for name, data in items.items():
        (folder / name).write_bytes(data)
    out = tmp_path / "ocr.parquet"
    run = _kill_then_resume(cluster, "ocr", folder, out, len(items), batch=1)
    assert run["kill"]["nodes"] == 2, f"the two workers did not run on two nodes: {run['kill']}"
    expected = _expected("ocr", items)
    assert isinstance(expected["zz-corrupt.png"], InvalidInput)
    _check_rows(out, expected)


def test_a_job_whose_driver_dies_resumes_without_redoing_finished_inputs(
        cluster: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    """Ray restarts a killed worker by itself; a dead ``ais batch`` process is the case resume is for."""
    texts = get_spec("sentiment").sample_inputs(60)
    source = tmp_path / "texts.csv"
    with source.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("id", "text"), *enumerate(texts)])
    out = tmp_path / "out.parquet"
    args = ("sentiment", "--input", str(source), "--output", str(out), "--batch-size", "1")
    job = _start(cluster, tmp_path / "first", *args)
    deadline = time.monotonic() + JOB_TIMEOUT
    while job.poll() is None and len(list(parts_dir(out).glob("part-*.parquet"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    job.kill()  # SIGKILL: no clean-up, no merge
    job.wait(timeout=60)
    done_before = len(finished_ids(out))
    assert 0 < done_before < len(texts), f"the job was not killed mid-way ({done_before}/{len(texts)} done)"
    assert not out.exists()
    rc, stdout, stderr = _finish(_start(cluster, tmp_path / "rerun", *args), tmp_path / "rerun")
    assert rc == 0, stderr[-3000:]
    summary = json.loads(stdout.strip().splitlines()[-1])
    print(f"driver killed with {done_before}/{len(texts)} written; rerun {summary}")
    assert (summary["skipped"], summary["predicted"], summary["rows"]) == (done_before, len(texts) - done_before,
                                                                           len(texts))
    _check_rows(out, _expected("sentiment", {str(i): t for i, t in enumerate(texts)}))

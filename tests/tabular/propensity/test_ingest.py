"""Warehouse ingestion: quality checks and quarantine, idempotent micro-batches, crash safety (SIGKILL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from core.errors import InvalidInput
from tabular.propensity.clean import check_frame, quality_markdown
from tabular.propensity.ingest import Warehouse, write_jsonl_batches
from tabular.propensity.tables import TRANSACTIONS


def _tx(start: int, n: int) -> pd.DataFrame:
    ids = range(start, start + n)
    return pd.DataFrame(
        {
            "tx_id": list(ids),
            "customer_id": [i % 97 for i in ids],
            "month": "2021-03-01",
            "n_tx": 3,
            "amount": 100.0,
            "amount_travel": 10.0,
            "amount_health": 1.0,
            "amount_home": 2.0,
        }
    )


def test_checks_quarantine_reasons() -> None:
    frame = _tx(1, 6)
    frame.loc[1, "amount"] = -5
    frame.loc[2, "month"] = "not a date"
    frame.loc[5, "tx_id"] = 1
    result = check_frame(frame, TRANSACTIONS)
    assert len(result.good) == 3
    assert sorted(result.bad["_reason"]) == ["amount below 0", "duplicate key in batch", "missing month"]
    with pytest.raises(InvalidInput, match="amount_home"):
        check_frame(frame.drop(columns="amount_home"), TRANSACTIONS)


def test_stream_batch_twice_is_idempotent(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    frame = _tx(1, 300)
    frame.loc[3, "amount"] = -1.0
    paths = write_jsonl_batches(frame, tmp_path / "stream", 3)
    with paths[1].open("a") as fh:
        fh.write("{broken json\n")
        fh.write("[1, 2]\n")  # JSON, but not a record
    first = wh.stream_folder("transactions", tmp_path / "stream")
    rows = wh.count("transactions")
    assert rows == 299 and sum(r.loaded for r in first) == 299
    again = wh.stream_folder("transactions", tmp_path / "stream")  # the same batches re-delivered
    assert all(r.skipped_batch for r in again)
    assert wh.count("transactions") == rows
    # the same rows under a new batch id: primary keys keep them from doubling
    lines = paths[0].read_text().splitlines()
    report = wh.stream_jsonl("transactions", lines + lines[:2])
    assert report.loaded == 0 and report.already_present == len(lines) - 1  # one line is the bad amount
    assert wh.count("transactions") == rows
    q = wh.query("SELECT reason, count(*) AS n FROM quarantine GROUP BY reason ORDER BY reason")
    assert dict(zip(q["reason"], q["n"])) == {
        "amount below 0": 2,
        "unparseable JSON": 2,
        "duplicate key in batch": 2,
    }
    assert "quarantined" in quality_markdown(first)


def test_batch_file_idempotent(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    path = tmp_path / "tx.parquet"
    _tx(1, 50).to_parquet(path)
    assert wh.load_file("transactions", path).loaded == 50
    assert wh.load_file("transactions", path).skipped_batch
    assert wh.count("transactions") == 50


_KILLED = textwrap.dedent("""
    import sys, time, pathlib
    import pandas as pd
    from tabular.propensity.ingest import Warehouse
    marker = pathlib.Path(sys.argv[2])
    ids = range(1000, 21000)
    frame = pd.DataFrame({"tx_id": list(ids), "customer_id": 1, "month": "2021-03-01", "n_tx": 1,
                          "amount": 1.0, "amount_travel": 0.0, "amount_health": 0.0, "amount_home": 0.0})
    def pause(done):
        marker.write_text(str(done))   # half the batch is inserted, uncommitted: now kill me
        time.sleep(120)
    Warehouse(sys.argv[1]).load_frame("transactions", frame, "big-batch", chunk_rows=10000, on_chunk=pause)
""")


def test_sigkill_mid_batch_leaves_warehouse_consistent(tmp_path: Path) -> None:
    db, marker = tmp_path / "w.duckdb", tmp_path / "marker"
    wh = Warehouse(db)
    wh.load_frame("transactions", _tx(1, 100), "small-batch")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[3]))
    proc = subprocess.Popen([sys.executable, "-c", _KILLED, str(db), str(marker)], env=env)
    try:
        deadline = time.time() + 60
        while not marker.exists():
            assert proc.poll() is None, "the ingesting process died before the kill"
            assert time.time() < deadline, "the ingesting process never reached mid-batch"
            time.sleep(0.1)
        assert marker.read_text() == "10000"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert wh.count("transactions") == 100, "no half batch after the crash"
    assert "big-batch" not in wh.batch_ids()
    ids = range(1000, 21000)
    frame = pd.DataFrame(
        {
            "tx_id": list(ids),
            "customer_id": 1,
            "month": "2021-03-01",
            "n_tx": 1,
            "amount": 1.0,
            "amount_travel": 0.0,
            "amount_health": 0.0,
            "amount_home": 0.0,
        }
    )
    retry = wh.load_frame("transactions", frame, "big-batch", chunk_rows=10000)
    assert retry.loaded == 20000
    assert wh.count("transactions") == 20100
    assert wh.load_frame("transactions", frame, "big-batch").skipped_batch


def test_unknown_table(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        Warehouse(tmp_path / "w.duckdb").load_frame("nope", _tx(1, 2), "x")
    assert json.dumps({"ok": True})

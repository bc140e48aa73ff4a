"""The propensity scale benchmark's bookkeeping: per-stage CPU from the job's stage logs, and the report."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from benchmarks import propensity_scale as ps


def _spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_stage_log_records_cpu_per_stage() -> None:
    logger = logging.getLogger("test.propensity_scale.stages")
    logger.setLevel(logging.INFO)
    stages = ps.StageLog()
    logger.addHandler(stages)
    try:
        logger.info("stage %s ...", "busy")
        _spin(0.2)
        logger.info("stage %s done in %.1fs", "busy", 0.2)
        logger.info("stage %s ...", "idle")
        time.sleep(0.2)
        logger.info("stage %s done in %.1fs", "idle", 0.2)
    finally:
        logger.removeHandler(stages)
    assert stages.cpu["busy"] >= 0.15
    assert stages.cpu["idle"] < 0.1
    assert set(stages.ends) == {"busy", "idle"}


def _result(customers: int, cpu: float | None) -> dict:
    stage = {"seconds": 12.0, "peak_rss_tree_mb": 900.0}
    if cpu is not None:
        stage["cpu_seconds_self"] = cpu
    return {
        "customers": customers, "engine": "local", "reasons_deciles": 3, "stages": {"leads": stage},
        "total_seconds": 20.0, "us_per_customer": 20.0 / customers * 1e6, "peak_rss_tree_mb": 950.0,
        "cpu_seconds": {"self": 15.0, "waited_children": 0.0},
        "load_average": {"before": [1.0], "after": [2.0]}, "memory_trace_mb": [(0.0, 100.0), (1.0, 950.0)],
    }


def test_report_shows_stage_cpu_and_reason_scope(tmp_path: Path) -> None:
    (tmp_path / "propensity_1000_local.json").write_text(json.dumps(_result(1000, 11.0)))
    (tmp_path / "propensity_2000_local.json").write_text(json.dumps(_result(2000, None)))  # older run: no CPU
    text = ps.write_report(tmp_path).read_text()
    assert "| 1,000 | local, reasons deciles 1-3 | 12 s (CPU 11) / 900 MB |" in text
    assert "| 2,000 | local, reasons deciles 1-3 | 12 s / 900 MB |" in text
    assert (tmp_path / "scale.png").stat().st_size > 0


def test_report_on_a_folder_without_results_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no propensity_"):
        ps.write_report(tmp_path)

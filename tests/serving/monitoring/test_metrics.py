"""Prometheus gauges are created on first use and carry drift and quality of the latest window."""
from __future__ import annotations

import sys
from pathlib import Path

from serving.monitoring import Monitor, MonitorSettings
from serving.monitoring.profile import reference_from_records
from tests.serving.monitoring.conftest import Clock, records


def test_gauges_follow_the_monitor(tmp_path: Path) -> None:
    from prometheus_client import REGISTRY, generate_latest

    settings = MonitorSettings(background=False, metrics=True, metrics_interval_s=0, flush_items=1000)
    monitor = Monitor(tmp_path, "acme", settings, clock=Clock())
    monitor.register_reference(reference_from_records(records(500, seed=1), task="propensity", version="v1"))
    monitor.observe("propensity", "v1", "record", records(100, seed=2, shifted=True), None, 200)
    monitor.observe("propensity", "v1", "record", None, None, 400)
    monitor.flush()
    text = generate_latest(REGISTRY).decode()
    assert 'ais_drift_flag{feature="income",task="propensity",version="v1"} 1.0' in text
    assert 'ais_drift_flag{feature="sex",task="propensity",version="v1"} 0.0' in text
    assert 'ais_data_quality_rate{check="rejected_rate",task="propensity",version="v1"} 0.5' in text
    assert "ais_drift_psi" in text


def test_importing_monitoring_creates_no_metric_and_loads_nothing_heavy() -> None:
    import subprocess

    code = ("import sys, serving.monitoring, serving.monitoring.cli; "
            "print(sorted(m for m in ('pandas','scipy','sklearn','matplotlib','prometheus_client','fairlearn') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

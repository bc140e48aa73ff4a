"""Prometheus gauges for drift and data quality, next to the gateway's request metrics.

Created on first use inside the running process (never at import): BentoML sets
``PROMETHEUS_MULTIPROC_DIR`` before it builds the service, and prometheus_client must see it first.
"""
from __future__ import annotations

import threading
from typing import Any

from serving.monitoring.schemas import DriftReport, QualityReport

_LOCK = threading.Lock()
_GAUGES: dict[str, Any] = {}


def _gauges() -> dict[str, Any]:
    """One set per process: prometheus_client refuses to register the same metric name twice."""
    with _LOCK:
        if not _GAUGES:
            from prometheus_client import Gauge

            mode = {"multiprocess_mode": "mostrecent"}  # the last value written wins across workers
            _GAUGES["psi"] = Gauge("ais_drift_psi", "Population stability index of a feature in the current window",
                                   ["task", "version", "feature"], **mode)
            _GAUGES["drifted"] = Gauge("ais_drift_flag", "1 when the feature drifted in the current window",
                                       ["task", "version", "feature"], **mode)
            _GAUGES["quality"] = Gauge("ais_data_quality_rate", "Data-quality rates of the current window",
                                       ["task", "version", "check"], **mode)
    return _GAUGES


class MonitoringMetrics:
    """Sets the gauges from the latest drift and quality reports of a task version."""

    def __init__(self) -> None:
        self._gauges = _gauges()

    def update(self, quality: QualityReport, drift: DriftReport | None) -> None:
        labels = {"task": quality.task, "version": quality.version}
        for check in ("rejected_rate", "item_error_rate", "missing_rate", "out_of_range_rate",
                      "schema_violation_rate"):
            self._gauges["quality"].labels(check=check, **labels).set(getattr(quality, check))
        if drift is None:
            return
        for feature in drift.features:
            if feature.psi is not None:
                self._gauges["psi"].labels(feature=feature.feature, **labels).set(feature.psi)
            self._gauges["drifted"].labels(feature=feature.feature, **labels).set(float(feature.drifted))
        if drift.embeddings is not None:
            self._gauges["drifted"].labels(feature="embeddings", **labels).set(float(drift.embeddings.drifted))

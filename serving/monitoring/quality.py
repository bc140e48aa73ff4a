"""Data quality of a window: rejected requests, failed items, missing, out-of-range and schema-violating inputs."""
from __future__ import annotations

from serving.monitoring.profile import OUTPUT_PREFIX
from serving.monitoring.schemas import QualityReport, WindowProfile


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def quality_report(window: WindowProfile) -> QualityReport:
    """Rates per window; missing and out-of-range are over input values (items x input features)."""
    inputs = {n: s for n, s in window.features.items() if not n.startswith(OUTPUT_PREFIX)}
    values = sum(s.count + s.missing + s.invalid for s in inputs.values())
    missing = {n: s.missing for n, s in inputs.items() if s.missing}
    out_of_range = {n: s.out_of_range for n, s in inputs.items() if s.out_of_range}
    return QualityReport(
        task=window.task, version=window.version, window_start=window.start, length_s=window.length_s,
        requests=window.requests, rejected_rate=_rate(window.rejected, window.requests), items=window.items,
        item_error_rate=_rate(window.item_errors, window.items),
        missing_rate=_rate(sum(missing.values()), values),
        out_of_range_rate=_rate(sum(out_of_range.values()), values),
        schema_violation_rate=_rate(window.schema_violations, window.items),
        missing=missing, out_of_range=out_of_range, unknown_columns=dict(window.unknown_columns))

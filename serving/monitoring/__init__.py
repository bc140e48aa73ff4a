"""Monitoring of served models: live profiles, data quality, drift against a training reference, fairness.

The gateway calls ``Monitor.observe`` per request; ``ais monitor report`` turns the stored windows
into a Markdown/HTML report. Importing this package loads neither pandas, scipy nor sklearn.
"""
from serving.monitoring.monitor import Monitor, MonitorSettings
from serving.monitoring.schemas import (
           DriftReport,
           MonitoringSummary,
           QualityReport,
           ReferenceProfile,
           WindowProfile,
)

__all__ = ["DriftReport", "Monitor", "MonitorSettings", "MonitoringSummary", "QualityReport", "ReferenceProfile",
           "WindowProfile"]

"""Prometheus metrics per task and model version: requests by status, latency, batch size.

Created inside the running service (not at import): BentoML sets ``PROMETHEUS_MULTIPROC_DIR`` in
each worker before it builds the service, and prometheus_client must see it first.
"""
from __future__ import annotations


class RequestMetrics:
    def __init__(self) -> None:
        from prometheus_client import Counter, Histogram

        self.requests = Counter("ais_requests_total", "Requests by task, model version and HTTP status",
                                ["task", "version", "status"])
        self.latency = Histogram("ais_request_latency_seconds", "End-to-end gateway latency",
                                 ["task", "version"],
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
        self.batch = Histogram("ais_model_batch_size", "Batch size the model ran the request in", ["task"],
                               buckets=(1, 2, 4, 8, 16, 32, 64, 128))
        self.shadow = Counter("ais_shadow_requests_total", "Shadow copies queued", ["task", "version"])

    def observe(self, task: str, version: str, status: int, seconds: float) -> None:
        self.requests.labels(task=task, version=version, status=str(status)).inc()
        self.latency.labels(task=task, version=version).observe(seconds)

"""Bulk inference for any registered task on Ray Data: embedded locally by default, a cluster by address.

>>> from batch import BatchJob   # doctest: +SKIP
>>> run_job(BatchJob(task="sentiment", input="texts.csv", output="out.parquet"))  # doctest: +SKIP
"""
from __future__ import annotations

from batch.job import BatchJob, JobSummary, run_job

__all__ = ["BatchJob", "JobSummary", "run_job"]

"""Bulk inference for any registered task on Ray Data: embedded locally by default, a cluster by address.

Importing ``batch`` loads nothing (pyarrow and Ray load when a job runs)::

    from batch.job import BatchJob, run_job
    run_job(BatchJob(task="sentiment", input="texts.csv", output=Path("out.parquet")))
"""

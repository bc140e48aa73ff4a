"""Child-process entry of an isolated task benchmark: reads a job (JSON) on stdin, writes a TaskRun file."""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from benchmarks.runner import BenchConfig, resolve_ref, run_task
from benchmarks.schemas import TaskOutcome, TaskRun
from core.logs import configure_logging
from core.offline import enforce_offline


def main() -> int:
    configure_logging(logging.INFO)
    enforce_offline()
    job = json.loads(sys.stdin.read())
    config = BenchConfig.from_json(job["config"])
    out = Path(job["out"])

    def checkpoint(partial: TaskRun) -> None:
        # Write then rename, so the parent never reads half a file if it stops us mid-write.
        tmp = out.with_suffix(".tmp")
        tmp.write_text(partial.model_dump_json(), encoding="utf-8")
        tmp.replace(out)

    try:
        result = run_task(resolve_ref(job["ref"]), job["precision"], config, checkpoint,
                          time_share_s=job.get("time_share_s"))
    except Exception as exc:  # noqa: BLE001 - report any failure as the task's outcome
        result = TaskRun(outcome=TaskOutcome(task=job["ref"], device=config.device, precision=job["precision"],
                                             status="failed", reason=f"{type(exc).__name__}: {exc}"))
    checkpoint(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The monthly job's entry point: ``run(RunOptions(...))`` picks the pipeline.

- ``bancassurance.py``: generated (or delivered) bank tables, point-in-time features, out-of-time months;
- ``generic.py``: any client file with a binary target (``data=file, target=...``);
- ``finish.py``: the step both share (test comparison, leads with reasons, metrics.json, report.md).
"""

from __future__ import annotations

from tabular.propensity.finish import RunResult, score_frame
from tabular.propensity.schemas import RunOptions

__all__ = ["RunResult", "run", "score_frame"]


def run(options: RunOptions) -> RunResult:
    if options.data is not None:
        from tabular.propensity.generic import run_generic

        return run_generic(options)
    from tabular.propensity.bancassurance import run_bancassurance

    return run_bancassurance(options)

"""A generated data drop as the bank would deliver it, written as it is made (bounded memory).

Per-customer tables go to ``<table>/part-NNNN.parquet`` in row chunks; the monthly tables
(transactions, interactions, promos) to ``<table>/YYYY-MM.parquet`` one month at a time while the
generator walks the months, so no month is held after it is written. The current month's
transactions arrive as JSON-lines micro-batches (the stream), as a bank's feed would.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING

from tabular.propensity.months import format_month

if TYPE_CHECKING:
    import pandas as pd

    from tabular.propensity.synth import SynthConfig

log = logging.getLogger(__name__)
CHUNK_ROWS = 500_000  # rows per part file (and so per ingested batch) of a per-customer table
STREAM_BATCH_ROWS = 250_000  # at most this many events per JSON-lines micro-batch


def write_drop(
    config: SynthConfig, tables_dir: Path, stream_dir: Path, stream_batches: int, truth: Path, marker: str
) -> None:
    """Generate ``config`` into ``tables_dir`` (and ``stream_dir``); the hidden truth to ``truth``; ``_SUCCESS``
    (holding ``marker``) written last, so a crash mid-drop is regenerated, never half-ingested."""
    from tabular.propensity.ingest import write_jsonl_batches
    from tabular.propensity.months import parse_month
    from tabular.propensity.synth import generate_tables

    current = parse_month(config.end_month)
    tables_dir.mkdir(parents=True, exist_ok=True)

    def emit(name: str, month: int, frame: pd.DataFrame) -> None:
        if name == "transactions" and month == current and stream_batches > 0:
            batches = max(stream_batches, math.ceil(len(frame) / STREAM_BATCH_ROWS))
            write_jsonl_batches(frame, stream_dir, batches, prefix=f"tx-{format_month(month)}")
            return
        folder = tables_dir / name
        folder.mkdir(exist_ok=True)
        frame.to_parquet(folder / f"{format_month(month)}.parquet", index=False)

    data = generate_tables(config, emit)
    for name, frame in data.tables.items():
        folder = tables_dir / name
        folder.mkdir(exist_ok=True)
        for i, start in enumerate(range(0, max(len(frame), 1), CHUNK_ROWS)):
            frame.iloc[start : start + CHUNK_ROWS].to_parquet(folder / f"part-{i:04d}.parquet", index=False)
    data.future_conversions.to_parquet(truth, index=False)
    (tables_dir / "_SUCCESS").write_text(json.dumps(marker))
    log.info("generated drop in %s", tables_dir)


def drop_files(tables_dir: Path, table: str) -> list[Path]:
    """A table's files in load order: ``<table>.parquet`` (older drops) or its part/month files by name."""
    single = tables_dir / f"{table}.parquet"
    return [single] if single.exists() else sorted((tables_dir / table).glob("*.parquet"))

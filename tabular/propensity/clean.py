"""Quality checks and cleaning on the way into the warehouse: types, ranges, allowed values, keys, missing.

Bad rows are not dropped silently: ``check_frame`` returns them with a reason so ingestion can put
them in the quarantine table, and ``QualityReport`` summarises what came in and what was kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from core.errors import InvalidInput
from tabular.propensity.tables import Table

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)


@dataclass
class TableQuality:
    """What one load of one table looked like."""

    table: str
    batch_id: str
    received: int = 0
    loaded: int = 0
    already_present: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    skipped_batch: bool = False

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class CheckResult:
    good: pd.DataFrame
    bad: pd.DataFrame  # the offending rows plus a ``_reason`` column


def coerce_types(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Cast columns to the table's types; values that do not parse become null (then caught as missing)."""
    import pandas as pd

    missing = [c for c in table.column_names if c not in frame.columns]
    if missing:
        raise InvalidInput(f"table {table.name!r}: input lacks columns {missing}", missing=missing)
    out = frame[table.column_names].copy()
    for col in table.columns:
        s = out[col.name]
        if col.dtype in ("BIGINT", "INTEGER", "DOUBLE"):
            out[col.name] = pd.to_numeric(s, errors="coerce")
        elif col.dtype == "DATE":
            out[col.name] = pd.to_datetime(s, errors="coerce").dt.to_period("M").dt.to_timestamp()
        elif col.dtype == "BOOLEAN":
            if s.dtype != bool:
                text = s.astype("string").str.strip().str.lower()
                out[col.name] = text.map({"true": True, "1": True, "false": False, "0": False}).astype(
                    "boolean"
                )
        else:
            out[col.name] = s.astype("string").str.strip()
    return out


def check_frame(frame: pd.DataFrame, table: Table) -> CheckResult:
    """Split rows into good and bad (with a reason): nulls, ranges, allowed values, duplicate keys."""
    import pandas as pd

    df = coerce_types(frame, table)
    reason = pd.Series(pd.NA, index=df.index, dtype="string")

    def flag(mask: pd.Series | np.ndarray, why: str) -> None:
        mask = pd.Series(np.asarray(mask, dtype=bool), index=df.index) & reason.isna()
        reason[mask] = why

    for col in table.columns:
        s = df[col.name]
        if not col.nullable:
            flag(s.isna(), f"missing {col.name}")
        if col.low is not None or col.high is not None:
            values = pd.to_numeric(s, errors="coerce")
            if col.low is not None:
                flag(values < col.low, f"{col.name} below {col.low:g}")
            if col.high is not None:
                flag(values > col.high, f"{col.name} above {col.high:g}")
        if col.allowed:
            flag(s.notna() & ~s.isin(col.allowed), f"{col.name} not in {list(col.allowed)}")
    flag(df.duplicated(list(table.key), keep="first"), "duplicate key in batch")
    bad_mask = reason.notna()
    bad = frame.loc[bad_mask.to_numpy()].copy()
    bad["_reason"] = reason[bad_mask].to_numpy()
    return CheckResult(good=df.loc[~bad_mask], bad=bad)


def missing_counts(frame: pd.DataFrame) -> dict[str, int]:
    counts = frame.isna().sum()
    return {str(k): int(v) for k, v in counts.items() if v}


def quality_markdown(reports: list[TableQuality]) -> str:
    """The written quality report (Markdown) of one ingestion run."""
    lines = [
        "# Data quality report",
        "",
        ("| table | batch | received | loaded | already present | quarantined | "
         "missing values (kept, nullable) |"),
        "|---|---|---|---|---|---|---|",
    ]
    for r in reports:
        quarantined = ", ".join(f"{k}: {v}" for k, v in r.quarantined.items()) or "0"
        missing = ", ".join(f"{k}: {v}" for k, v in r.missing.items()) or "-"
        status = " (batch already ingested, skipped)" if r.skipped_batch else ""
        lines.append(
            f"| {r.table} | {r.batch_id}{status} | {r.received} | {r.loaded} | {r.already_present} | "
            f"{quarantined} | {missing} |"
        )
    return "\n".join(lines) + "\n"

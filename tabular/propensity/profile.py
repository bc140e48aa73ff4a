"""What a client's table holds, column by column: the inferred type, and the columns not to trust.

- **types**: numeric, boolean, categorical (with its cardinality; high-cardinality ones are
  one-hot encoded on their 30 most frequent values, the rest share the all-zero code), date
  (parsed; becomes month-of-year and day-of-week features and may order the split), constant;
- **ID-like**: text or integer columns unique (or nearly) on every row, or named like an id —
  excluded from the features (an id cannot generalise to the next customer);
- **leakage suspects**: a column that alone ranks the target almost perfectly (ROC-AUC >= 0.98;
  excluded: "almost equal to the target") and columns named like something known only after the
  outcome (``duration`` of the sales call, ``outcome``, ``response``...; flagged, dropped with
  ``--drop``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

POST_OUTCOME_WORDS = frozenset(
    {"duration", "outcome", "response", "responded", "converted", "conversion", "purchased", "churned",
     "cancelled", "canceled", "result", "closed", "won", "lost"}
)
ID_WORDS = frozenset({"id", "uuid", "guid", "key", "nr", "no", "number", "code"})
NEAR_TARGET_AUC = 0.98
_TOKENS = re.compile(r"[^0-9a-z]+")


def _tokens(name: str) -> set[str]:
    return {t for t in _TOKENS.split(name.lower()) if t}


@dataclass
class ColumnProfile:
    name: str
    kind: str  # numeric | boolean | categorical | date | constant
    non_null: int
    distinct: int
    example: str
    flags: list[str] = field(default_factory=list)
    excluded: str = ""  # why it is not a feature ("" = it is one)


@dataclass
class TableProfile:
    rows: int
    columns: list[ColumnProfile]
    date_columns: list[str] = field(default_factory=list)

    @property
    def features(self) -> list[str]:
        return [c.name for c in self.columns if not c.excluded]

    def column(self, name: str) -> ColumnProfile:
        return next(c for c in self.columns if c.name == name)

    def markdown(self) -> str:
        lines = [
            "| column | inferred type | non-null | distinct | example | flags | used as feature |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in self.columns:
            lines.append(
                f"| `{c.name}` | {c.kind} | {c.non_null:,} | {c.distinct:,} | {c.example[:30]} | "
                f"{'; '.join(c.flags) or '-'} | {'no: ' + c.excluded if c.excluded else 'yes'} |"
            )
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "columns": [dict(c.__dict__) for c in self.columns],
            "date_columns": self.date_columns,
        }


def _single_feature_auc(values: pd.Series, y: np.ndarray) -> float:
    """ROC-AUC of one column alone (numbers as they are; text by its target rate), 0.5 when undefined."""
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    if len(np.unique(y)) < 2:
        return 0.5
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
        x = np.where(np.isfinite(x), x, np.nanmedian(x) if np.isfinite(x).any() else 0.0)
    else:
        key = values.astype(str).to_numpy()
        rate = pd.Series(y).groupby(key).mean()
        x = rate.reindex(key).to_numpy(dtype=np.float64)
    if np.all(x == x[0]):
        return 0.5
    return float(roc_auc_score(y, x))


def _as_dates(values: pd.Series) -> pd.Series | None:
    """The column parsed as dates when nearly every present value is one (ISO-like text, not numbers)."""
    import warnings

    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    present = values.dropna().astype(str)
    if present.empty or not present.str.match(r"^\d{4}[-/]\d{1,2}([-/]\d{1,2})?([ T].*)?$").mean() > 0.95:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(values.astype("string"), errors="coerce", format="mixed")
    return parsed if parsed.notna().sum() >= 0.95 * len(present) else None


def profile_table(
    frame: pd.DataFrame,
    y: np.ndarray,
    *,
    bookkeeping: set[str],
    drop: set[str] | None = None,
) -> TableProfile:
    """Infer types and flag ID-like / leakage-suspect columns. ``y`` is the binary target (NaN = unlabelled);
    ``bookkeeping`` (id, target, order columns) are described but never features; ``drop`` are the
    columns the user excluded."""
    import pandas as pd

    drop = drop or set()
    labelled = ~np.isnan(y)
    n = len(frame)
    columns, dates = [], []
    for name in frame.columns:
        s = frame[name]
        non_null = int(s.notna().sum())
        distinct = int(s.nunique(dropna=True))
        example = "" if non_null == 0 else str(s.dropna().iloc[0])
        parsed = _as_dates(s)
        if parsed is not None:
            kind = "date"
            dates.append(name)
        elif distinct <= 1:
            kind = "constant"
        elif pd.api.types.is_bool_dtype(s) or distinct == 2 and not pd.api.types.is_numeric_dtype(s):
            kind = "boolean" if pd.api.types.is_bool_dtype(s) else "categorical"
        elif pd.api.types.is_numeric_dtype(s):
            kind = "numeric"
        else:
            kind = "categorical"
        col = ColumnProfile(name, kind, non_null, distinct, example)
        is_integer = pd.api.types.is_integer_dtype(s)
        unique_share = distinct / max(non_null, 1)
        id_named = bool(_tokens(name) & ID_WORDS) and unique_share > 0.5
        if kind in ("categorical", "numeric") and (
            (unique_share >= 0.95 and (kind == "categorical" or is_integer)) or id_named
        ) and non_null > 20:
            col.flags.append(f"ID-like ({unique_share:.0%} distinct)")
        elif kind == "categorical" and distinct > 30:
            col.flags.append(f"high cardinality ({distinct} values): top 30 one-hot, rest grouped")
        if _tokens(name) & POST_OUTCOME_WORDS:
            col.flags.append("leakage suspect: its name says it may be known only after the outcome")
        if name in bookkeeping:
            col.excluded = "id/target/order column"
        elif name in drop:
            col.excluded = "dropped by the user (--drop)"
        elif kind == "constant":
            col.excluded = "constant"
        elif any(f.startswith("ID-like") for f in col.flags):
            col.excluded = "ID-like"
        elif labelled.sum() > 20 and kind != "date":
            auc = _single_feature_auc(s[labelled], y[labelled])
            if max(auc, 1 - auc) >= NEAR_TARGET_AUC:
                col.flags.append(f"leakage suspect: alone it ranks the target with ROC-AUC {max(auc, 1 - auc):.3f}")
                col.excluded = "almost equal to the target"
        columns.append(col)
    return TableProfile(n, columns, dates)


def date_features(frame: pd.DataFrame, date_columns: list[str]) -> pd.DataFrame:
    """Each date column replaced by its month of year and day of week (numbers a model can use)."""
    import pandas as pd

    out = frame.copy()
    for name in date_columns:
        parsed = pd.to_datetime(out[name].astype("string"), errors="coerce", format="mixed")
        out[f"{name}:month"] = parsed.dt.month.astype("float64")
        out[f"{name}:weekday"] = parsed.dt.dayofweek.astype("float64")
        out = out.drop(columns=name)
    return out

"""Why a customer is a lead: the input columns that pushed the score up most, with the customer's values."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tabular.propensity.schemas import Reason

if TYPE_CHECKING:
    import pandas as pd

    from tabular.propensity.train import ModelBundle


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def top_reasons(
    bundle: ModelBundle, frame: pd.DataFrame, k: int = 3, threads: int | None = None
) -> list[list[Reason]]:
    """Per row, the ``k`` columns with the largest (most positive) contributions to the raw score."""
    contrib, _, names = bundle.contributions(frame, threads)
    order = np.argsort(-contrib, axis=1, kind="stable")[:, :k]
    values = {n: frame[n].to_numpy(dtype=object) for n in names if n in frame.columns}
    return [
        [
            Reason(
                feature=names[j],
                value=_text(values[names[j]][i]) if names[j] in values else None,
                contribution=round(float(contrib[i, j]), 4),
            )
            for j in order[i]
        ]
        for i in range(len(frame))
    ]


def reason_columns(reasons: list[list[Reason]], k: int = 3) -> dict[str, list[str]]:
    """The reasons as leads-file columns ``reason_1..reason_k``: ``column=value (+0.42)``."""
    cols: dict[str, list[str]] = {f"reason_{j + 1}": [] for j in range(k)}
    for row in reasons:
        for j in range(k):
            r = row[j] if j < len(row) else None
            cols[f"reason_{j + 1}"].append(
                "" if r is None else f"{r.feature}={r.value if r.value is not None else 'missing'} ({r.contribution:+.2f})"
            )
    return cols

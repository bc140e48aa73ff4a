"""Fairness of a scoring model across groups (age band, sex, region): selection rates and their gaps (fairlearn).

Generic over a DataFrame of group columns, the true outcome and either a decision or a score with
a threshold (or a top share, as when sales contacts the top 10% of leads).
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field

from core.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd

AGE_BANDS = (0, 25, 35, 45, 55, 65, 200)


class GroupRates(BaseModel):
    group: str
    count: int
    selection_rate: float = Field(description="share of the group selected (predicted positive)")
    base_rate: float = Field(description="share of the group with a positive outcome")
    true_positive_rate: float | None = Field(None, description="share of the group's positives selected")


class AttributeFairness(BaseModel):
    attribute: str
    groups: list[GroupRates]
    demographic_parity_difference: float = Field(description="largest minus smallest selection rate")
    demographic_parity_ratio: float
    equal_opportunity_difference: float | None = Field(
        None, description="largest minus smallest true-positive rate (None: a group has no positives)")
    flagged: bool


class FairnessReport(BaseModel):
    task: str
    version: str
    n: int
    rule: str = Field(description="how a row is selected, e.g. 'score >= 0.5' or 'top 10%'")
    max_difference: float
    attributes: list[AttributeFairness]
    flagged: list[str] = Field(description="attributes whose parity or opportunity gap exceeds max_difference")


def age_band(ages: pd.Series | np.ndarray, edges: Sequence[float] = AGE_BANDS) -> np.ndarray:
    """Ages → labels like ``35-44`` (and ``65+``); missing ages → ``unknown``."""
    values = np.asarray(ages, dtype=np.float64)
    labels = [f"{int(lo)}-{int(hi) - 1}" if hi < 150 else f"{int(lo)}+" for lo, hi in pairwise(edges)]
    idx = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(labels) - 1)
    out = np.asarray(labels, dtype=object)[idx]
    out[~np.isfinite(values)] = "unknown"
    return out


def _selected(frame: pd.DataFrame, y_pred: str | None, score: str | None, threshold: float | None,
              top_fraction: float | None) -> tuple[np.ndarray, str]:
    if y_pred is not None:
        return frame[y_pred].astype(int).to_numpy(), f"{y_pred} == 1"
    if score is None:
        raise InvalidInput("give y_pred (decisions) or score (with threshold or top_fraction)")
    scores = frame[score].to_numpy(dtype=np.float64)
    if top_fraction is not None:
        if not 0 < top_fraction <= 1:
            raise InvalidInput(f"top_fraction must be in (0, 1], got {top_fraction}")
        k = max(1, round(top_fraction * len(scores)))
        selected = np.zeros(len(scores), dtype=int)
        selected[np.argsort(-scores, kind="stable")[:k]] = 1
        return selected, f"top {top_fraction:.0%} by {score}"
    cut = 0.5 if threshold is None else threshold
    return (scores >= cut).astype(int), f"{score} >= {cut:g}"


def fairness_report(frame: pd.DataFrame, group_columns: Sequence[str], *, y_true: str, y_pred: str | None = None,
                    score: str | None = None, threshold: float | None = None, top_fraction: float | None = None,
                    max_difference: float = 0.1, min_group_size: int = 20, task: str = "propensity",
                    version: str = "-") -> FairnessReport:
    """Per group: selection rate, base rate and true-positive rate; per attribute: the gaps (fairlearn).

    Groups smaller than ``min_group_size`` are reported but left out of the gaps, whose noise
    would otherwise dominate them.
    """
    from fairlearn.metrics import (
        MetricFrame,
        demographic_parity_difference,
        demographic_parity_ratio,
        equal_opportunity_difference,
        selection_rate,
        true_positive_rate,
    )

    missing = [c for c in [*group_columns, y_true, y_pred, score] if c is not None and c not in frame.columns]
    if missing:
        raise InvalidInput(f"columns {missing} are not in the data (columns: {list(frame.columns)})")
    if len(frame) == 0:
        raise InvalidInput("no rows to measure fairness on")
    truth = frame[y_true].astype(int).to_numpy()
    selected, rule = _selected(frame, y_pred, score, threshold, top_fraction)
    attributes = []
    for column in group_columns:
        groups = frame[column].astype(str).fillna("unknown").to_numpy()
        by_group = MetricFrame(metrics={"selection_rate": selection_rate, "base_rate": lambda t, p: float(np.mean(t)),
                                        "count": lambda t, p: len(t)},
                               y_true=truth, y_pred=selected, sensitive_features=groups).by_group
        rows = []
        for name, values in by_group.iterrows():
            positives = (groups == name) & (truth == 1)
            tpr = float(true_positive_rate(truth[positives], selected[positives])) if positives.any() else None
            rows.append(GroupRates(group=str(name), count=int(values["count"]),
                                   selection_rate=round(float(values["selection_rate"]), 6),
                                   base_rate=round(float(values["base_rate"]), 6),
                                   true_positive_rate=None if tpr is None else round(tpr, 6)))
        big = np.isin(groups, [r.group for r in rows if r.count >= min_group_size])
        if len({*groups[big]}) < 2:
            raise InvalidInput(f"column {column!r} needs at least two groups of {min_group_size}+ rows")
        kwargs = {"sensitive_features": groups[big]}
        dpd = float(demographic_parity_difference(truth[big], selected[big], **kwargs))
        dpr = float(demographic_parity_ratio(truth[big], selected[big], **kwargs))
        has_positives = all(r.true_positive_rate is not None for r in rows if r.count >= min_group_size)
        eod = float(equal_opportunity_difference(truth[big], selected[big], **kwargs)) if has_positives else None
        flagged = dpd > max_difference or (eod is not None and eod > max_difference)
        attributes.append(AttributeFairness(attribute=column, groups=rows, demographic_parity_difference=round(dpd, 6),
                                            demographic_parity_ratio=round(dpr, 6),
                                            equal_opportunity_difference=None if eod is None else round(eod, 6),
                                            flagged=flagged))
    return FairnessReport(task=task, version=version, n=len(frame), rule=rule, max_difference=max_difference,
                          attributes=attributes, flagged=[a.attribute for a in attributes if a.flagged])

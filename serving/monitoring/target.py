"""Target drift once real outcomes arrive: conversion rate, PR-AUC and lift of a month against the reference month.

Generic over (scores, outcomes) pairs, e.g. the propensity model's scores of month M and whether
each customer bought in M+1.
"""
from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field

from core.errors import InvalidInput
from serving.monitoring.drift import chi_square_test, population_stability_index


class OutcomeMetrics(BaseModel):
    n: int
    conversion_rate: float
    pr_auc: float = Field(description="average precision of the scores against the outcomes")
    lift_at_top: float = Field(description="conversion rate in the top share by score / overall conversion rate")
    mean_score: float


class TargetDriftReport(BaseModel):
    task: str
    version: str
    top_fraction: float
    reference: OutcomeMetrics
    current: OutcomeMetrics
    conversion_rate_p_value: float
    score_psi: float
    pr_auc_change: float = Field(description="relative change of PR-AUC, e.g. -0.3 = 30% worse")
    lift_change: float
    drifted: bool
    reasons: list[str]


def _checked(scores: np.ndarray, outcomes: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(outcomes).astype(int).ravel()
    if s.size != y.size:
        raise InvalidInput(f"{name}: {s.size} scores but {y.size} outcomes")
    if s.size == 0 or not np.isfinite(s).all():
        raise InvalidInput(f"{name}: scores must be finite and non-empty")
    if not np.isin(y, (0, 1)).all():
        raise InvalidInput(f"{name}: outcomes must be 0 or 1")
    if y.sum() == 0:
        raise InvalidInput(f"{name}: no positive outcome, PR-AUC and lift are undefined")
    return s, y


def outcome_metrics(scores: np.ndarray, outcomes: np.ndarray, top_fraction: float = 0.1) -> OutcomeMetrics:
    from sklearn.metrics import average_precision_score

    s, y = _checked(scores, outcomes, "outcomes")
    k = max(1, round(top_fraction * s.size))
    top = np.argsort(-s, kind="stable")[:k]
    rate = float(y.mean())
    return OutcomeMetrics(n=int(s.size), conversion_rate=round(rate, 6),
                          pr_auc=round(float(average_precision_score(y, s)), 6),
                          lift_at_top=round(float(y[top].mean()) / rate, 6), mean_score=round(float(s.mean()), 6))


def target_drift(reference_scores: np.ndarray, reference_outcomes: np.ndarray, current_scores: np.ndarray,
                 current_outcomes: np.ndarray, *, top_fraction: float = 0.1, max_relative_drop: float = 0.2,
                 p_value: float = 0.01, psi: float = 0.2, task: str = "propensity",
                 version: str = "-") -> TargetDriftReport:
    """Flags a significant change of conversion rate, a PR-AUC or lift drop beyond ``max_relative_drop``,
    or a shifted score distribution (PSI)."""
    ref_s, ref_y = _checked(reference_scores, reference_outcomes, "reference")
    cur_s, cur_y = _checked(current_scores, current_outcomes, "current")
    ref = outcome_metrics(ref_s, ref_y, top_fraction)
    cur = outcome_metrics(cur_s, cur_y, top_fraction)
    _, conv_p, _ = chi_square_test({"1": int(ref_y.sum()), "0": int(ref_y.size - ref_y.sum())},
                                   {"1": int(cur_y.sum()), "0": int(cur_y.size - cur_y.sum())})
    score_psi = population_stability_index(ref_s, cur_s)
    pr_change = cur.pr_auc / ref.pr_auc - 1.0
    lift_change = cur.lift_at_top / ref.lift_at_top - 1.0
    reasons = []
    rate_change = cur.conversion_rate / ref.conversion_rate - 1.0
    if conv_p < p_value and abs(rate_change) >= max_relative_drop:
        reasons.append(f"conversion rate {ref.conversion_rate:.2%} → {cur.conversion_rate:.2%} (p={conv_p:.2g})")
    if pr_change <= -max_relative_drop:
        reasons.append(f"PR-AUC {ref.pr_auc:.3f} → {cur.pr_auc:.3f} ({pr_change:+.0%})")
    if lift_change <= -max_relative_drop:
        reasons.append(f"lift at top {top_fraction:.0%} {ref.lift_at_top:.2f} → {cur.lift_at_top:.2f}")
    if score_psi >= psi:
        reasons.append(f"score distribution PSI {score_psi:.2f}")
    return TargetDriftReport(task=task, version=version, top_fraction=top_fraction, reference=ref, current=cur,
                             conversion_rate_p_value=float(f"{conv_p:.6g}"), score_psi=round(score_psi, 6),
                             pr_auc_change=round(pr_change, 6), lift_change=round(lift_change, 6),
                             drifted=bool(reasons), reasons=reasons)

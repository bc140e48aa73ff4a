"""Ranking metrics for lead lists: PR-AUC, ROC-AUC, lift at a bucket size, cumulative gains and lift chart.

Lift at bucket k = (share of converters among the top-k scored customers) / (base rate).

>>> round(lift_at([1, 1, 1, 0, 0, 1, 0, 0, 0, 0], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0], 5), 6)
1.5
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import InvalidInput


def _arrays(
    y: Sequence[float] | np.ndarray, scores: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    y_arr, s_arr = np.asarray(y, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    if y_arr.shape != s_arr.shape or y_arr.ndim != 1 or len(y_arr) == 0:
        raise InvalidInput(
            f"labels and scores must be 1-D and of equal, non-zero length ({y_arr.shape}, {s_arr.shape})"
        )
    return y_arr, s_arr


def bucket_size(n: int, bucket: float) -> int:
    """A bucket given as a count (int) or a share of the population (0 < float < 1)."""
    k = round(n * bucket) if isinstance(bucket, float) and bucket < 1 else int(bucket)
    if not 1 <= k <= n:
        raise InvalidInput(f"bucket {bucket} gives {k} customers out of {n}")
    return k


def lift_at(y: Sequence[float] | np.ndarray, scores: Sequence[float] | np.ndarray, bucket: float) -> float:
    """Precision among the top ``bucket`` customers (count or share) divided by the base rate."""
    y_arr, s_arr = _arrays(y, scores)
    base = y_arr.mean()
    if base == 0:
        raise InvalidInput("no positives: lift is undefined")
    k = bucket_size(len(y_arr), bucket)
    order = np.argsort(-s_arr, kind="stable")
    return float(y_arr[order[:k]].mean() / base)


def gains_curve(
    y: Sequence[float] | np.ndarray, scores: Sequence[float] | np.ndarray, points: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """(share of customers contacted, share of all converters reached) at ``points`` bucket sizes."""
    y_arr, s_arr = _arrays(y, scores)
    order = np.argsort(-s_arr, kind="stable")
    captured = np.cumsum(y_arr[order]) / max(y_arr.sum(), 1)
    share = np.linspace(1 / points, 1, points)
    idx = np.maximum((share * len(y_arr)).astype(int) - 1, 0)
    return share, captured[idx]


def expected_conversions(probabilities: Sequence[float] | np.ndarray, capacity: int) -> float:
    """Expected converters if sales contacts the ``capacity`` highest-scored customers (calibrated scores)."""
    p = np.sort(np.asarray(probabilities, dtype=np.float64))[::-1]
    return float(p[: max(0, int(capacity))].sum())


@dataclass(frozen=True)
class LiftReport:
    """The scores of one model on one labelled set."""

    n: int
    positives: int
    base_rate: float
    pr_auc: float
    roc_auc: float
    lift_at_10pct: float
    lift_at_5pct: float
    brier: float

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


def lift_report(y: Sequence[float] | np.ndarray, scores: Sequence[float] | np.ndarray) -> LiftReport:
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    y_arr, s_arr = _arrays(y, scores)
    if y_arr.min() == y_arr.max():
        raise InvalidInput("evaluation needs both converters and non-converters")
    return LiftReport(
        n=len(y_arr),
        positives=int(y_arr.sum()),
        base_rate=float(y_arr.mean()),
        pr_auc=float(average_precision_score(y_arr, s_arr)),
        roc_auc=float(roc_auc_score(y_arr, s_arr)),
        lift_at_10pct=lift_at(y_arr, s_arr, 0.1),
        lift_at_5pct=lift_at(y_arr, s_arr, 0.05),
        brier=float(brier_score_loss(y_arr, np.clip(s_arr, 0, 1))),
    )


def plot_gains_and_lift(
    y: Sequence[float] | np.ndarray, scores: dict[str, np.ndarray], path: str | Path
) -> Path:
    """Cumulative gains and lift chart (one line per model) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, s in scores.items():
        share, captured = gains_curve(y, s)
        ax1.plot(share * 100, captured * 100, label=name)
        ax2.plot(share * 100, captured / share, label=name)
    ax1.plot([0, 100], [0, 100], "k--", lw=0.8, label="random")
    ax1.set(
        xlabel="% customers contacted (by score)", ylabel="% converters reached", title="Cumulative gains"
    )
    ax2.axhline(1.0, color="k", ls="--", lw=0.8)
    ax2.set(xlabel="% customers contacted (by score)", ylabel="cumulative lift", title="Lift chart")
    ax1.legend(), ax2.legend()
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def metric_intervals(
    y: Sequence[float] | np.ndarray, scores: Sequence[float] | np.ndarray, n_resamples: int = 500, seed: int = 0
) -> dict[str, tuple[float, float]]:
    """95% intervals: percentile bootstrap over customers for PR-AUC, ROC-AUC and lift@10%/5%
    (``core.stats.bootstrap_interval``), Wilson for the base rate."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    from core.stats import bootstrap_interval, wilson_interval

    y_arr, s_arr = _arrays(y, scores)

    def stat(fn: str) -> Callable[[list[int]], float]:
        def value(idx: list[int]) -> float:
            ix = np.asarray(idx)
            yy, ss = y_arr[ix], s_arr[ix]
            if yy.min() == yy.max():
                return float("nan")
            if fn == "pr_auc":
                return float(average_precision_score(yy, ss))
            if fn == "roc_auc":
                return float(roc_auc_score(yy, ss))
            return lift_at(yy, ss, 0.1 if fn == "lift_at_10pct" else 0.05)

        return value

    idx = list(range(len(y_arr)))
    out = {
        name: bootstrap_interval(stat(name), idx, n_resamples=n_resamples, seed=seed)
        for name in ("pr_auc", "roc_auc", "lift_at_10pct", "lift_at_5pct")
    }
    out["base_rate"] = wilson_interval(int(y_arr.sum()), len(y_arr))
    return out

"""The finishing step both pipelines share: test-set comparison and chart, leads file with reasons,
metrics.json and report.md.

``bancassurance.py`` and ``generic.py`` each build their data and model, then hand a ``Finish``
to ``finish``; nothing after the model differs between them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tabular.propensity.clean import TableQuality, quality_markdown

if TYPE_CHECKING:
    import pandas as pd

    from tabular.propensity.train import ModelBundle

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """Where the job wrote its outputs, its headline metrics and how long each stage took."""

    report: Path
    leads: Path
    model: Path
    metrics: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    spans: dict[str, tuple[float, float]] = field(default_factory=dict)  # stage -> (start, end), perf_counter


class Stages:
    """Times each named stage of a run (``with stages("features"): ...``)."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.spans: dict[str, tuple[float, float]] = {}  # name -> (start, end) on time.perf_counter()

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        log.info("stage %s ...", name)
        t0 = time.perf_counter()
        yield
        t1 = time.perf_counter()
        self.spans[name] = (t0, t1)
        self.timings[name] = round(t1 - t0, 2)
        log.info("stage %s done in %.1fs", name, self.timings[name])


def score_frame(
    bundle: ModelBundle,
    frame: pd.DataFrame,
    id_column: str = "customer_id",
    reasons: int = 3,
    reasons_deciles: int = 10,
    threads: int | None = None,
) -> pd.DataFrame:
    """Leads table for a feature frame: score, decile, segment, premium, top reasons, sorted by score.

    Reasons (SHAP, most of the cost of scoring) are written for the rows in deciles 1..``reasons_deciles``
    (10: every row; 0: none); other rows get empty reason cells. ``threads`` is LightGBM's for them."""
    import pandas as pd

    from tabular.propensity.reasons import reason_columns, top_reasons

    scores = bundle.scores(frame)
    deciles = bundle.deciles(scores)
    out = pd.DataFrame(
        {
            "customer_id": frame[id_column].astype(str).to_numpy(),
            "score": np.round(scores, 6),
            "decile": deciles,
        }
    )
    if bundle.segmenter is not None:
        seg = bundle.segmenter.predict(frame)
        out["segment"] = seg
        out["segment_name"] = [bundle.segmenter.names[s] for s in seg]
    if bundle.premium is not None:
        out["suggested_premium"] = bundle.premium.predict(frame)
    if reasons > 0:
        explained = np.flatnonzero(deciles <= reasons_deciles)
        cells = np.full((len(frame), reasons), "", dtype=object)
        if len(explained):
            rows = frame.iloc[explained] if len(explained) < len(frame) else frame
            for j, values in enumerate(reason_columns(top_reasons(bundle, rows, reasons, threads), reasons).values()):
                cells[explained, j] = values
        for j in range(reasons):
            out[f"reason_{j + 1}"] = cells[:, j]
    out["model_version"] = bundle.version
    out = out.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    out.insert(1, "rank", np.arange(1, len(out) + 1))
    return out


@dataclass
class Finish:
    """What a pipeline hands to the shared finishing step."""

    out: Path
    title: str
    bundle: ModelBundle
    model_path: Path
    reused: bool
    split: dict[str, str]  # how train/validation/test were cut (shown in the report)
    test_labels: np.ndarray
    test_scores: dict[str, np.ndarray]  # display name -> scores on the test rows, baseline first
    baseline_key: str
    boosted_key: str
    to_score: pd.DataFrame | None  # rows to score here, or None when ``write_leads`` writes the leads
    leads_name: str  # file stem: leads_<month> or leads
    leads_format: str = "csv"
    lead_month: str | None = None
    capacity: int | None = None
    quality: list[TableQuality] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)  # Markdown sections the pipeline adds
    metrics: dict[str, Any] = field(default_factory=dict)  # pipeline-specific metrics (merged)
    eda_link: bool = False
    truth_ids: set[str] | None = None  # generated data: who really converts in the lead month (backtest)
    # sharded scoring: writes the ranked leads file at the path, returns (customer_id, score) in rank order
    write_leads: Callable[[ModelBundle, Path], pd.DataFrame] | None = None
    reasons_deciles: int = 10  # reasons for the customers in deciles 1..N (10: all)


def finish(job: Finish, stage: Stages) -> RunResult:
    """Compare the models on the test rows, write leads (with reasons), metrics.json and report.md."""
    from tabular.propensity.evaluate import lift_report, plot_gains_and_lift

    with stage("evaluate"):
        reports = {k: lift_report(job.test_labels, v) for k, v in job.test_scores.items()}
        plot_gains_and_lift(job.test_labels, job.test_scores, job.out / "lift_chart.png")
    with stage("leads"):
        leads_path = job.out / f"{job.leads_name}.{job.leads_format}"
        if job.write_leads is not None:
            leads = job.write_leads(job.bundle, leads_path)
        else:
            leads = score_frame(job.bundle, job.to_score, reasons_deciles=job.reasons_deciles)
            if job.lead_month:
                leads.insert(1, "lead_month", job.lead_month)
        if job.write_leads is not None:
            pass
        elif job.leads_format == "csv":
            leads.to_csv(leads_path, index=False)
        else:
            leads.to_parquet(leads_path, index=False)
    capacity = job.capacity or max(1, len(leads) // 10)
    metrics: dict[str, Any] = {
        "baseline": reports[job.baseline_key].as_dict(),
        "boosted": reports[job.boosted_key].as_dict(),
        "chosen_model": job.bundle.chosen,
        "capacity": capacity,
        "expected_conversions_at_capacity": float(leads["score"].head(capacity).sum()),
        **job.metrics,
    }
    if job.truth_ids is not None:
        y_next = leads["customer_id"].astype(str).isin(job.truth_ids).to_numpy()
        if 0 < y_next.sum() < len(y_next):
            metrics["backtest_lead_month"] = lift_report(y_next, leads["score"].to_numpy()).as_dict()
            metrics["backtest_lead_month"]["actual_conversions_at_capacity"] = int(y_next[:capacity].sum())
    metrics["timings"] = stage.timings
    report = write_report(job, reports, metrics, leads_path)
    (job.out / "metrics.json").write_text(json.dumps(metrics, indent=2, default=str))
    return RunResult(report, leads_path, Path(job.model_path), metrics, stage.timings, stage.spans)


def _reasons_scope(deciles: int) -> str:
    what = "its top 3 reasons: the input columns that raised its score most, in log-odds"
    if deciles >= 10:
        return f"each lead with {what}"
    if deciles <= 0:
        return "no reasons written (`--reasons-deciles 0`)"
    return f"each lead in deciles 1-{deciles} with {what}; the others' reason cells are empty (`--reasons-deciles`)"


def _row(name: str, r: Any, mark: str = "") -> str:
    return (
        f"| {name}{mark} | {r.pr_auc:.4f} | {r.roc_auc:.4f} | {r.lift_at_10pct:.2f} | {r.lift_at_5pct:.2f} | "
        f"{r.brier:.4f} | {r.base_rate:.4f} | {r.n:,} | {r.positives:,} |"
    )


def write_report(job: Finish, reports: dict[str, Any], metrics: dict[str, Any], leads_path: Path) -> Path:
    b, g = reports[job.baseline_key], reports[job.boosted_key]
    chosen_key = job.baseline_key if job.bundle.chosen == "logistic" else job.boosted_key
    lines = [
        f"# {job.title}",
        "",
        (f"Mode: {job.bundle.mode}. Model `{job.bundle.version}` ({'reused' if job.reused else 'trained now'}), "
        f"saved at `{job.model_path}`; leads are scored by **{chosen_key}**."),
        "",
        "## Split",
        "",
        *[f"- {k}: {v}" for k, v in job.split.items()],
        "",
        "## Test rows: baseline vs boosted",
        "",
        "| model | PR-AUC | ROC-AUC | lift@10% | lift@5% | Brier | base rate | n | positives |",
        "|---|---|---|---|---|---|---|---|---|",
        *[_row(k, r, " (chosen)" if k == chosen_key else "") for k, r in reports.items()],
        "",
        (f"{job.boosted_key} {'beats' if g.pr_auc > b.pr_auc else 'does NOT beat'} the baseline on PR-AUC "
        f"({g.pr_auc:.4f} vs {b.pr_auc:.4f}) and "
        f"{'beats' if g.lift_at_10pct > b.lift_at_10pct else 'does NOT beat'} it on lift@10% "
        f"({g.lift_at_10pct:.2f} vs {b.lift_at_10pct:.2f})."),
        "",
        "![gains and lift](lift_chart.png)",
        "",
        *job.sections,
        f"## Leads{' for ' + job.lead_month if job.lead_month else ''}",
        "",
        (f"File: `{leads_path}` ({_reasons_scope(job.reasons_deciles)}). Sales capacity {metrics['capacity']:,} contacts: expected conversions "
        f"{metrics['expected_conversions_at_capacity']:.1f} (sum of calibrated scores)."),
        "",
    ]
    if "backtest_lead_month" in metrics:
        bt = metrics["backtest_lead_month"]
        lines += [
            (f"Backtest against the generator's hidden truth for the lead month: PR-AUC {bt['pr_auc']:.4f}, "
            f"lift@10% {bt['lift_at_10pct']:.2f}, actual conversions in the top {metrics['capacity']:,}: "
            f"{bt['actual_conversions_at_capacity']}."),
            "",
        ]
    if metrics.get("premium"):
        p = metrics["premium"]
        lines += [
            "## Premium suggestion (test months, policies bought)",
            "",
            (f"RMSE {p['rmse']:.1f}, MAE {p['mae']:.1f} on {int(p['n'])} policies (median baseline: RMSE "
            f"{p['baseline_median_rmse']:.1f}, MAE {p['baseline_median_mae']:.1f})."),
            "",
        ]
    if job.bundle.segmenter is not None:
        lines += ["## Segments", "", job.bundle.segmenter.profile_markdown(), ""]
    if job.quality:
        lines += ["## Data quality", "", quality_markdown(job.quality).split("\n", 2)[2], ""]
    lines += [
        "## Stage timings (s)",
        "",
        ", ".join(f"{k} {v}" for k, v in metrics.get("timings", {}).items()),
        "",
    ]
    if job.eda_link:
        lines += ["EDA: [eda/eda.md](eda/eda.md)", ""]
    path = job.out / "report.md"
    path.write_text("\n".join(lines))
    return path

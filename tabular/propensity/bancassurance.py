"""The monthly bancassurance job on generated (or delivered) bank tables.

generate-or-ingest -> checks -> point-in-time features -> train (or reuse) -> the shared finishing step
(``finish.py``: test comparison, leads with reasons, report).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import InvalidInput
from tabular.propensity.clean import TableQuality, quality_markdown
from tabular.propensity.finish import Finish, RunResult, Stages, finish
from tabular.propensity.ingest import Warehouse, write_jsonl_batches
from tabular.propensity.months import Windows, format_month, parse_month
from tabular.propensity.schemas import RunOptions
from tabular.propensity.tables import ALL_TABLES

if TYPE_CHECKING:
    import pandas as pd

    from tabular.propensity.train import TrainResult

log = logging.getLogger(__name__)
BASELINE = "logistic baseline"
BOOSTED = "LightGBM tuned + calibrated"


def generate_drop(options: RunOptions, raw: Path, stream: Path) -> None:
    """Generate a data drop as the bank would deliver it: Parquet files, month M's transactions as JSONL batches."""
    from tabular.propensity.synth import SynthConfig, generate, month_dates

    month = parse_month(options.month)
    data = generate(
        SynthConfig(
            n_customers=options.customers,
            end_month=options.month,
            history_months=options.train_months + 18,
            seed=options.seed,
        )
    )
    raw.mkdir(parents=True, exist_ok=True)
    for name, frame in data.tables.items():
        if name == "transactions" and options.stream_batches > 0:
            is_now = frame["month"].to_numpy() == month_dates(month)
            write_jsonl_batches(frame[is_now], stream, options.stream_batches, prefix=f"tx-{options.month}")
            frame = frame[~is_now]
        frame.to_parquet(raw / f"{name}.parquet", index=False)
    data.future_conversions.to_parquet(raw.parent / "future_conversions.parquet", index=False)
    (raw / "_SUCCESS").write_text(json.dumps(options.model_dump(mode="json")))


def ingest_drop(warehouse: Warehouse, raw: Path, stream: Path) -> list[TableQuality]:
    reports = []
    for name in ALL_TABLES:
        path = raw / f"{name}.parquet"
        if path.exists():
            reports.append(warehouse.load_file(name, path))
    if stream.is_dir():
        reports += warehouse.stream_folder("transactions", stream)
    return reports


def _sample_rows(
    src: Any, cutoffs: list[int], max_negatives: int | None, max_rows: int | None, rng: np.random.Generator
) -> dict[int, np.ndarray]:
    """Customer ids per cutoff: fit months keep every converter and a sample of the others; eval months a
    uniform sample (so their base rate stays true)."""
    ids = src.customers["customer_id"].to_numpy(dtype=np.int64)
    join = src.customers["join_m"].to_numpy()
    p = src.policies
    out = {}
    for c in cutoffs:
        eligible = ids[join <= c]
        if max_negatives is not None:
            bought = np.unique(p.loc[p["start_m"] == c + 1, "customer_id"].to_numpy(dtype=np.int64))
            pos = eligible[np.isin(eligible, bought)]
            neg = eligible[~np.isin(eligible, bought)]
            if len(neg) > max_negatives:
                neg = rng.choice(neg, max_negatives, replace=False)
            out[c] = np.concatenate([pos, neg])
        else:
            out[c] = (
                rng.choice(eligible, max_rows, replace=False)
                if max_rows and len(eligible) > max_rows
                else eligible
            )
    return out


def run_bancassurance(options: RunOptions) -> RunResult:
    from tabular.propensity.features import build_features, conversion_labels, feature_columns, load_sources
    from tabular.propensity.train import TrainConfig, find_model, load_bundle, save_bundle

    stage = Stages()
    month = parse_month(options.month)
    win = Windows(month, options.train_months)
    wd = Path(options.workdir)
    out = wd / "runs" / options.month
    out.mkdir(parents=True, exist_ok=True)
    raw, stream = wd / "raw" / options.month / "tables", wd / "raw" / options.month / "stream"
    warehouse = Warehouse(wd / "warehouse.duckdb")
    rng = np.random.default_rng(options.seed)

    with stage("generate"):
        if not (raw / "_SUCCESS").exists():
            generate_drop(options, raw, stream)
    with stage("ingest_and_checks"):
        quality = ingest_drop(warehouse, raw, stream)
        (out / "quality.md").write_text(quality_markdown(quality))
    with stage("features"):
        src = load_sources(warehouse, month)
        if src.transactions.empty or src.transactions["m"].max() < month:
            raise InvalidInput(f"the warehouse has no transactions for {options.month}; ingest them first")
        fit_c = [t - 1 for t in win.fit_label_months]
        valid_c = [t - 1 for t in win.valid_label_months]
        test_c = [t - 1 for t in win.test_label_months]
        rows = _sample_rows(src, fit_c, options.max_negatives_per_month, None, rng)
        rows.update(_sample_rows(src, valid_c + test_c, None, options.max_eval_rows_per_month, rng))
        frame = build_features(src, fit_c + valid_c + test_c, rows)
        frame["label"] = conversion_labels(src, frame)
        current = build_features(src, [month])
        columns = feature_columns(current)
        fit = frame[frame["cutoff"].isin(fit_c)].reset_index(drop=True)
        valid = frame[frame["cutoff"].isin(valid_c)].reset_index(drop=True)
        test = frame[frame["cutoff"].isin(test_c)].reset_index(drop=True)
    if options.eda:
        with stage("eda"):
            from tabular.propensity.eda import eda_report

            eda_report(
                fit,
                out / "eda",
                seed=options.seed,
                title=f"EDA: training months {win.describe()['fit']} (all converters, sampled non-converters)",
            )

    tag = hashlib.sha1(
        json.dumps(
            [
                options.customers,
                options.seed,
                options.train_months,
                options.n_trials,
                sorted(warehouse.batch_ids()),
            ]
        ).encode()
    ).hexdigest()[:8]
    prefix = f"{options.month}-{tag}"
    existing = find_model(options.models_dir, prefix) if options.reuse else None
    cfg = TrainConfig(n_trials=options.n_trials, tune_timeout_s=options.tune_timeout_s, seed=options.seed)
    result: TrainResult | None = None
    with stage("train"):
        if existing is not None:
            log.info("reusing model %s", existing)
            bundle = load_bundle(existing)
            model_path = existing
        else:
            version = f"{prefix}-{time.strftime('%Y%m%d%H%M%S')}"
            result = _train_all(
                fit,
                valid,
                test,
                columns,
                cfg,
                version,
                src,
                {
                    "windows": win.describe(),
                    "data": {"kind": "synthetic", "customers": options.customers, "seed": options.seed},
                },
            )
            bundle = result.bundle
    if existing is None:
        with stage("save_model"):
            model_path = save_bundle(bundle, options.models_dir)
    metrics: dict[str, Any] = {"premium": bundle.premium.metrics if bundle.premium else {}}
    future = wd / "raw" / options.month / "future_conversions.parquet"
    sections = []
    if result is not None:
        d = result.default_report
        sections += [
            (f"LightGBM with default parameters: PR-AUC {d.pr_auc:.4f}, lift@10% {d.lift_at_10pct:.2f}; "
            f"Optuna trials: {len(result.trials)}."),
            "",
            "Top features (gain share): " + ", ".join(f"{n} {v:.3f}" for n, v in result.importances[:12]),
            "",
        ]
    run_result = finish(
        Finish(
            out=out,
            title=f"Propensity run {options.month}",
            bundle=bundle,
            model_path=Path(model_path),
            reused=result is None,
            split=win.describe(),
            test_labels=test["label"].to_numpy(),
            test_scores={
                BASELINE: bundle.baseline_scores(test),
                BOOSTED: bundle.scores(test),
            },
            baseline_key=BASELINE,
            boosted_key=BOOSTED,
            to_score=current,
            leads_name=f"leads_{format_month(win.lead_month)}",
            leads_format=options.leads_format,
            lead_month=format_month(win.lead_month),
            capacity=options.capacity,
            quality=quality,
            sections=sections,
            metrics=metrics,
            eda_link=options.eda,
            truth_ids=_hidden_truth(future),
        ),
        stage,
    )
    return run_result



def _train_all(
    fit: pd.DataFrame,
    valid: pd.DataFrame,
    test: pd.DataFrame,
    columns: list[str],
    cfg: Any,
    version: str,
    src: Any,
    metadata: dict[str, Any],
) -> TrainResult:
    """Propensity models, then the segmenter and the premium model (when policies are known), in one bundle."""
    import pandas as pd

    from tabular.propensity.premium import PremiumModel, premium_targets
    from tabular.propensity.segment import Segmenter
    from tabular.propensity.train import train_propensity

    result = train_propensity(fit, valid, test, columns, cfg, "bancassurance", version, metadata)
    bundle = result.bundle
    bundle.segmenter = Segmenter.for_frame(fit[columns], seed=cfg.seed).fit(fit, fit["label"].to_numpy())
    bundle.metadata["segments"] = bundle.segmenter.profiles
    if src is not None:
        train_rows = fit[fit["label"] == 1]
        train_rows = pd.concat([train_rows, valid[valid["label"] == 1]], ignore_index=True)
        y_train = premium_targets(src.policies, train_rows)
        test_rows = test[test["label"] == 1]
        y_test = premium_targets(src.policies, test_rows)
        if len(train_rows) >= 20 and len(test_rows) >= 5:
            model = PremiumModel(seed=cfg.seed).fit(train_rows, y_train)
            model.evaluate(test_rows, y_test, y_train)
            bundle.premium = model
            bundle.metadata["premium_metrics_test"] = model.metrics
    return result


def _hidden_truth(future: Path) -> set[str] | None:
    """Customer ids that really convert in the lead month (kept by the generator; generated data only)."""
    if not future.exists():
        return None
    import pandas as pd

    return set(pd.read_parquet(future)["customer_id"].astype(str))

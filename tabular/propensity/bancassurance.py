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
from tabular.propensity.engines import open_engine
from tabular.propensity.finish import Finish, RunResult, Stages, finish
from tabular.propensity.ingest import Warehouse
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
    """Generate a data drop as the bank would deliver it (``drop.py``): Parquet per table and month, month
    M's transactions as JSONL batches."""
    from tabular.propensity.drop import write_drop
    from tabular.propensity.synth import SynthConfig

    config = SynthConfig(
        n_customers=options.customers,
        end_month=options.month,
        history_months=options.train_months + 18,
        seed=options.seed,
    )
    write_drop(
        config, raw, stream, options.stream_batches, raw.parent / "future_conversions.parquet",
        options.model_dump_json(),
    )


def ingest_drop(warehouse: Warehouse, raw: Path, stream: Path) -> list[TableQuality]:
    """Every file of the drop is one batch (a month, or a chunk of customers), then the stream."""
    from tabular.propensity.drop import drop_files

    reports = []
    for name in ALL_TABLES:
        for path in drop_files(raw, name):
            reports.append(warehouse.load_file(name, path))
    if stream.is_dir():
        reports += warehouse.stream_folder("transactions", stream)
    return reports


def run_bancassurance(options: RunOptions) -> RunResult:
    stage = Stages()
    month = parse_month(options.month)
    win = Windows(month, options.train_months)
    wd = Path(options.workdir)
    out = wd / "runs" / options.month
    out.mkdir(parents=True, exist_ok=True)
    raw, stream = wd / "raw" / options.month / "tables", wd / "raw" / options.month / "stream"
    warehouse = Warehouse(wd / "warehouse.duckdb")

    with stage("generate"):
        if not (raw / "_SUCCESS").exists():
            generate_drop(options, raw, stream)
    with stage("ingest_and_checks"):
        quality = ingest_drop(warehouse, raw, stream)
        (out / "quality.md").write_text(quality_markdown(quality))
    with open_engine(options.engine, options.address, options.workers) as engine:
        return _model_and_leads(options, win, warehouse, quality, out, stage, engine)


def _model_and_leads(
    options: RunOptions, win: Windows, warehouse: Warehouse, quality: list[TableQuality], out: Path,
    stage: Stages, engine: Any,
) -> RunResult:
    """Sharded features, train (or reuse) on the sampled rows, sharded scoring, then the finishing step."""
    import pandas as pd

    from tabular.propensity.features import feature_columns
    from tabular.propensity.sharded import ShardPlan, partition_tables, sample_ids, shard_features
    from tabular.propensity.shards import default_shards
    from tabular.propensity.train import TrainConfig, find_model, load_bundle, save_bundle

    month = win.current
    wd = Path(options.workdir)
    with stage("features"):
        last = warehouse.query("SELECT max(month) AS m FROM transactions")["m"].iloc[0]
        if pd.isna(last) or str(last)[:7] < options.month:
            raise InvalidInput(f"the warehouse has no transactions for {options.month}; ingest them first")
        fit_c = [t - 1 for t in win.fit_label_months]
        valid_c = [t - 1 for t in win.valid_label_months]
        test_c = [t - 1 for t in win.test_label_months]
        samples = sample_ids(warehouse, fit_c, [], options.seed, options.max_negatives_per_month, None)
        samples.update(
            sample_ids(warehouse, [], valid_c + test_c, options.seed, None, options.max_eval_rows_per_month)
        )
        n_shards = options.shards or default_shards(warehouse.count("customers"))
        parts = out / "shards"
        if parts.exists():
            import shutil

            shutil.rmtree(parts)  # parts of an earlier run (maybe another shard count) must not be merged
        plan = ShardPlan(warehouse.path, month, n_shards, tuple(fit_c), tuple(valid_c + test_c), samples, parts)
        partition_tables(warehouse, n_shards, parts / "tables")
        log.info("features: %d shards on the %s engine", n_shards, engine.name)
        plan_ref = engine.put(plan)
        frame = pd.concat(engine.map(shard_features, [(plan_ref, k) for k in range(n_shards)]), ignore_index=True)
        # one row order whatever the shard count: training (LightGBM bagging, Optuna) sees the same frame
        frame = frame.sort_values(["cutoff", "customer_id"], kind="stable").reset_index(drop=True)
        columns = feature_columns(frame)
        fit = frame[frame["cutoff"].isin(fit_c)].reset_index(drop=True)
        valid = frame[frame["cutoff"].isin(valid_c)].reset_index(drop=True)
        test = frame[frame["cutoff"].isin(test_c)].reset_index(drop=True)
        del frame
    if options.eda:
        with stage("eda"):
            from tabular.propensity.eda import eda_report

            eda_report(
                fit.drop(columns="premium_target"),
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
            to_score=None,
            leads_name=f"leads_{format_month(win.lead_month)}",
            leads_format=options.leads_format,
            lead_month=format_month(win.lead_month),
            capacity=options.capacity,
            quality=quality,
            sections=sections,
            metrics=metrics,
            eda_link=options.eda,
            truth_ids=_hidden_truth(future),
            write_leads=lambda bundle, path: _sharded_leads(
                engine, plan_ref, n_shards, bundle, path, win, options.reasons_deciles
            ),
            reasons_deciles=options.reasons_deciles,
        ),
        stage,
    )
    return run_result



def _sharded_leads(
    engine: Any, plan_ref: Any, n_shards: int, bundle: Any, path: Path, win: Windows, reasons_deciles: int
) -> pd.DataFrame:
    """Score every shard's month-M part (a leads part each), then merge them into one ranked file."""
    from tabular.propensity.sharded import merge_leads, shard_leads

    bundle_ref = engine.put(bundle)
    calls = [(plan_ref, k, bundle_ref, reasons_deciles, engine.threads_per_task) for k in range(n_shards)]
    engine.map(shard_leads, calls)
    parts = path.parent / "shards"
    return merge_leads(parts, path, format_month(win.lead_month))


def _train_all(
    fit: pd.DataFrame,
    valid: pd.DataFrame,
    test: pd.DataFrame,
    columns: list[str],
    cfg: Any,
    version: str,
    metadata: dict[str, Any],
) -> TrainResult:
    """Propensity models, then the segmenter and the premium model (when policies are known), in one bundle."""
    import pandas as pd

    from tabular.propensity.premium import PremiumModel
    from tabular.propensity.segment import Segmenter
    from tabular.propensity.train import train_propensity

    result = train_propensity(fit, valid, test, columns, cfg, "bancassurance", version, metadata)
    bundle = result.bundle
    bundle.segmenter = Segmenter.for_frame(fit[columns], seed=cfg.seed).fit(fit, fit["label"].to_numpy())
    bundle.metadata["segments"] = bundle.segmenter.profiles
    if "premium_target" in fit:  # the premium each converter bought (set per shard)
        train_rows = fit[fit["label"] == 1]
        train_rows = pd.concat([train_rows, valid[valid["label"] == 1]], ignore_index=True)
        y_train = train_rows["premium_target"].to_numpy(dtype=np.float64)
        test_rows = test[test["label"] == 1]
        y_test = test_rows["premium_target"].to_numpy(dtype=np.float64)
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

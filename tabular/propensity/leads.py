"""The monthly job: generate-or-ingest -> checks -> features -> train (or reuse) -> evaluate -> leads + report.

``run(RunOptions(month="2021-03", workdir=...))`` on generated bancassurance data, or with
``data=file, target=..., id_column=...`` on any CSV/Parquet (generic mode).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import InvalidInput
from tabular.propensity.clean import TableQuality, quality_markdown
from tabular.propensity.ingest import Warehouse, read_table_file, write_jsonl_batches
from tabular.propensity.months import Windows, format_month, parse_month
from tabular.propensity.schemas import RunOptions
from tabular.propensity.tables import ALL_TABLES, Column, Table

if TYPE_CHECKING:
    import pandas as pd

    from tabular.propensity.train import ModelBundle, TrainResult

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """Where the job wrote its outputs, its headline metrics and how long each stage took."""

    report: Path
    leads: Path
    model: Path
    metrics: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


class _Stages:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        log.info("stage %s ...", name)
        t0 = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - t0, 2)
        log.info("stage %s done in %.1fs", name, self.timings[name])


def run(options: RunOptions) -> RunResult:
    if options.data is not None:
        return run_generic(options)
    return run_bancassurance(options)


# -- bancassurance mode -------------------------------------------------------------------------------
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

    stage = _Stages()
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
    with stage("evaluate"):
        from tabular.propensity.evaluate import lift_report, plot_gains_and_lift

        yt = test["label"].to_numpy()
        scores_t = {
            "logistic baseline": bundle.baseline_scores(test),
            "LightGBM (tuned, calibrated)": bundle.scores(test),
        }
        reports = {k: lift_report(yt, v) for k, v in scores_t.items()}
        plot_gains_and_lift(yt, scores_t, out / "lift_chart.png")
    if existing is None:
        with stage("save_model"):
            model_path = save_bundle(bundle, options.models_dir)
    with stage("leads"):
        leads = score_frame(bundle, current)
        leads.insert(1, "lead_month", format_month(win.lead_month))
        leads_path = out / f"leads_{format_month(win.lead_month)}.{options.leads_format}"
        if options.leads_format == "csv":
            leads.to_csv(leads_path, index=False)
        else:
            leads.to_parquet(leads_path, index=False)
    capacity = options.capacity or max(1, len(leads) // 10)
    metrics: dict[str, Any] = {
        "baseline": reports["logistic baseline"].as_dict(),
        "boosted": reports["LightGBM (tuned, calibrated)"].as_dict(),
        "capacity": capacity,
        "expected_conversions_at_capacity": float(leads["score"].head(capacity).sum()),
        "premium": bundle.premium.metrics if bundle.premium else {},
    }
    future = wd / "raw" / options.month / "future_conversions.parquet"
    if future.exists():
        import pandas as pd

        truth = pd.read_parquet(future)
        y_next = leads["customer_id"].isin(truth["customer_id"].astype(str)).to_numpy()
        if 0 < y_next.sum() < len(y_next):
            metrics["backtest_lead_month"] = lift_report(y_next, leads["score"].to_numpy()).as_dict()
            metrics["backtest_lead_month"]["actual_conversions_at_capacity"] = int(y_next[:capacity].sum())
    metrics["timings"] = stage.timings
    report = write_report(
        out / "report.md", options, win.describe(), bundle, metrics, result, quality, leads_path, model_path
    )
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, default=str))
    return RunResult(report, leads_path, Path(model_path), metrics, stage.timings)


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
    """Propensity models, then the segmenter and (when policies are known) the premium model, in one bundle."""
    import pandas as pd

    from tabular.propensity.premium import PremiumModel, premium_targets
    from tabular.propensity.segment import Segmenter
    from tabular.propensity.train import train_propensity

    result = train_propensity(
        fit, valid, test, columns, cfg, "bancassurance" if src is not None else "generic", version, metadata
    )
    bundle = result.bundle
    # Only the model's inputs: a generic file's raw target column must not shape the segments.
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


def score_frame(bundle: ModelBundle, frame: pd.DataFrame, id_column: str = "customer_id") -> pd.DataFrame:
    """Leads table for a feature frame: score, decile, segment, suggested premium, sorted by score."""
    import pandas as pd

    scores = bundle.scores(frame)
    out = pd.DataFrame(
        {
            "customer_id": frame[id_column].astype(str).to_numpy(),
            "score": np.round(scores, 6),
            "decile": bundle.deciles(scores),
        }
    )
    if bundle.segmenter is not None:
        seg = bundle.segmenter.predict(frame)
        out["segment"] = seg
        out["segment_name"] = [bundle.segmenter.names[s] for s in seg]
    if bundle.premium is not None:
        out["suggested_premium"] = bundle.premium.predict(frame)
    out["model_version"] = bundle.version
    out = out.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    out.insert(1, "rank", np.arange(1, len(out) + 1))
    return out


def write_report(
    path: Path,
    options: RunOptions,
    windows: dict[str, str],
    bundle: ModelBundle,
    metrics: dict[str, Any],
    result: TrainResult | None,
    quality: list[TableQuality],
    leads_path: Path,
    model_path: Path | str,
) -> Path:
    b, g = metrics["baseline"], metrics["boosted"]
    lines = [
        f"# Propensity run {options.month}"
        if options.data is None
        else f"# Propensity run on {options.data.name}",
        "",
        f"Mode: {bundle.mode}. Model `{bundle.version}` ({'reused' if result is None else 'trained now'}), "
        f"saved at `{model_path}`.",
        "",
        "## Windows and split",
        "",
        *[f"- {k}: {v}" for k, v in windows.items()],
        "",
        "## Test months: baseline vs boosted",
        "",
        "| model | PR-AUC | ROC-AUC | lift@10% | lift@5% | base rate | n | positives |",
        "|---|---|---|---|---|---|---|---|",
        f"| logistic baseline | {b['pr_auc']:.4f} | {b['roc_auc']:.4f} | {b['lift_at_10pct']:.2f} | "
        f"{b['lift_at_5pct']:.2f} | {b['base_rate']:.4f} | {b['n']} | {b['positives']} |",
        f"| LightGBM tuned + calibrated | {g['pr_auc']:.4f} | {g['roc_auc']:.4f} | {g['lift_at_10pct']:.2f} | "
        f"{g['lift_at_5pct']:.2f} | {g['base_rate']:.4f} | {g['n']} | {g['positives']} |",
        "",
        f"LightGBM {'beats' if g['pr_auc'] > b['pr_auc'] else 'does NOT beat'} the baseline on PR-AUC "
        f"({g['pr_auc']:.4f} vs {b['pr_auc']:.4f}) and "
        f"{'beats' if g['lift_at_10pct'] > b['lift_at_10pct'] else 'does NOT beat'} it on lift@10% "
        f"({g['lift_at_10pct']:.2f} vs {b['lift_at_10pct']:.2f}).",
        "",
        "![gains and lift](lift_chart.png)",
        "",
    ]
    if result is not None:
        d = result.default_report
        lines += [
            f"LightGBM with default parameters: PR-AUC {d.pr_auc:.4f}, lift@10% {d.lift_at_10pct:.2f}; "
            f"Optuna trials: {len(result.trials)}.",
            "",
            "Top features (gain share): " + ", ".join(f"{n} {v:.3f}" for n, v in result.importances[:12]),
            "",
        ]
    lines += [
        f"## Leads for {windows.get('lead_month', 'the scoring rows')}",
        "",
        f"File: `{leads_path}`. Sales capacity {metrics['capacity']:,} contacts: expected conversions "
        f"{metrics['expected_conversions_at_capacity']:.1f} (sum of calibrated scores).",
        "",
    ]
    if "backtest_lead_month" in metrics:
        bt = metrics["backtest_lead_month"]
        lines += [
            f"Backtest against the generator's hidden truth for the lead month: PR-AUC {bt['pr_auc']:.4f}, "
            f"lift@10% {bt['lift_at_10pct']:.2f}, actual conversions in the top {metrics['capacity']:,}: "
            f"{bt['actual_conversions_at_capacity']}.",
            "",
        ]
    if metrics.get("premium"):
        p = metrics["premium"]
        lines += [
            "## Premium suggestion (test months, policies bought)",
            "",
            f"RMSE {p['rmse']:.1f}, MAE {p['mae']:.1f} on {int(p['n'])} policies (median baseline: RMSE "
            f"{p['baseline_median_rmse']:.1f}, MAE {p['baseline_median_mae']:.1f}).",
            "",
        ]
    if bundle.segmenter is not None:
        lines += ["## Segments (training months)", "", bundle.segmenter.profile_markdown(), ""]
    lines += [
        "## Data quality",
        "",
        quality_markdown(quality).split("\n", 2)[2],
        "",
        "## Stage timings (s)",
        "",
        ", ".join(f"{k} {v}" for k, v in metrics.get("timings", {}).items()),
        "",
    ]
    if options.eda:
        lines += ["EDA: [eda/eda.md](eda/eda.md)", ""]
    path.write_text("\n".join(lines))
    return path


# -- generic mode ------------------------------------------------------------------------------------
def _generic_table(frame: pd.DataFrame, name: str, id_column: str, month_column: str | None) -> Table:
    import pandas as pd

    cols = []
    for c in frame.columns:
        if pd.api.types.is_bool_dtype(frame[c]):
            dtype = "BOOLEAN"
        elif pd.api.types.is_integer_dtype(frame[c]):
            dtype = "BIGINT"
        elif pd.api.types.is_numeric_dtype(frame[c]):
            dtype = "DOUBLE"
        else:
            dtype = "VARCHAR"
        cols.append(Column(c, dtype, nullable=c not in (id_column, month_column)))
    key = (id_column, month_column) if month_column else (id_column,)
    return Table(name, tuple(cols), key=key)


def _binary_target(values: pd.Series, name: str) -> np.ndarray:
    import pandas as pd

    text = values.astype("string").str.strip().str.lower()
    mapped = text.map(
        {
            "1": 1.0,
            "0": 0.0,
            "1.0": 1.0,
            "0.0": 0.0,
            "true": 1.0,
            "false": 0.0,
            "yes": 1.0,
            "no": 0.0,
            "y": 1.0,
            "n": 0.0,
        }
    )
    bad = text.notna() & mapped.isna()
    if bad.any():
        raise InvalidInput(
            f"target column {name!r} must be binary (0/1, true/false, yes/no); found "
            f"{sorted(text[bad].unique().tolist())[:5]}",
            column=name,
        )
    return pd.to_numeric(mapped).to_numpy(dtype=np.float64)


def run_generic(options: RunOptions) -> RunResult:
    import pandas as pd

    from tabular.propensity.evaluate import lift_report, plot_gains_and_lift
    from tabular.propensity.train import TrainConfig, save_bundle

    if not options.target or not options.id_column:
        raise InvalidInput("generic mode needs --target and --id")
    stage = _Stages()
    wd = Path(options.workdir)
    stem = "".join(ch if ch.isalnum() else "_" for ch in Path(options.data).stem.lower())
    out = wd / "runs" / f"generic-{stem}"
    out.mkdir(parents=True, exist_ok=True)
    with stage("ingest_and_checks"):
        raw = read_table_file(options.data)
        needed = [c for c in (options.id_column, options.target, options.month_column) if c]
        missing = [c for c in needed if c not in raw.columns]
        if missing:
            raise InvalidInput(
                f"columns {missing} are not in {Path(options.data).name}; it has {list(raw.columns)}",
                missing=missing,
            )
        table = _generic_table(raw, f"generic_{stem}", options.id_column, options.month_column)
        warehouse = Warehouse(wd / "warehouse.duckdb", tables={table.name: table})
        quality = [warehouse.load_file(table.name, options.data)]
        (out / "quality.md").write_text(quality_markdown(quality))
        frame = warehouse.query(f"SELECT * FROM {table.name}")
    with stage("features"):
        y = _binary_target(frame[options.target], options.target)
        frame["label"] = y
        frame = frame.rename(columns={options.id_column: "customer_id"})
        drop = {"customer_id", options.target, "label", options.month_column}
        columns = [c for c in frame.columns if c not in drop]
        labelled = frame[~np.isnan(y)].reset_index(drop=True)
        labelled["label"] = labelled["label"].astype(int)
        split_note = ""
        if options.month_column:
            order = pd.to_datetime(frame[options.month_column], errors="coerce")
            key = (
                order.dt.to_period("M").astype(str)
                if order.notna().all()
                else frame[options.month_column].astype(str)
            )
            frame["_period"] = key.to_numpy()
            labelled["_period"] = frame.loc[~np.isnan(y), "_period"].to_numpy()
            periods = sorted(labelled["_period"].unique())
        else:
            periods = []
        if len(periods) >= 3:
            k = max(1, round(len(periods) * 0.2))
            test_p, valid_p = periods[-k:], periods[-2 * k : -k]
            fit_p = periods[: -2 * k] or periods[:1]
            fit = labelled[labelled["_period"].isin(fit_p)]
            valid = labelled[labelled["_period"].isin(valid_p)]
            test = labelled[labelled["_period"].isin(test_p)]
            split_note = (
                f"out-of-time: fit {fit_p[0]}..{fit_p[-1]}, valid {valid_p[0]}..{valid_p[-1]}, "
                f"test {test_p[0]}..{test_p[-1]}"
            )
        else:
            # Without a usable time column there is no out-of-time split; a hash of the id keeps each
            # customer on one side, and the report says so.
            h = pd.util.hash_pandas_object(labelled["customer_id"].astype(str), index=False).to_numpy() % 10
            fit, valid, test = labelled[h < 6], labelled[(h >= 6) & (h < 8)], labelled[h >= 8]
            split_note = "NO month column: split by hashed id 60/20/20 (not out-of-time)"
            log.warning(split_note)
        to_score = frame[np.isnan(y)]
        if to_score.empty:
            to_score = frame[frame["_period"] == periods[-1]] if periods else frame
    with stage("train"):
        version = f"generic-{stem}-{time.strftime('%Y%m%d%H%M%S')}"
        cfg = TrainConfig(n_trials=options.n_trials, tune_timeout_s=options.tune_timeout_s, seed=options.seed)
        result = _train_all(
            fit.reset_index(drop=True),
            valid.reset_index(drop=True),
            test.reset_index(drop=True),
            columns,
            cfg,
            version,
            None,
            {"data": {"kind": "generic", "file": str(options.data), "split": split_note}},
        )
        bundle = result.bundle
        bundle.metadata.update(
            id_column=options.id_column, target=options.target, month_column=options.month_column
        )
    with stage("evaluate"):
        yt = test["label"].to_numpy()
        scores_t = {
            "logistic baseline": bundle.baseline_scores(test),
            "LightGBM (tuned, calibrated)": bundle.scores(test),
        }
        reports = {k: lift_report(yt, v) for k, v in scores_t.items()}
        plot_gains_and_lift(yt, scores_t, out / "lift_chart.png")
        model_path = save_bundle(bundle, options.models_dir)
    with stage("leads"):
        leads = score_frame(bundle, to_score)
        leads_path = out / f"leads.{options.leads_format}"
        leads.to_csv(leads_path, index=False) if options.leads_format == "csv" else leads.to_parquet(
            leads_path
        )
    capacity = options.capacity or max(1, len(leads) // 10)
    metrics = {
        "baseline": reports["logistic baseline"].as_dict(),
        "boosted": reports["LightGBM (tuned, calibrated)"].as_dict(),
        "capacity": capacity,
        "expected_conversions_at_capacity": float(leads["score"].head(capacity).sum()),
        "split": split_note,
        "timings": stage.timings,
    }
    report = write_report(
        out / "report.md",
        options,
        {"split": split_note},
        bundle,
        metrics,
        result,
        quality,
        leads_path,
        model_path,
    )
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, default=str))
    return RunResult(report, leads_path, Path(model_path), metrics, stage.timings)

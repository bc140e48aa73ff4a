"""Generic mode: a client's own file (any CSV dialect, Parquet, CoIL table) with a binary target.

read (sniffed) -> DuckDB warehouse with every name quoted -> column profile (types, ID-like and
leakage-suspect columns) -> split (out of time when the rows have an order) -> honest model choice
and refit (``selection.py``) -> the shared finishing step (``finish.py``).

Order of the rows, first match wins: ``month_column`` (periods: last 20% of periods test, the 20%
before validation), ``order_column`` or ``rows_in_time_order`` (the latest ``test_fraction`` of the
labelled rows test, the latest 20% of the rest validation), one date column found in the file (used
as ``order_column``, the report says so); otherwise a hashed-id test split and cross-validation,
and the report says the split is **not** out of time.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import InvalidInput
from tabular.propensity.clean import TableQuality, quality_markdown
from tabular.propensity.finish import Finish, RunResult, Stages, finish
from tabular.propensity.schemas import RunOptions
from tabular.propensity.tables import Column, Table

if TYPE_CHECKING:
    import pandas as pd

    from core.schemas import Metrics
    from tabular.propensity.evaluate import LiftReport
    from tabular.propensity.profile import TableProfile
    from tabular.propensity.readers import ReadInfo
    from tabular.propensity.selection import Selection

log = logging.getLogger(__name__)
ROW = "__row__"  # the file's row number (1 = first data row): keeps the file order through the warehouse
VALID_FRACTION = 0.2


def _generic_table(frame: pd.DataFrame, name: str, key: tuple[str, ...], required: set[str]) -> Table:
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
        cols.append(Column(c, dtype, nullable=c not in required))
    return Table(name, tuple(cols), key=key)


def binary_target(values: pd.Series, name: str) -> np.ndarray:
    """0/1, true/false, yes/no, y/n as 1.0/0.0; empty = NaN (a row to score); anything else an error."""
    import pandas as pd

    text = values.astype("string").str.strip().str.lower()
    text = text.mask(text == "")
    mapped = text.map(
        {
            "1": 1.0, "0": 0.0, "1.0": 1.0, "0.0": 0.0, "true": 1.0, "false": 0.0,
            "yes": 1.0, "no": 0.0, "y": 1.0, "n": 0.0,
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


@dataclass
class Prepared:
    """A client's file loaded, profiled and split."""

    frame: pd.DataFrame  # every row, with "customer_id", "label" (NaN = unlabelled) and ROW
    info: ReadInfo
    profile: TableProfile
    columns: list[str]  # features
    train: pd.DataFrame
    test: pd.DataFrame
    valid_mask: np.ndarray | None  # over train rows: the later ones, for out-of-time validation
    split_note: str
    order_note: str
    quality: list[TableQuality]
    to_score: pd.DataFrame


def _stem(path: Path) -> str:
    name = path.name.lower()
    for suffix in (".gz", ".csv", ".parquet", ".txt", ".xlsx", ".tsv"):
        name = name.removesuffix(suffix)
    return "".join(ch if ch.isalnum() else "_" for ch in name)[:40] or "data"


def _read_test_file(path: Path, fmt: str, targets: Path | None, columns: list[str]) -> pd.DataFrame:
    from tabular.propensity.readers import read_client_file, read_coil_file

    frame = read_coil_file(path, targets)[0] if fmt == "coil" and targets else read_client_file(path, fmt)[0]
    if list(frame.columns) != columns:
        raise InvalidInput(
            f"the test file {path.name} has columns {list(frame.columns)[:8]}..., the data file {columns[:8]}...",
            path=str(path),
        )
    return frame


def prepare(
    options: RunOptions, workdir: Path, test_path: Path | None = None, test_targets: Path | None = None
) -> Prepared:
    """Read, load into the warehouse, profile, split. No model yet. ``test_path``: a second file in the
    same layout whose rows are the test set (e.g. the CoIL evaluation table, targets in ``test_targets``)."""
    import pandas as pd

    from tabular.propensity.ingest import Warehouse, content_id
    from tabular.propensity.profile import date_features, profile_table
    from tabular.propensity.readers import read_client_file

    if not options.target:
        raise InvalidInput("generic mode needs --target (the binary outcome column)")
    path = Path(options.data)
    raw, info = read_client_file(path, options.data_format)
    needed = [c for c in (options.id_column, options.target, options.month_column, options.order_column) if c]
    missing = [c for c in [*needed, *options.drop_columns] if c not in raw.columns]
    if missing:
        raise InvalidInput(
            f"columns {missing} are not in {path.name}; it has {list(raw.columns)}", missing=missing
        )
    n_data_rows = len(raw)
    if test_path is not None:
        test_raw = _read_test_file(Path(test_path), options.data_format, test_targets, list(raw.columns))
        raw = pd.concat([raw, test_raw], ignore_index=True)
    raw.insert(0, ROW, np.arange(1, len(raw) + 1, dtype=np.int64))
    id_column = options.id_column or ROW
    key = (id_column, options.month_column) if options.month_column else (id_column,)
    stem = _stem(path)
    digest = content_id(path.read_bytes() + (Path(test_path).read_bytes() if test_path else b""))
    # one table per delivered content: a re-delivery is skipped, a different file never meets an old schema
    table = _generic_table(raw, f"generic_{stem}_{digest[:8]}", key, {ROW, *key})
    warehouse = Warehouse(workdir / "warehouse.duckdb", tables={table.name: table})
    from tabular.propensity.sqlnames import quote_identifier

    batch_id = f"{table.name}:{path.name}:{digest}"
    quality = [warehouse.load_frame(table.name, raw, batch_id, source=str(path))]
    frame = warehouse.query(
        f"SELECT * FROM {quote_identifier(table.name)} ORDER BY {quote_identifier(ROW)}"
    )
    y = binary_target(frame[options.target], options.target)
    bookkeeping = {ROW, id_column, options.target} | {c for c in (options.month_column, options.order_column) if c}
    profile = profile_table(frame, y, bookkeeping=bookkeeping, drop=set(options.drop_columns))
    order_column, order_note = options.order_column, ""
    if options.rows_in_time_order:
        order_column, order_note = ROW, "the file's row order (given as time order)"
    elif order_column:
        order_note = f"column `{order_column}`"
    elif not options.month_column:
        dates = [c for c in profile.date_columns if not profile.column(c).excluded]
        if len(dates) == 1:
            order_column, order_note = dates[0], f"date column `{dates[0]}` (found in the file)"
            profile.column(dates[0]).excluded = "orders the split (date)"
    dates = [c for c in profile.date_columns if not profile.column(c).excluded]
    frame = date_features(frame, dates)
    columns = [c for c in profile.features if c not in dates] + [
        f"{d}:{part}" for d in dates for part in ("month", "weekday")
    ]
    frame["label"] = y
    frame["customer_id"] = frame[id_column].astype(str)
    labelled = frame[~np.isnan(y)].reset_index(drop=True)
    labelled["label"] = labelled["label"].astype(int)
    if labelled["label"].nunique() < 2:
        raise InvalidInput(f"target column {options.target!r} needs both outcomes among the labelled rows")
    unlabelled = frame[np.isnan(y)]
    valid_mask: np.ndarray | None = None
    if test_path is not None:
        is_test = labelled[ROW].to_numpy() > n_data_rows
        train, test = labelled[~is_test].reset_index(drop=True), labelled[is_test].reset_index(drop=True)
        if order_column:
            n_valid = max(1, round(len(train) * VALID_FRACTION))
            valid_mask = np.arange(len(train)) >= len(train) - n_valid
        split_note = (
            f"test = the {len(test):,} rows of {Path(test_path).name}; train = the {len(train):,} labelled rows of "
            f"{path.name}; model choice "
            + ("out of time on the train rows' order" if order_column else "by 5-fold cross-validation")
        )
        to_score = unlabelled if len(unlabelled) else frame[frame[ROW].to_numpy() > n_data_rows]
    elif options.month_column:
        order = pd.to_datetime(labelled[options.month_column].astype("string"), errors="coerce", format="mixed")
        labelled["_period"] = (
            order.dt.to_period("M").astype(str).to_numpy()
            if order.notna().all()
            else labelled[options.month_column].astype(str).to_numpy()
        )
        periods = sorted(labelled["_period"].unique())
        if len(periods) < 3:
            raise InvalidInput(f"--month-col {options.month_column!r} has {len(periods)} periods; 3 or more needed")
        k = max(1, round(len(periods) * 0.2))
        test_p, valid_p, fit_p = periods[-k:], periods[-2 * k : -k], periods[: -2 * k] or periods[:1]
        train = labelled[labelled["_period"].isin(fit_p + valid_p)].reset_index(drop=True)
        test = labelled[labelled["_period"].isin(test_p)].reset_index(drop=True)
        valid_mask = train["_period"].isin(valid_p).to_numpy()
        split_note = (
            f"out-of-time by `{options.month_column}`: train {fit_p[0]}..{valid_p[-1]} (validation "
            f"{valid_p[0]}..{valid_p[-1]}), test {test_p[0]}..{test_p[-1]}"
        )
        last = frame[options.month_column].astype(str) == str(frame[options.month_column].astype(str).max())
        to_score = unlabelled if len(unlabelled) else frame[last.to_numpy()]
    elif order_column:
        key_values = labelled[order_column] if order_column in labelled else labelled[ROW]
        if key_values.isna().any():
            raise InvalidInput(f"order column {order_column!r} has missing values")
        if not pd.api.types.is_numeric_dtype(key_values):
            key_values = pd.to_datetime(key_values.astype("string"), errors="coerce", format="mixed")
        labelled = labelled.iloc[np.argsort(key_values.to_numpy(), kind="stable")].reset_index(drop=True)
        n_test = max(1, round(len(labelled) * options.test_fraction))
        train, test = labelled.iloc[:-n_test].reset_index(drop=True), labelled.iloc[-n_test:].reset_index(drop=True)
        n_valid = max(1, round(len(train) * VALID_FRACTION))
        valid_mask = np.arange(len(train)) >= len(train) - n_valid
        split_note = (
            f"out-of-time by {order_note}: train = first {len(train):,} labelled rows "
            f"({1 - options.test_fraction:.0%}; validation = its last {n_valid:,}), test = last {len(test):,}"
        )
        to_score = unlabelled if len(unlabelled) else frame[frame["customer_id"].isin(test["customer_id"])]
    else:
        h = pd.util.hash_pandas_object(labelled["customer_id"], index=False).to_numpy() % 1000
        is_test = h < round(1000 * options.test_fraction)
        train, test = labelled[~is_test].reset_index(drop=True), labelled[is_test].reset_index(drop=True)
        split_note = (
            f"NO time order: test = {len(test):,} rows by hashed id ({options.test_fraction:.0%}), model choice "
            "by 5-fold cross-validation on the rest (not out of time)"
        )
        log.warning(split_note)
        to_score = unlabelled if len(unlabelled) else frame[frame["customer_id"].isin(test["customer_id"])]
    for part, rows in (("training", train), ("test", test)):
        if len(rows) < 10 or rows["label"].nunique() < 2:
            raise InvalidInput(
                f"the {part} rows ({len(rows)}, {int(rows['label'].sum()) if len(rows) else 0} positive) need both "
                f"outcomes; split: {split_note}"
            )
    if not columns:
        raise InvalidInput(f"no usable feature columns in {path.name}: {prep_excluded(profile)}")
    return Prepared(
        frame, info, profile, columns, train, test, valid_mask, split_note, order_note, quality,
        to_score.reset_index(drop=True),
    )


def prep_excluded(profile: TableProfile) -> str:
    return "; ".join(f"{c.name}: {c.excluded}" for c in profile.columns if c.excluded)


def _sections(prep: Prepared, sel: Selection, reference: LiftReport) -> list[str]:
    from tabular.propensity.selection import DISPLAY

    v = sel.validation
    lines = [
        ("Reference, built from scikit-learn parts only (one-hot + standardised numbers + "
        "`LogisticRegression()` defaults, fitted on the same training rows): test PR-AUC "
        f"{reference.pr_auc:.4f}, lift@10% {reference.lift_at_10pct:.2f}."),
        "",
        "## Model choice",
        "",
        f"Chosen: **{DISPLAY[sel.chosen]}**, because {sel.why}. Validation: {sel.protocol}.",
        "",
        "| model | validation PR-AUC | validation lift@10% |",
        "|---|---|---|",
        *[f"| {DISPLAY[k]} | {r.pr_auc:.4f} | {r.lift_at_10pct:.2f} |" for k, r in v.items()],
        "",
        (f"Both were then refitted on all {len(prep.train):,} training rows and scored on the test rows "
        f"(table above); the leads come from the chosen model refitted on all "
        f"{len(prep.train) + len(prep.test):,} labelled rows. Scores are Platt-calibrated on the validation "
        f"scores. LightGBM settings: {sel.best_rounds} rounds, {sel.best_params} "
        f"({len(sel.trials)} Optuna trials)."),
        "",
        "Top features of the boosted model (gain share): "
        + ", ".join(f"{n} {g:.3f}" for n, g in sel.importances[:10]),
        "",
        "## What was read",
        "",
        f"`{prep.info.path}`: {prep.info.describe()}.",
        "",
        prep.profile.markdown(),
        "",
    ]
    flagged = [c for c in prep.profile.columns if c.flags]
    if flagged:
        lines += ["Flags: " + "; ".join(f"`{c.name}`: {', '.join(c.flags)}" for c in flagged), ""]
    return lines


def run_generic(options: RunOptions) -> RunResult:
    from tabular.propensity.segment import Segmenter
    from tabular.propensity.selection import DISPLAY, LIGHTGBM, LOGISTIC, select_and_refit
    from tabular.propensity.train import TrainConfig, save_bundle

    stage = Stages()
    wd = Path(options.workdir)
    out = wd / "runs" / f"generic-{_stem(Path(options.data))}"
    out.mkdir(parents=True, exist_ok=True)
    with stage("ingest_and_checks"):
        prep = prepare(options, wd)
        (out / "quality.md").write_text(
            quality_markdown(prep.quality) + "\n## Columns\n\n" + prep.profile.markdown() + "\n"
        )
    with stage("train"):
        version = f"generic-{_stem(Path(options.data))}-{time.strftime('%Y%m%d%H%M%S')}"
        cfg = TrainConfig(n_trials=options.n_trials, tune_timeout_s=options.tune_timeout_s, seed=options.seed)
        sel = select_and_refit(
            prep.train, prep.test, prep.columns, cfg, valid_mask=prep.valid_mask, version=version,
            metadata={"data": {"kind": "generic", "file": str(options.data), "split": prep.split_note}},
        )
        bundle = sel.bundle
        labelled = prep.frame[~np.isnan(prep.frame["label"].to_numpy(dtype=np.float64))]
        bundle.segmenter = Segmenter.for_frame(labelled[prep.columns], seed=cfg.seed).fit(
            labelled, labelled["label"].to_numpy(dtype=np.float64)
        )
        bundle.metadata["segments"] = bundle.segmenter.profiles
        bundle.metadata.update(
            id_column=options.id_column or None, target=options.target, month_column=options.month_column,
            columns_profile=prep.profile.as_dict(), read=prep.info.__dict__,
        )
        model_path = save_bundle(bundle, options.models_dir)
    from tabular.propensity.evaluate import lift_report
    from tabular.propensity.selection import reference_logistic_scores

    reference = lift_report(
        prep.test["label"].to_numpy(), reference_logistic_scores(prep.train, prep.test, prep.columns, options.seed)
    )
    metrics: dict[str, Any] = {
        "reference_sklearn_logistic": reference.as_dict(),
        "split": prep.split_note,
        "why": sel.why,
        "validation_protocol": sel.protocol,
        "validation": {k: r.as_dict() for k, r in sel.validation.items()},
        "chosen_test": sel.test[sel.chosen].as_dict(),
        "read": prep.info.describe(),
        "flags": {c.name: c.flags for c in prep.profile.columns if c.flags},
        "excluded": {c.name: c.excluded for c in prep.profile.columns if c.excluded},
    }
    return finish(
        Finish(
            out=out,
            title=f"Propensity run on {Path(options.data).name}",
            bundle=bundle,
            model_path=model_path,
            reused=False,
            split={"split": prep.split_note},
            test_labels=prep.test["label"].to_numpy(),
            test_scores={DISPLAY[LOGISTIC]: sel.test_scores[LOGISTIC], DISPLAY[LIGHTGBM]: sel.test_scores[LIGHTGBM]},
            baseline_key=DISPLAY[LOGISTIC],
            boosted_key=DISPLAY[LIGHTGBM],
            to_score=prep.to_score,
            leads_name="leads",
            leads_format=options.leads_format,
            capacity=options.capacity,
            quality=prep.quality,
            sections=_sections(prep, sel, reference),
            metrics=metrics,
            reasons_deciles=options.reasons_deciles,
        ),
        stage,
    )



def evaluate_file(
    options: RunOptions,
    test_path: Path | None = None,
    test_targets: Path | None = None,
    origin: str = "labelled",
) -> tuple[Metrics, Selection]:
    """``ais propensity evaluate``: generic mode's split and model choice on a labelled file, then the
    chosen model's test metrics with 95% intervals, the logistic baseline beside them
    (``Metrics.baselines``) and ``origin`` ("labelled": a client's or a public set labelled by others;
    "generated": a set we made, e.g. ``synth.insurance_marketing_frame``)."""
    from core.schemas import Metrics
    from tabular.propensity.evaluate import bucket_size, lift_report, metric_intervals
    from tabular.propensity.selection import LIGHTGBM, LOGISTIC, reference_logistic_scores, select_and_refit
    from tabular.propensity.train import TrainConfig

    prep = prepare(options, Path(options.workdir), test_path, test_targets)
    cfg = TrainConfig(n_trials=options.n_trials, tune_timeout_s=options.tune_timeout_s, seed=options.seed)
    sel = select_and_refit(
        prep.train, prep.test, prep.columns, cfg, valid_mask=prep.valid_mask, version="evaluation",
        metadata={"data": {"kind": "generic", "file": str(options.data), "split": prep.split_note}},
    )
    y = prep.test["label"].to_numpy()
    scores = sel.test_scores[sel.chosen]
    k = bucket_size(len(y), 0.1)
    top = np.argsort(-scores, kind="stable")[:k]
    values = {
        **{m: float(v) for m, v in sel.test[sel.chosen].as_dict().items() if m not in ("n", "positives")},
        "buyers_in_top10pct": float(y[top].sum()),
    }
    capacity = options.capacity
    if capacity:  # the client's bucket: how many the sales team can contact
        from tabular.propensity.evaluate import lift_at

        k_cap = bucket_size(len(y), int(capacity))
        values["buyers_at_capacity"] = float(y[np.argsort(-scores, kind="stable")[:k_cap]].sum())
        values["lift_at_capacity"] = lift_at(y, scores, k_cap)
    baselines = {
        "logistic regression": {m: float(v) for m, v in sel.test[LOGISTIC].as_dict().items() if m in values},
        "lightgbm": {m: float(v) for m, v in sel.test[LIGHTGBM].as_dict().items() if m in values},
    }
    reference_scores = reference_logistic_scores(prep.train, prep.test, prep.columns, options.seed)
    reference = lift_report(y, reference_scores)
    baselines["sklearn one-hot logistic (defaults)"] = {
        m: float(v) for m, v in reference.as_dict().items() if m in values
    }
    if capacity:
        from tabular.propensity.evaluate import lift_at

        for name, model_scores in (
            ("logistic regression", sel.test_scores[LOGISTIC]),
            ("lightgbm", sel.test_scores[LIGHTGBM]),
            ("sklearn one-hot logistic (defaults)", reference_scores),
        ):
            order = np.argsort(-model_scores, kind="stable")[:k_cap]
            baselines[name]["buyers_at_capacity"] = float(y[order].sum())
            baselines[name]["lift_at_capacity"] = lift_at(y, model_scores, k_cap)
    metrics = Metrics(
        task="propensity",
        dataset=Path(options.data).name + (f" + {Path(test_path).name}" if test_path else ""),
        n_samples=len(y),
        values=values,
        intervals=metric_intervals(y, scores, seed=options.seed),
        origin=origin,
        baselines=baselines,
        details={
            "positives": int(y.sum()),
            "capacity": capacity,
            "train_rows": len(prep.train),
            "chosen_model": sel.chosen,
            "why": sel.why,
            "validation_protocol": sel.protocol,
            "split": prep.split_note,
            "read": prep.info.describe(),
            "flags": {c.name: c.flags for c in prep.profile.columns if c.flags},
        },
    )
    return metrics, sel

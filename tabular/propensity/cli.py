"""`ais propensity ...`: the monthly job, its stages one by one, scoring a CSV and building the bundled model."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import typer

app = typer.Typer(
    help="Bancassurance lead generation: propensity, premium and segments.", no_args_is_help=True
)
log = logging.getLogger(__name__)


def _workdir(workdir: Path | None) -> Path:
    from core.offline import state_dir

    return workdir or state_dir() / "propensity" / "work"


def _options(**kwargs: object) -> object:
    from tabular.propensity.schemas import RunOptions

    return RunOptions(**{k: v for k, v in kwargs.items() if v is not None})


@app.command()
def run(
    month: str = typer.Option("2021-03", help="current month M (YYYY-MM); leads are for M+1"),
    customers: int = typer.Option(20_000, help="synthetic customers when no --data is given"),
    workdir: Path | None = typer.Option(None, help="warehouse, raw drops, runs (default: state dir)"),
    models_dir: Path | None = typer.Option(
        None, help="model folder (default: <state dir>/propensity/models)"
    ),
    data: Path | None = typer.Option(None, help="generic mode: a CSV/Parquet file"),
    target: str | None = typer.Option(None, help="generic mode: binary target column"),
    id_column: str | None = typer.Option(None, "--id", help="generic mode: id column (default: row number)"),
    month_column: str | None = typer.Option(None, "--month-col", help="generic mode: month column"),
    order_column: str | None = typer.Option(
        None, "--order-col", help="generic mode: a column giving the time order (date or sequence number)"
    ),
    rows_in_time_order: bool = typer.Option(
        False, "--rows-in-time-order", help="generic mode: the file's rows are in time order"
    ),
    test_fraction: float = typer.Option(0.2, help="generic mode: share of the latest labelled rows for the test"),
    drop: list[str] | None = typer.Option(
        None, "--drop", help="generic mode: a column never to use (repeatable), e.g. --drop duration"
    ),
    data_format: str = typer.Option("auto", help="generic mode: auto, csv, parquet, excel or coil"),
    trials: int = typer.Option(10, help="Optuna trials on the out-of-time validation months"),
    tune_timeout: float = typer.Option(180.0, help="Optuna time budget in seconds"),
    seed: int = typer.Option(0),
    reuse: bool = typer.Option(True, help="reuse a saved model for the same month and data"),
    capacity: int | None = typer.Option(None, help="sales contacts next month (default: 10% of customers)"),
    leads_format: str = typer.Option("csv", "--format", help="leads file format: csv or parquet"),
    eda: bool = typer.Option(True, help="write the EDA report"),
    engine: str = typer.Option("local", help="where customer shards run: local (one after another) or ray"),
    shards: int | None = typer.Option(None, help="customer shards (default: one per 100,000 customers)"),
    address: str | None = typer.Option(None, help="--engine ray: cluster address (default: RAY_ADDRESS or embedded)"),
    workers: int | None = typer.Option(None, help="--engine ray embedded: CPU slots (default: every core)"),
    reasons_deciles: int = typer.Option(
        3, min=0, max=10, help="reasons for the leads in score deciles 1..N (10: every customer, 0: none)"
    ),
) -> None:
    """The monthly job: generate-or-ingest, checks, features, train (or reuse), evaluate, leads and report.

    Customers are split into shards by a hash of their id; features and scoring run shard by shard
    (``--engine local``) or as Ray tasks (``--engine ray``); the same seed gives the same leads file either way.
    """
    from tabular.propensity.leads import run as run_job

    result = run_job(
        _options(
            month=month,
            customers=customers,
            workdir=_workdir(workdir),
            models_dir=models_dir,
            data=data,
            target=target,
            id_column=id_column,
            month_column=month_column,
            order_column=order_column,
            rows_in_time_order=rows_in_time_order,
            test_fraction=test_fraction,
            drop_columns=drop or None,
            data_format=data_format,
            n_trials=trials,
            tune_timeout_s=tune_timeout,
            seed=seed,
            reuse=reuse,
            capacity=capacity,
            leads_format=leads_format,
            eda=eda,
            engine=engine,
            shards=shards,
            address=address,
            workers=workers,
            reasons_deciles=reasons_deciles,
        )
    )
    b, g = result.metrics["baseline"], result.metrics["boosted"]
    typer.echo(
        f"test: baseline PR-AUC {b['pr_auc']:.4f} lift@10% {b['lift_at_10pct']:.2f} | "
        f"LightGBM PR-AUC {g['pr_auc']:.4f} lift@10% {g['lift_at_10pct']:.2f} | "
        f"chosen: {result.metrics['chosen_model']}"
    )
    if "why" in result.metrics:
        typer.echo(f"why: {result.metrics['why']}")
    typer.echo(f"report: {result.report}\nleads:  {result.leads}\nmodel:  {result.model}")
    typer.echo("timings (s): " + json.dumps(result.timings))


@app.command()
def train(
    month: str = typer.Option("2021-03"),
    customers: int = typer.Option(20_000),
    workdir: Path | None = typer.Option(None),
    models_dir: Path | None = typer.Option(None),
    trials: int = typer.Option(10),
    seed: int = typer.Option(0),
) -> None:
    """Train a new model for month M (never reuses), with leads and report as in `run`."""
    run(
        month=month,
        customers=customers,
        workdir=workdir,
        models_dir=models_dir,
        data=None,
        target=None,
        id_column=None,
        month_column=None,
        order_column=None,
        rows_in_time_order=False,
        test_fraction=0.2,
        drop=None,
        data_format="auto",
        trials=trials,
        tune_timeout=180.0,
        seed=seed,
        reuse=False,
        capacity=None,
        leads_format="csv",
        eda=False,
        engine="local",
        shards=None,
        address=None,
        workers=None,
        reasons_deciles=3,
    )


@app.command()
def generate(
    out: Path = typer.Option(..., help="folder for the Parquet tables"),
    customers: int = typer.Option(10_000),
    month: str = typer.Option("2021-03"),
    history_months: int = typer.Option(36),
    seed: int = typer.Option(0),
) -> None:
    """Generate synthetic bancassurance tables (Parquet), e.g. to try the ingestion by hand."""
    from tabular.propensity.synth import SynthConfig
    from tabular.propensity.synth import generate as gen

    data = gen(SynthConfig(n_customers=customers, end_month=month, history_months=history_months, seed=seed))
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in data.tables.items():
        frame.to_parquet(out / f"{name}.parquet", index=False)
        typer.echo(f"{name}: {len(frame):,} rows")


@app.command()
def ingest(
    warehouse: Path = typer.Option(..., help="DuckDB file"),
    table: str = typer.Option(..., help="table name (customers, transactions, ...)"),
    file: Path | None = typer.Option(None, help="batch load of a CSV/Parquet file"),
    stream_dir: Path | None = typer.Option(None, help="folder of JSON-lines micro-batches"),
    stdin: bool = typer.Option(False, help="read JSON lines from stdin, cut into micro-batches"),
    batch_size: int = typer.Option(10_000),
) -> None:
    """Load a batch file or a stream of JSON-lines events into the warehouse (idempotent per batch)."""
    from tabular.propensity.clean import quality_markdown
    from tabular.propensity.ingest import Warehouse

    wh = Warehouse(warehouse)
    if file is not None:
        reports = [wh.load_file(table, file)]
    elif stream_dir is not None:
        reports = wh.stream_folder(table, stream_dir)
    elif stdin:
        reports = wh.stream_lines(table, sys.stdin, batch_size=batch_size)
    else:
        raise typer.BadParameter("give --file, --stream-dir or --stdin")
    typer.echo(quality_markdown(reports))


@app.command()
def predict(
    csv: Path = typer.Argument(..., help="CSV of feature records (one row per customer)"),
    model: str | None = typer.Option(None, help="model path or 'default' (the bundled model)"),
    out: Path | None = typer.Option(None, help="write leads CSV here instead of JSON lines to stdout"),
) -> None:
    """Score a CSV of customer feature records with a saved model."""
    from tabular.propensity.model import PropensityModel

    task = PropensityModel(weights=model).load()
    leads = task.score_csv(csv.read_bytes())
    if out:
        import pandas as pd

        from tabular.propensity.reasons import reason_columns

        table = pd.DataFrame([lead.model_dump(exclude={"reasons"}) for lead in leads])
        for name, values in reason_columns([lead.reasons for lead in leads]).items():
            table[name] = values
        table.to_csv(out, index=False)
        typer.echo(f"{len(leads)} leads -> {out}")
    else:
        for lead in leads:
            typer.echo(lead.model_dump_json())


@app.command("build-default")
def build_default(
    customers: int = typer.Option(20_000),
    month: str = typer.Option("2021-03"),
    trials: int = typer.Option(6),
    seed: int = typer.Option(0),
    workdir: Path | None = typer.Option(None),
) -> None:
    """Train the small default model shipped in the package (tabular/propensity/default_model/)."""
    import shutil
    import tempfile

    from tabular.propensity.leads import run as run_job
    from tabular.propensity.model import DEFAULT_MODEL_DIR

    with tempfile.TemporaryDirectory() as tmp:
        wd = workdir or Path(tmp) / "work"
        result = run_job(
            _options(
                month=month,
                customers=customers,
                workdir=wd,
                models_dir=Path(tmp) / "models",
                n_trials=trials,
                seed=seed,
                reuse=False,
                eda=False,
                max_negatives_per_month=8_000,
            )
        )
        DEFAULT_MODEL_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copy(result.model, DEFAULT_MODEL_DIR / "model.joblib")
        shutil.copy(result.model.parent / "metadata.json", DEFAULT_MODEL_DIR / "metadata.json")
    size = (DEFAULT_MODEL_DIR / "model.joblib").stat().st_size
    typer.echo(f"default model -> {DEFAULT_MODEL_DIR} ({size / 1e6:.2f} MB)")


@app.command()
def evaluate(
    data: Path = typer.Option(..., help="labelled file: CSV (any dialect), Parquet, or a CoIL whitespace table"),
    target: str | None = typer.Option(None, help="binary target column (CoIL: the last column, 'target')"),
    data_format: str = typer.Option("auto", "--format", help="auto, csv, parquet, excel or coil"),
    test: Path | None = typer.Option(None, help="a second file in the same layout: its rows are the test set"),
    test_targets: Path | None = typer.Option(None, help="CoIL: the test file's targets, one per line"),
    id_column: str | None = typer.Option(None, "--id"),
    order_column: str | None = typer.Option(None, "--order-col", help="column giving the time order"),
    rows_in_time_order: bool = typer.Option(False, "--rows-in-time-order"),
    test_fraction: float = typer.Option(0.2, help="share of the latest (or hashed) rows for the test"),
    drop: list[str] | None = typer.Option(None, "--drop", help="a column never to use (repeatable)"),
    capacity: int | None = typer.Option(None, help="the client's bucket: buyers and lift in the top N scored"),
    trials: int = typer.Option(4, help="Optuna trials for LightGBM on the validation data"),
    tune_timeout: float = typer.Option(120.0),
    seed: int = typer.Option(0),
    workdir: Path | None = typer.Option(None),
    out: Path | None = typer.Option(None, help="write the Metrics JSON here"),
    generated: bool = typer.Option(False, "--generated", help="the set was generated by us (a development number)"),
) -> None:
    """Evaluate generic mode on a labelled set: chosen model vs the logistic baseline, 95% intervals."""
    from tabular.propensity.generic import evaluate_file

    options = _options(
        month="generic",
        workdir=_workdir(workdir),
        data=data,
        data_format=data_format,
        target=target or ("target" if data_format == "coil" else None),
        id_column=id_column,
        order_column=order_column,
        rows_in_time_order=rows_in_time_order,
        test_fraction=test_fraction,
        drop_columns=drop or None,
        capacity=capacity,
        n_trials=trials,
        tune_timeout_s=tune_timeout,
        seed=seed,
    )
    metrics, _ = evaluate_file(options, test, test_targets, "generated" if generated else "labelled")
    typer.echo(metrics.table())
    typer.echo(f"chosen: {metrics.details['chosen_model']} ({metrics.details['why']})")
    typer.echo(f"split: {metrics.details['split']}")
    if out:
        out.write_text(metrics.model_dump_json(indent=2))

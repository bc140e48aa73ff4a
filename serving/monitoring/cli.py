"""``ais monitor ...``: reference profiles, drift and quality reports, fairness, target drift, overhead."""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from core.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd

    from serving.monitoring.schemas import MonitoringSummary
    from serving.monitoring.store import MonitorStorage

log = logging.getLogger(__name__)

app = typer.Typer(help="Monitoring: reference profiles, drift, data quality, fairness, reports.",
                  no_args_is_help=True)

StateOpt = Annotated[Path | None, typer.Option("--state-dir", help="deployment state dir (default: the "
                                                  "config's state_dir, else AIS_HOME)")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="deployment YAML (gives client and state dir)")]
ClientOpt = Annotated[str | None, typer.Option("--client", help="client name (default: the config's)")]


@contextmanager
def _opened_store(config: Path | None, client: str | None, state: Path | None) -> Iterator[MonitorStorage]:
    """The client's monitoring store in the backend the deployment file selects (embedded without one)."""
    from serving.monitoring.store import monitor_store
    from serving.state import open_state

    folder, client = _resolve(config, client, state)
    database = None
    if config is not None:
        from serving.config import load_config

        database = open_state(load_config(config))
    store = monitor_store(folder, client or "", database)
    try:
        yield store
    finally:
        store.close()
        if database is not None:
            database.close()


def _summarize(config: Path | None, client: str, state: Path | None, since: str) -> MonitoringSummary:
    """``summarize`` on the deployment's backend (the embedded one says when it holds no data at all)."""
    from serving.monitoring.store import MonitorStore
    from serving.monitoring.summary import summarize

    folder, client_ = _resolve(config, client, state)
    with _opened_store(config, client, state) as store:
        if isinstance(store, MonitorStore):
            return summarize(folder, client_ or client, since)
        return summarize(folder, client_ or client, since, store=store)


def _resolve(config: Path | None, client: str | None, state: Path | None) -> tuple[Path, str | None]:
    from core.offline import state_dir

    if config is not None:
        from serving.config import load_config

        deployment = load_config(config)
        client = client or deployment.client
        if state is None and deployment.state_dir:
            state = Path(deployment.state_dir)
    return (state or state_dir()), client


def _read_table(path: Path) -> pd.DataFrame:
    import pandas as pd

    if not path.is_file():
        raise InvalidInput(f"{path} does not exist")
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path)
    raise InvalidInput(f"{path}: expected a .csv or .parquet file")


@app.command()
def reference(
    task: Annotated[str, typer.Option(help="task the model serves, e.g. propensity")],
    version: Annotated[str, typer.Option(help="model version as in the deployment's traffic, e.g. default")],
    data: Annotated[Path, typer.Option(help="training data: CSV/Parquet table, image folder, or text file "
                                       "(one per line; .tsv: first column)")],
    state: StateOpt = None,
    config: ConfigOpt = None,
    out: Annotated[Path | None, typer.Option(help="write the JSON here instead of the state dir")] = None,
    text_column: Annotated[int, typer.Option(help="column of a .tsv file holding the text")] = 0,
) -> None:
    """Build the reference profile of a model version from its training data (no raw data is kept)."""
    from serving.monitoring.profile import reference_from_path, save_reference

    profile = reference_from_path(data, task=task, version=version, text_column=text_column)
    if out is not None:
        target = str(save_reference(profile, out))
    else:
        with _opened_store(config, None, state) as store:
            target = store.put_reference(profile)
    typer.echo(f"reference of {task}:{version}: {profile.items} {profile.kind} items, "
               f"{len(profile.features)} features → {target}")


@app.command()
def report(
    client: ClientOpt = None,
    since: Annotated[str, typer.Option(help="period: 30m, 24h, 7d, 2w")] = "7d",
    state: StateOpt = None,
    config: ConfigOpt = None,
    out: Annotated[Path, typer.Option(help="report folder")] = Path("monitoring-report"),
) -> None:
    """Write report.md, report.html and PNG plots: quality per window, drift per feature, fairness, target drift."""
    from serving.monitoring.report import write_report

    _, client = _resolve(config, client, state)
    if not client:
        raise InvalidInput("give --client or --config")
    summary = _summarize(config, client, state, since)
    path = write_report(summary, out)
    drifted = sum(1 for w in summary.windows if w.drift is not None and w.drift.drifted)
    typer.echo(f"{len(summary.windows)} window(s), {drifted} with drift → {path}")


@app.command()
def drift(
    client: ClientOpt = None,
    since: Annotated[str, typer.Option(help="period: 30m, 24h, 7d, 2w")] = "24h",
    state: StateOpt = None,
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the full summary as JSON")] = False,
) -> None:
    """Print drift and quality per window (exit code 1 when any window drifted)."""
    from rich.console import Console
    from rich.table import Table

    _, client = _resolve(config, client, state)
    if not client:
        raise InvalidInput("give --client or --config")
    summary = _summarize(config, client, state, since)
    if as_json:
        typer.echo(summary.model_dump_json(indent=1))
    else:
        table = Table(title=f"{client}: last {since}")
        for column in ("model", "window start", "requests", "rejected", "missing", "drifted features"):
            table.add_column(column)
        from serving.monitoring.report import format_time

        for w in summary.windows:
            flagged = "-" if w.drift is None else (", ".join(w.drift.drifted_features) or "none")
            table.add_row(f"{w.task}:{w.version}", format_time(w.window_start), str(w.quality.requests),
                          f"{w.quality.rejected_rate:.1%}", f"{w.quality.missing_rate:.1%}", flagged)
        Console().print(table)
    if any(w.drift is not None and w.drift.drifted for w in summary.windows):
        raise SystemExit(1)  # core.cli.main passes SystemExit through with its code


@app.command()
def fairness(
    data: Annotated[Path, typer.Option(help="CSV/Parquet of scored customers with outcomes and group columns")],
    group: Annotated[list[str], typer.Option(help="group column (repeat), e.g. --group sex --group region")],
    y_true: Annotated[str, typer.Option(help="outcome column (0/1)")] = "converted",
    score: Annotated[str | None, typer.Option(help="score column")] = "score",
    y_pred: Annotated[str | None, typer.Option(help="decision column (0/1) instead of a score")] = None,
    threshold: Annotated[float | None, typer.Option(help="selected when score >= threshold")] = None,
    top: Annotated[float | None, typer.Option(help="selected when in this top share by score, e.g. 0.1")] = None,
    age_column: Annotated[str | None, typer.Option(help="numeric age column to band into age_band")] = None,
    max_difference: Annotated[float, typer.Option(help="gap that flags an attribute")] = 0.1,
    task: str = "propensity",
    version: str = "-",
    client: ClientOpt = None,
    state: StateOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Selection rate, demographic parity and equal opportunity gaps per group; stored for the report with --client."""
    from serving.monitoring.fairness import age_band, fairness_report

    frame = _read_table(data)
    groups = list(group)
    if age_column:
        frame["age_band"] = age_band(frame[age_column])
        groups = ["age_band" if g == age_column else g for g in groups] or ["age_band"]
    result = fairness_report(frame, groups, y_true=y_true, y_pred=y_pred, score=None if y_pred else score,
                             threshold=threshold, top_fraction=top, max_difference=max_difference, task=task,
                             version=version)
    typer.echo(result.model_dump_json(indent=1))
    _store(config, client, state, "fairness", task, version, result)
    if result.flagged:
        typer.secho(f"fairness gap above {max_difference} for: {', '.join(result.flagged)}", fg="yellow", err=True)


@app.command()
def target(
    reference_data: Annotated[Path, typer.Option("--reference", help="reference month: CSV/Parquet with scores "
                                                 "and outcomes")],
    current_data: Annotated[Path, typer.Option("--current", help="new month, same columns")],
    score: str = "score",
    y_true: Annotated[str, typer.Option(help="outcome column (0/1)")] = "converted",
    top: Annotated[float, typer.Option(help="share contacted, for lift")] = 0.1,
    task: str = "propensity",
    version: str = "-",
    client: ClientOpt = None,
    state: StateOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Target drift once outcomes are in: conversion rate, PR-AUC and lift, reference vs current month."""
    from serving.monitoring.target import target_drift

    ref, cur = _read_table(reference_data), _read_table(current_data)
    for name, frame in (("reference", ref), ("current", cur)):
        missing = [c for c in (score, y_true) if c not in frame.columns]
        if missing:
            raise InvalidInput(f"{name} data lacks columns {missing}")
    result = target_drift(ref[score].to_numpy(), ref[y_true].to_numpy(), cur[score].to_numpy(),
                          cur[y_true].to_numpy(), top_fraction=top, task=task, version=version)
    typer.echo(result.model_dump_json(indent=1))
    _store(config, client, state, "target", task, version, result)


def _store(config: Path | None, client: str | None, state: Path | None, type_: str, task: str, version: str,
           result: object) -> None:
    if client is None and config is None:
        return
    with _opened_store(config, client, state) as store:
        store.add_evaluation(type_, task, version, result)  # type: ignore[arg-type]
    log.info("stored %s report for %s in %s", type_, client, getattr(store, "path", "the state database"))


@app.command()
def overhead(
    requests: Annotated[int, typer.Option(help="timed requests per kind")] = 300,
    items: Annotated[int, typer.Option(help="items per request")] = 1,
    out: Annotated[Path | None, typer.Option(help="also write the results as JSON")] = None,
    images: Annotated[Path | None, typer.Option(help="folder of real photos to time instead of generated ones")] = None,
) -> None:
    """Microseconds monitoring adds per request, per input kind (compare with served p50)."""
    from serving.monitoring.overhead import measure_overhead
    from serving.monitoring.profile import IMAGE_SUFFIXES

    files = sorted(p for p in images.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES) if images else []
    if images and not files:
        raise InvalidInput(f"no images under {images}")
    results = measure_overhead(requests=requests, items_per_request=items, image_files=files)
    typer.echo(f"{'kind':7s} {'payload':26s} {'request path p50/p90':>21s} {'inline p50/mean/p90':>27s} "
               f"{'inline CPU p50':>15s}  (microseconds per request)")
    for r in results:
        typer.echo(f"{r.kind:7s} {r.payload:26s} {r.request_path_us_p50:>10.1f} /{r.request_path_us_p90:>8.1f}  "
                   f"{r.inline_us_p50:>9.1f} /{r.inline_us_mean:>8.1f} /{r.inline_us_p90:>8.1f} "
                   f"{r.inline_cpu_us_p50:>15.1f}")
    if out is not None:
        out.write_text(json.dumps([r.model_dump() for r in results], indent=1), encoding="utf-8")

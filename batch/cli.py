"""``ais batch TASK --input PATH --output OUT.parquet``: bulk inference of any registered task on Ray."""
from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from core.errors import AisError, ConfigError

app = typer.Typer(add_completion=False, no_args_is_help=True)


def _options(pairs: list[str]) -> dict[str, Any]:
    """``key=value`` pairs; a value is read as JSON when it parses (numbers, booleans, lists), else as text."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--option expects key=value, got {pair!r}")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options


@app.command(name="batch")
def batch(
    task: Annotated[str, typer.Argument(help="A registered task (see `ais tasks`).")],
    input: Annotated[str, typer.Option("--input", "-i", help="A folder or glob of images, or a CSV/Parquet/JSONL file.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The Parquet file to write (rerun = resume).")],
    workers: Annotated[int, typer.Option("--workers", "-w", help="Actors, each holding one loaded task.")] = 1,
    batch_size: Annotated[int, typer.Option("--batch-size", "-b", help="Inputs per predict call.")] = 16,
    num_gpus: Annotated[float, typer.Option(help="GPUs per worker (fractions share a GPU, e.g. 0.5).")] = 0.0,
    cpus_per_worker: Annotated[float, typer.Option(help="CPUs Ray reserves per worker.")] = 1.0,
    address: Annotated[str | None, typer.Option(help="A Ray cluster (ray://host:10001 or host:port); default "
                                                "RAY_ADDRESS, else Ray embedded in this command.")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda[:N].")] = "auto",
    weights: Annotated[str | None, typer.Option(help="Weights (a path or a model-store tag); default bundled.")] = None,
    option: Annotated[list[str] | None, typer.Option(help="A task option, key=value (repeatable).")] = None,
    id_column: Annotated[str, typer.Option(help="Column of unique input ids (default: the row number).")] = "id",
    column: Annotated[str | None, typer.Option(help="Column of the texts or images (default text; image, path).")] = None,
    object_store_mb: Annotated[int, typer.Option(help="Object store of embedded Ray (MiB).")] = 256,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
) -> None:
    """Run TASK over every input and write one row per input: id, result (JSON), error.

    A rerun with the same --output skips the inputs already done (a job that died resumes).
    """
    from batch.job import BatchJob, run_job

    job = BatchJob(task=task, input=input, output=output, workers=workers, batch_size=batch_size,
                   num_gpus=num_gpus, cpus_per_worker=cpus_per_worker, address=address, device=device,
                   weights=weights, options=_options(option or []), id_column=id_column, column=column,
                   object_store_mb=object_store_mb, progress=progress)
    summary = run_job(job)
    logging.getLogger(__name__).info("%s: %d predicted in %.1f s", task, summary.predicted, summary.seconds)
    typer.echo(json.dumps({**asdict(summary), "items_per_s": round(summary.items_per_s, 3)}))


def main() -> None:
    """``python -m batch.cli``: the same command without the ``ais`` root (errors as one line, exit 2)."""
    from core.logs import configure_logging
    from core.offline import enforce_offline

    configure_logging(logging.WARNING)
    enforce_offline()
    try:
        typer.main.get_command(app).main(prog_name="ais batch")
    except AisError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise SystemExit(2) from exc


if __name__ == "__main__":
    main()

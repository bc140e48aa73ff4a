"""The ``ais`` command line: a root group whose sub-commands come from package entry points.

Task packages (and ``serving``, ``benchmarks``) register a Typer app under the ``ais.cli`` entry
point group; it is imported only when its command runs or help is shown, so ``ais --help`` stays
fast and a client install without some extras still works.
"""
from __future__ import annotations

import importlib.metadata
import logging
import platform
import sys
from importlib.metadata import entry_points

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from core.errors import AisError
from core.logs import configure_logging
from core.offline import enforce_offline
from core.registry import all_specs, load_object

CLI_GROUP = "ais.cli"
BUILTIN_COMMANDS = ("doctor", "tasks")


def _entry_points() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=CLI_GROUP)}


def command_names() -> list[str]:
    """Every top-level command: the built-ins and those registered by installed packages."""
    return sorted(set(BUILTIN_COMMANDS) | set(_entry_points()))


class LazyGroup(TyperGroup):
    """The root group: sub-commands come from entry points and are imported on demand."""

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(_entry_points()))

    def get_command(self, ctx, cmd_name: str):
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        target = _entry_points().get(cmd_name)
        if target is None:
            return None
        try:
            obj = load_object(target)
        except ImportError as exc:
            obj = _unavailable(cmd_name, exc)
        command = typer.main.get_command(obj) if isinstance(obj, typer.Typer) else obj
        command.name = cmd_name  # a Typer app has no name of its own: it is known by its entry point
        # shell completion is installed for `ais` as a whole, not per sub-command
        command.params = [p for p in command.params if p.name not in ("install_completion", "show_completion")]
        return command


def _unavailable(name: str, exc: ImportError) -> typer.Typer:
    app = typer.Typer()

    @app.command(name=name, help=f"(unavailable: {exc.name or exc} is not installed)")
    def broken() -> None:
        raise AisError(f"'{name}' needs a package that is not installed: {exc}")

    return app


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"ais {_version('ai-services')}")
        raise typer.Exit()


app = typer.Typer(cls=LazyGroup, no_args_is_help=True, add_completion=False,
                  context_settings={"help_option_names": ["-h", "--help"]})


@app.callback()
def root(
    verbose: int = typer.Option(0, "-v", "--verbose", count=True, help="More logging (-v info, -vv debug)."),
    version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True, help="Show the version."),
) -> None:
    """Vision, NLP and tabular models as offline, GPU-ready services.

    Every task has its own command group (`ais TASK --help`); `ais doctor` checks this machine.
    """
    configure_logging([logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)])
    enforce_offline()


@app.command()
def doctor() -> None:
    """Report versions, the compute device, and for each task whether its weights are available offline."""
    from core.device import cuda_available, resolve_device

    console = Console()
    versions = Table(title="environment", show_header=False)
    versions.add_row("python", platform.python_version())
    versions.add_row("platform", platform.platform())
    for dist in ("ai-services", "torch", "torchvision", "transformers", "easyocr", "ultralytics",
                 "facenet-pytorch", "bentoml", "scikit-learn", "lightgbm", "duckdb"):
        versions.add_row(dist, _version(dist))
    device = resolve_device("auto")
    if cuda_available():
        import torch

        device += f" ({torch.cuda.get_device_name(0)})"
    versions.add_row("device (auto)", device)
    console.print(versions)

    tasks = Table(title="tasks")
    for column in ("task", "summary", "weights offline", "detail"):
        tasks.add_column(column)
    ok = True
    for spec in all_specs():
        try:
            status = spec.weights_status()
        except AisError as exc:
            from core.registry import WeightsStatus

            status = WeightsStatus(False, "-", str(exc))
        ok &= status.available
        mark = "[green]yes[/]" if status.available else "[red]no[/]"
        tasks.add_row(spec.name, spec.summary, mark, status.message or status.source)
    console.print(tasks)
    if not ok:
        console.print("[yellow]some tasks cannot run offline yet; see the detail column[/]")


@app.command(name="tasks")
def list_tasks() -> None:
    """List registered tasks."""
    for spec in all_specs():
        typer.echo(f"{spec.name:12s} {spec.summary}")


def main() -> None:
    """Console-script entry point: project errors become one readable line and exit code 2."""
    try:
        typer.main.get_command(app).main(prog_name="ais")
    except AisError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()

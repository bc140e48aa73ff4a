"""``ais serve``, ``ais build``, ``ais models ...`` and ``ais export``: running and shipping services."""
from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from core.errors import ConfigError, ModelNotFound
from core.offline import enforce_offline, state_dir

if TYPE_CHECKING:
    from serving.config import DeploymentConfig, Traffic

log = logging.getLogger(__name__)

serve_app = typer.Typer(help="Serve tasks over HTTP on one port (BentoML).")
build_app = typer.Typer(help="Build a bento for one client's deployment file.")
models_app = typer.Typer(help="Model versions: list, import, promote, rollback, canary, shadow, compare.",
                         no_args_is_help=True)
export_app = typer.Typer(help="Export a model for other serving stacks (TorchServe).", no_args_is_help=True)

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="the client's deployment YAML")]


def _available_tasks(requested: list[str] | None) -> list[str]:
    from core.registry import all_specs

    chosen = []
    for spec in all_specs():
        if requested and spec.name not in requested:
            continue
        status = spec.weights_status()
        if status.available:
            chosen.append(spec.name)
        elif requested:
            raise ConfigError(f"task {spec.name!r} cannot be served: {status.message}")
        else:
            log.warning("not serving %s: %s", spec.name, status.message)
    unknown = set(requested or []) - set(chosen)
    if unknown:
        raise ConfigError(f"unknown task(s) {sorted(unknown)}")
    return chosen


def development_config(tasks: list[str] | None) -> tuple[Path, str]:
    """Write a config serving the given (or every available) task with default models and a dev key."""
    from serving.config import default_config, new_key, save_config

    key = os.environ.get("AIS_DEV_KEY") or new_key()
    config = default_config(_available_tasks(tasks), key)
    path = state_dir() / "dev-deployment.yaml"
    save_config(config, path)
    return path, key


@serve_app.command()
def serve(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="deployment YAML; default: every task, dev key")] = None,
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 3000,
    tasks: Annotated[str | None, typer.Option(help="comma-separated tasks (without --config)")] = None,
    no_batching: Annotated[bool, typer.Option("--no-batching", help="disable adaptive batching")] = False,
) -> None:
    """Serve a client's deployment (or every task with default models) on one port."""
    from serving.config import load_config

    enforce_offline()
    if config is None:
        path, key = development_config(tasks.split(",") if tasks else None)
        typer.echo(f"development key (tenant 'dev'): {key}")
        typer.echo(f"  curl -H 'Authorization: Bearer {key}' http://{host}:{port}/v1/tasks")
    else:
        path = config.resolve()
        load_config(path)  # fail here, readably, rather than in a worker
    env = {**os.environ, "AIS_CONFIG": str(path), "BENTOML_DO_NOT_TRACK": "True"}
    # Several model processes share the CPU: spinning OpenMP threads starve each other (MTCNN went from
    # 0.15 s to seconds per photo); passive waiting must be set before torch is imported.
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if no_batching:
        env["AIS_NO_BATCHING"] = "1"
    command = [sys.executable, "-m", "bentoml", "serve", "serving.gateway:Gateway", "--host", host,
               "--port", str(port)]
    typer.echo(f"serving {path} on http://{host}:{port}")
    sys.stdout.flush()
    # Replace this process: signals (Ctrl-C, SIGTERM from a supervisor) reach BentoML's arbiter directly.
    os.execve(sys.executable, command, env)


@build_app.command()
def build(config: ConfigOpt, output: Annotated[Path, typer.Option(help="build folder")] = Path("build/bento")) -> None:
    """Build a bento (`bentoml build`) for a client's deployment file; `bentoml serve TAG` runs it offline."""
    from serving.bento import build_bento

    tag = build_bento(config.resolve(), output)
    typer.echo(tag)


def _config_for(path: Path) -> DeploymentConfig:
    from serving.config import load_config

    return load_config(path)


def _save(path: Path, config: DeploymentConfig) -> None:
    from serving.config import save_config

    save_config(config, path)


def _policy(config: DeploymentConfig, task: str) -> Traffic:
    if task not in config.tasks:
        raise ConfigError(f"task {task!r} is not in this deployment; it has {sorted(config.tasks)}")
    return config.tasks[task].traffic


def _check_version(task: str, version: str) -> None:
    """A version must exist before traffic is sent to it: the default, a file, or a model-store tag."""
    from core.weights import WeightsRef, resolve_weights

    if version == "default":
        return
    ref = WeightsRef.parse(version)
    if ref.kind == "store" and not ref.value.startswith(f"{task}:"):
        raise ConfigError(f"version {version!r} is not a {task} model (expected '{task}:VERSION')")
    resolve_weights(ref, "default")


@models_app.command("list")
def list_models(task: Annotated[str | None, typer.Argument(help="only this task")] = None) -> None:
    """List model versions in the model store (newest first)."""
    from serving.store import list_versions

    for info in list_versions(task):
        typer.echo(f"{info.tag:40s} {info.created:%Y-%m-%d %H:%M}  {info.size_mb:8.1f} MB  {info.note}")


@models_app.command("import")
def import_model(
    task: Annotated[str, typer.Argument(help="task the weights belong to")],
    path: Annotated[Path, typer.Argument(help="weights file or folder")],
    version: Annotated[str | None, typer.Option(help="version label; default: generated")] = None,
    note: Annotated[str, typer.Option(help="free text kept with the version")] = "",
) -> None:
    """Copy weights into the model store as TASK:VERSION."""
    from serving.store import import_weights

    typer.echo(import_weights(task, path, version=version, note=note))


@models_app.command()
def promote(task: str, version: str, config: ConfigOpt) -> None:
    """Make VERSION the live version (the previous live one is kept for rollback)."""
    cfg = _config_for(config)
    policy = _policy(cfg, task)
    _check_version(task, version)
    if policy.live != version:
        policy.history.append(policy.live)
        policy.live = version
    if policy.canary == version:
        policy.canary, policy.canary_percent = None, 0.0
    _save(config, cfg)
    typer.echo(f"{task}: live = {version}")


@models_app.command()
def rollback(task: str, config: ConfigOpt) -> None:
    """Restore the previous live version exactly, and stop any canary."""
    cfg = _config_for(config)
    policy = _policy(cfg, task)
    if not policy.history and not policy.canary:
        raise ConfigError(f"{task}: nothing to roll back to (no previous live version, no canary)")
    if policy.history:
        policy.live = policy.history.pop()
    policy.canary, policy.canary_percent = None, 0.0
    _save(config, cfg)
    typer.echo(f"{task}: live = {policy.live}, canary off")


@models_app.command()
def canary(task: str, version: str, config: ConfigOpt,
           percent: Annotated[float, typer.Option(min=0, max=100, help="share of callers")] = 10.0) -> None:
    """Send a sticky PERCENT of callers to VERSION (0 turns the canary off)."""
    cfg = _config_for(config)
    policy = _policy(cfg, task)
    if percent > 0:
        _check_version(task, version)
    policy.canary, policy.canary_percent = (version, percent) if percent > 0 else (None, 0.0)
    _save(config, cfg)
    typer.echo(f"{task}: canary = {policy.canary} at {policy.canary_percent}%")


@models_app.command()
def shadow(task: str, config: ConfigOpt,
           version: Annotated[str | None, typer.Argument(help="version; omit to turn shadow off")] = None) -> None:
    """Copy live traffic to VERSION silently (its answers are only logged)."""
    cfg = _config_for(config)
    policy = _policy(cfg, task)
    if version:
        _check_version(task, version)
    policy.shadow = version
    _save(config, cfg)
    typer.echo(f"{task}: shadow = {version or 'off'}")


@models_app.command()
def compare(task: str, config: ConfigOpt) -> None:
    """Agreement between live and shadow answers logged for TASK."""
    from serving.compare import compare_entries
    from serving.shadow import shadow_log
    from serving.state import open_state

    cfg = _config_for(config)
    folder = Path(cfg.state_dir) if cfg.state_dir else state_dir()
    database = open_state(cfg)
    try:
        report = compare_entries(shadow_log(folder, cfg.client, database).entries(task), task)
    finally:
        if database is not None:
            database.close()
    typer.echo(json.dumps(report.model_dump(), indent=2))


@export_app.command()
def torchserve(task: str, output: Annotated[Path, typer.Option(help="folder for the .mar")] = Path("build/torchserve"),
               weights: Annotated[str | None, typer.Option(help="version; default: the task's default")] = None) -> None:
    """Write a TorchServe model archive (.mar) with a handler for TASK."""
    from serving.torchserve import export_mar

    if shutil.which("torch-model-archiver") is None and not _has_module("model_archiver"):
        raise ModelNotFound("torch-model-archiver is not installed; pip install torch-model-archiver==0.12.0")
    typer.echo(export_mar(task, output, weights))


@export_app.callback()
def export() -> None:
    """Export a model for other serving stacks."""


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None

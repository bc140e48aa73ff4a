"""``ais deploy k8s``: the client's deployment file → Kubernetes manifests in a folder (docs/kubernetes.md)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Deploy a client's services elsewhere than this machine (Kubernetes manifests).",
                  no_args_is_help=True)


@app.callback()
def deploy() -> None:
    """Deploy a client's services elsewhere than this machine."""


@app.command()
def k8s(
    config: Annotated[Path, typer.Option("--config", "-c", help="the client's deployment YAML (as for ais serve)")],
    image: Annotated[str, typer.Option(help="the client's image: REGISTRY/NAME:TAG or REGISTRY/NAME@sha256:... "
                                       "(ais build, then bentoml containerize)")],
    out: Annotated[Path, typer.Option(help="folder for the manifests, e.g. deploy/<client>/")],
    namespace: Annotated[str | None, typer.Option(help="Kubernetes namespace (default: ais-<client>)")] = None,
    service_type: Annotated[str, typer.Option(help="gateway Service type: ClusterIP, LoadBalancer or NodePort")]
    = "ClusterIP",
) -> None:
    """Write plain manifests + a Kustomization; apply them with `kubectl apply -k OUT` (or -f)."""
    from serving.config import load_config
    from serving.k8s.render import RenderOptions, render

    manifests = render(load_config(config), RenderOptions(image=image, namespace=namespace,
                                                          service_type=service_type))
    for path in manifests.write(out):
        typer.echo(path)
    typer.echo(f"apply with: kubectl apply -k {out}")

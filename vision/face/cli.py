"""``ais face``: detect faces, manage a per-tenant gallery, evaluate identification, calibrate the threshold."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Face detection, embeddings and a private per-tenant gallery (enroll/verify/identify).",
                  no_args_is_help=True)
log = logging.getLogger(__name__)

DeviceOpt = Annotated[str, typer.Option(help="auto, cpu, cuda or cuda:N")]
WeightsOpt = Annotated[str | None, typer.Option(
    help="embedder weights: default (dlib, bundled) or a local InceptionResnetV1 state-dict file")]
GalleryOpt = Annotated[Path | None, typer.Option(help="gallery SQLite file (default: $AIS_HOME/faces/gallery.db)")]
TenantOpt = Annotated[str, typer.Option(help="tenant (client) id; every gallery operation is scoped to it")]
ThresholdOpt = Annotated[float | None, typer.Option(help="same-person distance (default: the embedder's)")]


@app.callback()
def _setup() -> None:
    """Face detection, embeddings and a private per-tenant gallery (enroll/verify/identify)."""
    import os

    # Before torch loads: idle OpenMP threads that spin made MTCNN ~10x slower on a shared CPU.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _echo(model: object) -> None:
    from pydantic import BaseModel

    if isinstance(model, list):
        typer.echo(json.dumps([m.model_dump(mode="json") for m in model], indent=2))
    elif isinstance(model, BaseModel):
        typer.echo(model.model_dump_json(indent=2))


def _gallery(path: Path | None, weights: str | None, device: str, threshold: float | None = None,
             store_images: bool = False):
    from vision.face.gallery import Gallery

    return Gallery(path, weights, device=device, threshold=threshold, store_images=store_images)


@app.command()
def predict(
    images: Annotated[list[Path], typer.Argument(help="image files")],
    embed: Annotated[bool, typer.Option(help="include each face's embedding")] = False,
    weights: WeightsOpt = None,
    device: DeviceOpt = "auto",
) -> None:
    """Print faces (box, 5 landmarks, confidence[, embedding]) of each image as JSON."""
    from vision.face.analyzer import FaceAnalyzer

    analyzer = FaceAnalyzer(weights=weights, device=device, embed=embed).load()
    _echo(analyzer.predict([str(p) for p in images]))


@app.command()
def enroll(
    images: Annotated[list[Path], typer.Argument(help="one or more photos of the person (one face each)")],
    name: Annotated[str, typer.Option(help="display name")],
    tenant: TenantOpt,
    person_id: Annotated[str | None, typer.Option(help="id to use (default: generated)")] = None,
    store_images: Annotated[bool, typer.Option(help="also keep a JPEG crop of each face")] = False,
    gallery: GalleryOpt = None, weights: WeightsOpt = None, device: DeviceOpt = "auto",
) -> None:
    """Enroll a person (each photo passes the quality gate: one face, size, sharpness, pose)."""
    _echo(_gallery(gallery, weights, device, store_images=store_images)
          .enroll(tenant, [str(p) for p in images], name, person_id=person_id))


@app.command("add-images")
def add_images(
    person_id: Annotated[str, typer.Argument()],
    images: Annotated[list[Path], typer.Argument(help="more photos of the person")],
    tenant: TenantOpt, gallery: GalleryOpt = None, weights: WeightsOpt = None, device: DeviceOpt = "auto",
) -> None:
    """Add photos to an enrolled person."""
    _echo(_gallery(gallery, weights, device).add_images(tenant, person_id, [str(p) for p in images]))


@app.command("list")
def list_persons(tenant: TenantOpt, gallery: GalleryOpt = None, weights: WeightsOpt = None,
                 device: DeviceOpt = "auto") -> None:
    """List a tenant's enrolled persons."""
    _echo(_gallery(gallery, weights, device).list(tenant))


@app.command()
def delete(person_id: Annotated[str, typer.Argument()], tenant: TenantOpt, gallery: GalleryOpt = None,
           weights: WeightsOpt = None, device: DeviceOpt = "auto") -> None:
    """Delete a person: embeddings and images are erased from the database file."""
    _echo(_gallery(gallery, weights, device).delete(tenant, person_id))


@app.command()
def verify(
    image: Annotated[Path, typer.Argument(help="probe photo")],
    tenant: TenantOpt,
    person_id: Annotated[str | None, typer.Option(help="compare with this enrolled person")] = None,
    other: Annotated[Path | None, typer.Option(help="or compare with the face in this photo")] = None,
    threshold: ThresholdOpt = None, gallery: GalleryOpt = None, weights: WeightsOpt = None,
    device: DeviceOpt = "auto",
) -> None:
    """Same person or not (distance and threshold)."""
    _echo(_gallery(gallery, weights, device, threshold).verify(
        tenant, str(image), person_id=person_id, other_image=str(other) if other else None))


@app.command()
def identify(
    image: Annotated[Path, typer.Argument(help="photo (any number of faces)")],
    tenant: TenantOpt,
    top_k: Annotated[int, typer.Option(help="candidates per face")] = 3,
    threshold: ThresholdOpt = None, gallery: GalleryOpt = None, weights: WeightsOpt = None,
    device: DeviceOpt = "auto",
) -> None:
    """Who is in the photo: per face, the nearest persons and a decision (person id or 'unknown')."""
    _echo(_gallery(gallery, weights, device, threshold).identify(tenant, str(image), top_k=top_k))


@app.command()
def evaluate(
    dataset: Annotated[str, typer.Option(help="registered dataset (knn: development photos)")] = "knn",
    enroll_dir: Annotated[Path | None, typer.Option(help="or your own <person>/<image> folders to enroll")] = None,
    probes: Annotated[Path | None, typer.Option(help="with a probes CSV 'image,persons' (';'-separated)")] = None,
    out: Annotated[Path | None, typer.Option(help="write the metrics as JSON here")] = None,
    weights: WeightsOpt = None, device: DeviceOpt = "auto",
) -> None:
    """Enroll a labelled set in a temporary gallery and identify its probe photos."""
    from vision.face.analyzer import FaceAnalyzer
    from vision.face.datasets import IdentityDataset, identity_folders, knn_faces, read_probes

    if enroll_dir is not None:
        if probes is None:
            raise typer.BadParameter("--enroll-dir needs --probes")
        data = IdentityDataset(enroll_dir.name, identity_folders(enroll_dir), read_probes(probes))
    elif dataset == "knn":
        data = knn_faces()
    else:
        raise typer.BadParameter(f"unknown dataset {dataset!r}; use knn or --enroll-dir/--probes")
    metrics = FaceAnalyzer(weights=weights, device=device).load().evaluate(data)
    typer.echo(metrics.table())
    for row in metrics.details["probes"]:  # type: ignore[union-attr]
        typer.echo(f"{'ok ' if row['correct'] else 'ERR'} {row['image']}: expected {row['expected']} "
                   f"got {row['decisions']} nearest {row['nearest']}")
    if out is not None:
        out.write_text(metrics.model_dump_json(indent=2))


@app.command()
def calibrate(
    pairs: Annotated[Path | None, typer.Option(help="pairs CSV 'image_a,image_b,same' (same: 1/0)")] = None,
    folders: Annotated[list[Path] | None, typer.Option(
        "--folder", help="or identity folders <person>/<image>: every pair of their images (repeatable)")] = None,
    plot: Annotated[Path, typer.Option(help="where to write the ROC/histogram plot (PNG)")] = Path("face_calibration.png"),
    out: Annotated[Path | None, typer.Option(help="write the report as JSON here")] = None,
    weights: WeightsOpt = None, device: DeviceOpt = "auto",
) -> None:
    """ROC, AUC, accuracy, TAR at FAR 1e-2/1e-3 and the chosen threshold, from labelled pairs."""
    from vision.face.analyzer import FaceAnalyzer
    from vision.face.calibrate import calibration_report, pair_distances
    from vision.face.datasets import pairs_from_folders, read_pairs

    if (pairs is None) == (not folders):
        raise typer.BadParameter("give either --pairs or one or more --folder")
    labelled = read_pairs(pairs) if pairs is not None else pairs_from_folders(*folders)  # type: ignore[misc]
    analyzer = FaceAnalyzer(weights=weights, device=device).load()
    distances, same, skipped = pair_distances(analyzer, labelled)
    assert analyzer.embedder is not None
    report = calibration_report(distances, same, embedder=analyzer.embedder.name,
                                default_threshold=analyzer.embedder.threshold, skipped=skipped, plot_path=plot)
    _echo(report)
    if out is not None:
        out.write_text(report.model_dump_json(indent=2))

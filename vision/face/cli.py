"""``ais face``: detect faces, manage a per-tenant gallery, evaluate identification, calibrate the threshold."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from core.errors import InvalidInput

app = typer.Typer(help="Face detection, embeddings and a private per-tenant gallery (enroll/verify/identify).",
                  no_args_is_help=True)
log = logging.getLogger(__name__)

DeviceOpt = Annotated[str, typer.Option(help="auto, cpu, cuda or cuda:N")]
WeightsOpt = Annotated[str | None, typer.Option(
    help="embedder weights: default (dlib, bundled) or a local InceptionResnetV1 state-dict file")]
GalleryOpt = Annotated[Path | None, typer.Option(help="gallery SQLite file (default: $AIS_HOME/faces/gallery.db)")]
TenantOpt = Annotated[str, typer.Option(help="tenant (client) id; every gallery operation is scoped to it")]
ThresholdOpt = Annotated[float | None, typer.Option(help="same-person distance (default: the embedder's)")]
MinSizeOpt = Annotated[float | None, typer.Option(help="refuse enrollment faces smaller than this (px; default measured)")]
WarnSizeOpt = Annotated[float | None, typer.Option(help="enroll faces below this size with a warning and a lower weight")]
MinSharpOpt = Annotated[float | None, typer.Option(help="refuse faces less sharp than this (Laplacian variance)")]
WarnSharpOpt = Annotated[float | None, typer.Option(help="warn (lower weight) below this sharpness")]
MaxYawOpt = Annotated[float | None, typer.Option(help="refuse faces turned more than this (nose offset / eye distance)")]
MaxRollOpt = Annotated[float | None, typer.Option(help="refuse faces tilted more than this (degrees)")]
MinDirOpt = Annotated[float | None, typer.Option(help="refuse faces whose weakest-direction sharpness (motion blur) "
                                                      "is below this (default 0: off)")]
UpscaleOpt = Annotated[float | None, typer.Option(help="enlarge faces smaller than this (px) before alignment; 0: never")]
MinRefsOpt = Annotated[int | None, typer.Option(help="flag persons with fewer reference photos than this")]


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
             store_images: bool = False, *, upscale_to: float | None = None, min_references: int | None = None,
             **gate: float | None):
    """A gallery; gate limits left ``None`` keep the measured defaults (``vision.face.quality``)."""
    from vision.face.analyzer import FaceAnalyzer
    from vision.face.gallery import GATE_OPTIONS, Gallery

    options: dict[str, float] = {f"enroll_{k}": v for k, v in gate.items() if v is not None}
    unknown = set(options) - set(GATE_OPTIONS)
    if unknown:
        raise typer.BadParameter(f"unknown gate options {sorted(unknown)}")
    if upscale_to is not None:
        options["upscale_to"] = upscale_to
    analyzer = FaceAnalyzer(weights=weights, device=device, **options)
    return Gallery(path, analyzer=analyzer, threshold=threshold, store_images=store_images,
                   min_references=min_references)


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
    min_face_size: MinSizeOpt = None, warn_face_size: WarnSizeOpt = None, min_sharpness: MinSharpOpt = None,
    warn_sharpness: WarnSharpOpt = None, max_yaw: MaxYawOpt = None, max_roll_degrees: MaxRollOpt = None,
    min_directional_sharpness: MinDirOpt = None, upscale_to: UpscaleOpt = None, min_references: MinRefsOpt = None,
) -> None:
    """Enroll a person from every photo that passes the quality gate (one face, size, sharpness, pose);
    refused photos are listed with what to do, small or soft faces enrolled with a warning."""
    _echo(_gallery(gallery, weights, device, store_images=store_images, upscale_to=upscale_to,
                   min_references=min_references, min_face_size=min_face_size, warn_face_size=warn_face_size,
                   min_sharpness=min_sharpness, warn_sharpness=warn_sharpness, max_yaw=max_yaw,
                   max_roll_degrees=max_roll_degrees, min_directional_sharpness=min_directional_sharpness)
          .enroll(tenant, [str(p) for p in images], name, person_id=person_id))


@app.command("add-images")
def add_images(
    person_id: Annotated[str, typer.Argument()],
    images: Annotated[list[Path], typer.Argument(help="more photos of the person")],
    tenant: TenantOpt, gallery: GalleryOpt = None, weights: WeightsOpt = None, device: DeviceOpt = "auto",
    min_face_size: MinSizeOpt = None, warn_face_size: WarnSizeOpt = None, min_sharpness: MinSharpOpt = None,
    warn_sharpness: WarnSharpOpt = None, max_yaw: MaxYawOpt = None, max_roll_degrees: MaxRollOpt = None,
    min_directional_sharpness: MinDirOpt = None, upscale_to: UpscaleOpt = None, min_references: MinRefsOpt = None,
) -> None:
    """Add photos to an enrolled person (same gate as enroll)."""
    _echo(_gallery(gallery, weights, device, upscale_to=upscale_to, min_references=min_references,
                   min_face_size=min_face_size, warn_face_size=warn_face_size, min_sharpness=min_sharpness,
                   warn_sharpness=warn_sharpness, max_yaw=max_yaw, max_roll_degrees=max_roll_degrees,
                   min_directional_sharpness=min_directional_sharpness)
          .add_images(tenant, person_id, [str(p) for p in images]))


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


def _data_format(path: Path, fmt: str) -> str:
    from vision.face.outside import detect_format

    try:
        return detect_format(path, fmt)
    except InvalidInput as exc:
        raise typer.BadParameter(exc.message) from exc


@app.command()
def evaluate(
    dataset: Annotated[str, typer.Option(help="registered dataset (knn: development photos)")] = "knn",
    data: Annotated[Path | None, typer.Option(help="labelled data: identity folders, an LFW pairs.txt (or its "
                                                   "folder) or a pairs CSV")] = None,
    data_format: Annotated[str, typer.Option("--format", help="auto, lfw-pairs, folders or csv-pairs")] = "auto",
    images: Annotated[Path | None, typer.Option(help="lfw-pairs: the image root <root>/<name>/<name>_0001.jpg "
                                                     "(default: next to pairs.txt, or its lfw/ folder)")] = None,
    stranger_share: Annotated[float, typer.Option(help="folders: share of persons held out as strangers")] = 0.5,
    seed: Annotated[int, typer.Option(help="folders: seed of the enrolled/stranger split")] = 0,
    plot: Annotated[Path | None, typer.Option(help="folders: write the DET curve (PNG) here")] = None,
    enroll_dir: Annotated[Path | None, typer.Option(help="or your own <person>/<image> folders to enroll")] = None,
    probes: Annotated[Path | None, typer.Option(help="with a probes CSV 'image,persons' (';'-separated)")] = None,
    out: Annotated[Path | None, typer.Option(help="write the metrics as JSON here")] = None,
    threshold: ThresholdOpt = None, weights: WeightsOpt = None, device: DeviceOpt = "auto",
) -> None:
    """Enroll a labelled set in a temporary gallery and identify its probe photos; with --data, open-set
    identification (folders: identification rate at FAR 1 %/0.1 %, strangers' FAR, DET curve) or
    verification (pairs), each beside plain MTCNN + dlib nearest neighbour at 0.6."""
    from vision.face.analyzer import FaceAnalyzer
    from vision.face.datasets import IdentityDataset, identity_folders, knn_faces, read_probes

    if data is not None:
        from vision.face.datasets import open_set_split, read_lfw_pairs, read_pairs
        from vision.face.evaluate import evaluate_open_set, evaluate_pairs

        fmt = _data_format(data, data_format)
        analyzer = FaceAnalyzer(weights=weights, device=device,
                                **({} if threshold is None else {"threshold": threshold})).load()
        assert analyzer.embedder is not None
        t = analyzer.embedder.threshold
        if fmt == "folders":
            split = open_set_split(identity_folders(data), stranger_share=stranger_share, seed=seed)
            metrics = evaluate_open_set(analyzer, split, threshold=t, plot=plot)
        elif fmt == "lfw-pairs":
            pairs_file = data / "pairs.txt" if data.is_dir() else data
            metrics = evaluate_pairs(analyzer, read_lfw_pairs(pairs_file, images), threshold=t, name=pairs_file.name)
        elif fmt == "csv-pairs":
            metrics = evaluate_pairs(analyzer, read_pairs(data), threshold=t, name=data.name)
        else:
            raise typer.BadParameter(f"unknown format {fmt!r}; use auto, lfw-pairs, folders or csv-pairs")
        typer.echo(metrics.table())
        if out is not None:
            out.write_text(metrics.model_dump_json(indent=2))
        return
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
    lfw_pairs: Annotated[Path | None, typer.Option(help="or an LFW pairs.txt (images next to it or under "
                                                        "--images)")] = None,
    images: Annotated[Path | None, typer.Option(help="with --lfw-pairs: the image root")] = None,
    target_far: Annotated[float | None, typer.Option(help="also pick the largest threshold whose false-accept "
                                                          "rate on these pairs is at most this (e.g. 0.01)")] = None,
    plot: Annotated[Path, typer.Option(help="where to write the ROC/histogram plot (PNG)")] = Path("face_calibration.png"),
    out: Annotated[Path | None, typer.Option(help="write the report as JSON here")] = None,
    weights: WeightsOpt = None, device: DeviceOpt = "auto",
) -> None:
    """ROC, AUC, accuracy, TAR at FAR 1e-2/1e-3 and the chosen threshold (accuracy-maximising, and for
    --target-far), from a client's labelled pairs."""
    from vision.face.analyzer import FaceAnalyzer
    from vision.face.calibrate import calibration_report, pair_distances
    from vision.face.datasets import pairs_from_folders, read_lfw_pairs, read_pairs

    if sum([pairs is not None, bool(folders), lfw_pairs is not None]) != 1:
        raise typer.BadParameter("give exactly one of --pairs, --lfw-pairs or one or more --folder")
    if pairs is not None:
        labelled = read_pairs(pairs)
    elif lfw_pairs is not None:
        labelled = read_lfw_pairs(lfw_pairs, images)
    else:
        labelled = pairs_from_folders(*folders)  # type: ignore[misc]
    analyzer = FaceAnalyzer(weights=weights, device=device).load()
    distances, same, skipped = pair_distances(analyzer, labelled)
    assert analyzer.embedder is not None
    report = calibration_report(distances, same, embedder=analyzer.embedder.name,
                                default_threshold=analyzer.embedder.threshold, skipped=skipped, plot_path=plot,
                                target_far=target_far)
    _echo(report)
    if out is not None:
        out.write_text(report.model_dump_json(indent=2))


@app.command("gate-study")
def gate_study(
    out: Annotated[Path, typer.Option(help="folder for variants, embeddings, tables and the DET plot")] = Path(
        "runs/face_gate"),
    collect: Annotated[bool, typer.Option(help="degrade and embed the development faces (minutes); "
                                               "--no-collect reuses the folder's variants")] = True,
    seed: Annotated[int, typer.Option(help="degradation seed (2929: the README's numbers)")] = 2929,
    device: DeviceOpt = "cpu",
) -> None:
    """Development: measure embedding reliability on the development faces and their degraded versions,
    and compare plain MTCNN + dlib, the gate before issue 29 and the current gate (README tables)."""
    from vision.face.gate_choice import Study, report

    if collect:
        from vision.face.analyzer import FaceAnalyzer
        from vision.face.gate_study import collect as run_collect

        run_collect(FaceAnalyzer(device=device).load(), out, seed=seed)
    text = report(Study.load(out), out)
    (out / "report.md").write_text(text)
    typer.echo(text)

"""``ais planogram train|evaluate|predict|check|render``: the planogram task's command line."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Planogram compliance: detect products on shelves, recognise SKUs, check the planogram.",
                  no_args_is_help=True)
log = logging.getLogger(__name__)


@app.command()
def train(
    minutes: Annotated[float, typer.Option(help="Detector training wall-time budget (the rebuild adds ~2).")] = 12.0,
    images: Annotated[int, typer.Option(help="Generated training shelf images.")] = 240,
    imgsz: Annotated[int, typer.Option(help="Detector input size.")] = 416,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: the shipped assets/).")] = None,
    catalogue_only: Annotated[bool, typer.Option(help="Only rebuild the catalogue and its threshold.")] = False,
    threads: Annotated[int, typer.Option(help="Torch CPU threads.")] = 2,
    init: Annotated[Path | None, typer.Option(help="Continue training from these detector weights.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the generated training shelves.")] = 0,
    style: Annotated[str, typer.Option(help="Training shelves: train, or wide (broader backgrounds/lighting).")]
    = "train",
) -> None:
    """Rebuild the detector and the default catalogue from generated data (run it with `nice`)."""
    from vision.planogram.train import TrainConfig, run_training
    from vision.planogram.weights import ASSETS

    if style not in ("train", "wide"):
        raise typer.BadParameter("style must be 'train' or 'wide' (the held-out style is never trained on)")
    config = TrainConfig(n_train=images, imgsz=imgsz, time_budget_min=minutes, threads=threads, init=init, seed=seed,
                         style=style)  # type: ignore[arg-type]
    summary = run_training(out or ASSETS, config=config, skip_detector=catalogue_only)
    typer.echo(json.dumps(summary, indent=2))


@app.command()
def evaluate(
    n: Annotated[int, typer.Option(help="Held-out scenes to generate.")] = 40,
    seed: Annotated[int, typer.Option(help="Seed of the held-out scenes.")] = 1,
    weights: Annotated[str, typer.Option(help="Detector folder/.pt or model-store tag.")] = "default",
    device: Annotated[str, typer.Option()] = "auto",
    out: Annotated[Path | None, typer.Option(help="Write the metrics JSON here.")] = None,
    split: Annotated[str, typer.Option(help="heldout (the acceptance set) or train (style seen in training).")]
    = "heldout",
    data: Annotated[Path | None, typer.Option(help="An outside labelled set: YOLO folder or COCO .json "
                                              "(class-agnostic detection metrics instead of generated shelves).")]
    = None,
    format: Annotated[str, typer.Option("--format", help="Label format of --data: auto, yolo or coco.")] = "auto",
    conf: Annotated[float | None, typer.Option(help="Operating confidence threshold (default: the task's 0.2).")]
    = None,
) -> None:
    """Detection mAP50, SKU top-1 and per-position compliance accuracy on generated held-out shelves, or
    detection mAP50 / mAP50-95 / precision and recall at the operating threshold on an outside set (--data)."""
    from vision.planogram.checker import PlanogramChecker
    from vision.planogram.evaluate import evaluate_scenes, heldout_scenes, train_style_scenes
    from vision.planogram.labelled import FORMATS, read_data

    if split not in ("heldout", "train"):
        raise typer.BadParameter("split must be 'heldout' or 'train'")
    if format not in FORMATS:
        raise typer.BadParameter(f"format must be one of {', '.join(FORMATS)}")
    labelled = read_data(data, format) if data is not None else None  # a malformed set fails before loading
    options = {} if conf is None else {"conf": conf}
    checker = PlanogramChecker(weights=weights, device=device, **options).load()
    if labelled is not None:
        metrics = checker.evaluate(labelled)
    else:
        scenes = heldout_scenes(n, seed) if split == "heldout" else train_style_scenes(n, seed + 76)
        metrics = evaluate_scenes(checker, scenes, dataset=split)
    typer.echo(metrics.table())
    typer.echo(json.dumps(metrics.details, indent=2))
    if out:
        out.write_text(metrics.model_dump_json(indent=2))


@app.command()
def predict(
    image: Annotated[list[Path], typer.Argument(help="Shelf image(s).")],
    weights: Annotated[str, typer.Option()] = "default",
    catalogue: Annotated[Path | None, typer.Option(help="Catalogue folder (<SKU>/<packshot>) or .npz.")] = None,
    device: Annotated[str, typer.Option()] = "auto",
) -> None:
    """Products per image (box, SKU or 'unknown', shelf row, position) as JSON."""
    from vision.planogram.checker import PlanogramChecker

    checker = PlanogramChecker(weights=weights, device=device, catalogue=catalogue).load()
    for path, result in zip(image, checker.predict(list(image))):
        typer.echo(json.dumps({"image": str(path), **result.model_dump(mode="json")}))


@app.command()
def check(
    image: Annotated[Path, typer.Argument(help="Shelf image.")],
    planogram: Annotated[Path, typer.Argument(help="Planogram YAML/JSON.")],
    catalogue: Annotated[Path | None, typer.Option(help="Catalogue folder (<SKU>/<packshot>) or .npz.")] = None,
    png: Annotated[Path | None, typer.Option(help="Write the annotated image here.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the report JSON here (default: stdout).")] = None,
    weights: Annotated[str, typer.Option()] = "default",
    device: Annotated[str, typer.Option()] = "auto",
) -> None:
    """Compliance report of one shelf image against its planogram."""
    from vision.planogram.checker import PlanogramChecker

    checker = PlanogramChecker(weights=weights, device=device, catalogue=catalogue).load()
    report = checker.check(image, planogram)
    text = report.model_dump_json(indent=2)
    if out:
        out.write_text(text)
    else:
        typer.echo(text)
    if png:
        png.write_bytes(checker.annotate(image, report))
    typer.secho(f"{report.fixture_id}: {report.compliance_pct:.1f}% compliant {report.counts}", err=True)


@app.command()
def render(
    out: Annotated[Path, typer.Argument(help="Folder for shelf images and their planogram YAMLs.")],
    n: Annotated[int, typer.Option(help="How many shelves.")] = 3,
    split: Annotated[str, typer.Option(help="Visual style: train or heldout.")] = "heldout",
    seed: Annotated[int, typer.Option()] = 0,
    fault_rate: Annotated[float, typer.Option(help="Probability of each fault kind per shelf.")] = 0.5,
    catalogue: Annotated[bool, typer.Option(help="Also write the catalogue as <SKU>/packshot.png.")] = False,
) -> None:
    """Generate demo shelves with planted faults, their planograms and ground truth (JSON)."""
    import yaml

    from vision.planogram.synth import scenes

    if split not in ("train", "heldout"):
        raise typer.BadParameter("split must be 'train' or 'heldout'")
    out.mkdir(parents=True, exist_ok=True)
    for k, scene in enumerate(scenes(n, split, seed=seed, fault_rate=fault_rate)):  # type: ignore[arg-type]
        scene.image.save(out / f"shelf_{k}.jpg", quality=92)
        (out / f"shelf_{k}.yaml").write_text(yaml.safe_dump(scene.spec.model_dump(mode="json"), sort_keys=False))
        truth = {"faults": [vars(f) for f in scene.faults],
                 "positions": [vars(t) for t in scene.truth if t.status != "correct"]}
        (out / f"shelf_{k}.truth.json").write_text(json.dumps(truth, indent=2))
    if catalogue:
        from vision.planogram.catalogue import default_catalogue_images

        images, brands, names = default_catalogue_images()
        meta = {}
        for sku, shots in images.items():
            (out / "catalogue" / sku).mkdir(parents=True, exist_ok=True)
            shots[0].save(out / "catalogue" / sku / "packshot.png")
            meta[sku] = {"brand": brands[sku], "name": names[sku]}
        (out / "catalogue" / "catalogue.yaml").write_text(yaml.safe_dump(meta))
    typer.echo(f"wrote {n} shelves to {out}")

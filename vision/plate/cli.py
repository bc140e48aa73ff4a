"""``ais plate train|evaluate|predict|generate``: the plate task's command line (heavy imports inside commands)."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from vision.plate.datasets import PlateDataset

app = typer.Typer(help="Licence plates: find plates in car photos and read them.", no_args_is_help=True)
log = logging.getLogger(__name__)


@app.command()
def train(
    images: Annotated[int, typer.Option(help="generated training scenes")] = 1200,
    epochs: Annotated[int, typer.Option(help="maximum epochs (the time budget may stop earlier)")] = 30,
    minutes: Annotated[float, typer.Option(help="wall-clock budget of the YOLO fit, in minutes")] = 12.0,
    imgsz: Annotated[int, typer.Option(help="detector input size (multiple of 32)")] = 256,
    batch: Annotated[int, typer.Option(help="batch size")] = 8,
    seed: Annotated[int, typer.Option(help="seed of the generated scenes")] = 0,
    out: Annotated[Path | None, typer.Option(help="where to write the .pt (default: the package's weights)")] = None,
    init: Annotated[Path | None, typer.Option(help="continue from these detector weights instead of scratch")] = None,
    threads: Annotated[int, typer.Option(help="torch CPU threads (1 on a CPU shared with other jobs)")] = 1,
) -> None:
    """Generate scenes and train the plate detector from its YAML (no pretrained weights); save it versioned."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from vision.plate.train import TrainConfig, train_detector

    config = TrainConfig(images=images, epochs=epochs, max_minutes=minutes, imgsz=imgsz, batch=batch, seed=seed,
                         init=str(init) if init else None, threads=threads)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task("generating scenes" if stage == "generate" else "training epochs",
                                            total=total)
            # Ultralytics re-plans the epoch count under a time budget; never show done > total.
            bar.update(tasks[stage], completed=done, total=max(total, done))

        result = train_detector(config, out=out, progress=progress)
    typer.echo(f"saved {result.weights} (version {result.version}) in {result.seconds / 60:.1f} min")
    for key, value in result.metrics.items():
        typer.echo(f"  {key}: {value:.4f}")


@app.command("train-reader")
def train_reader(
    minutes: Annotated[float, typer.Option(help="wall-clock training budget, in minutes")] = 20.0,
    batch: Annotated[int, typer.Option(help="crops per step")] = 32,
    lr: Annotated[float, typer.Option(help="peak learning rate (AdamW, cosine decay)")] = 2e-3,
    seed: Annotated[int, typer.Option(help="seed of the generated crops (validation uses seed + 10000)")] = 0,
    workers: Annotated[int, typer.Option(help="crop-rendering processes (0: render in the training process)")] = 1,
    val_crops: Annotated[int, typer.Option(help="validation crops")] = 1000,
    out: Annotated[Path | None, typer.Option(help="where to write the .pt (default: the package's weights)")] = None,
    init: Annotated[Path | None, typer.Option(help="continue from these CRNN weights instead of scratch")] = None,
    min_width: Annotated[float | None, typer.Option(help="narrowest plate in the crops, px (default 24; log-uniform to --max-width)")] = None,
    max_width: Annotated[float | None, typer.Option(help="widest plate in the crops, px (default 280)")] = None,
) -> None:
    """Train the plate-specific CRNN reader from scratch on generated crops (CPU, one torch thread)."""
    from tqdm import tqdm

    from vision.plate.reader_crops import WIDTHS
    from vision.plate.train_reader import ReaderTrainConfig
    from vision.plate.train_reader import train_reader as run_training

    widths = (WIDTHS[0] if min_width is None else min_width, WIDTHS[1] if max_width is None else max_width)
    config = ReaderTrainConfig(minutes=minutes, batch=batch, lr=lr, seed=seed, workers=workers, val_crops=val_crops,
                               init=str(init) if init else None, widths=widths)
    with tqdm(total=1000, desc="training reader", unit="‰") as bar:

        def progress(fraction: float, numbers: dict[str, float]) -> None:
            bar.update(int(fraction * 1000) - bar.n)
            bar.set_postfix(step=int(numbers["step"]), loss=f"{numbers['loss']:.3f}",
                            val_exact=f"{numbers['last_exact']:.3f}", best=f"{numbers['exact']:.3f}", refresh=False)

        result = run_training(config, out=out, progress=progress)
    typer.echo(f"saved {result.weights} (version {result.version}) after {result.steps} steps "
               f"in {result.seconds / 60:.1f} min")
    for key, value in result.metrics.items():
        typer.echo(f"  {key}: {value:.4f}")


def _evaluation_sets(data: Path | None, synthetic: int, published_labels: bool,
                     seed: int | None = None) -> list[PlateDataset]:
    """``--data``, else the real BR photos (where present) unless ``--synthetic`` is asked alone; plus N
    generated scenes of ``seed`` (default: the held-out stream)."""
    from core.errors import NotFound
    from vision.plate.datasets import BR_LABEL_FIXES, HELD_OUT_SEED, br_real, load_folder
    from vision.plate.datasets import synthetic as synthetic_set

    datasets = []
    if data is not None:
        datasets.append(load_folder(data))
    elif synthetic == 0:
        try:
            datasets.append(br_real(fix_labels=not published_labels))
        except NotFound as exc:
            raise typer.BadParameter(f"{exc}; pass --data DIR or --synthetic N") from exc
        if not published_labels:
            fixes = ", ".join(f"{a} -> {b}" for a, b in BR_LABEL_FIXES.values())
            typer.echo(f"BR labels corrected to what the photo shows: {fixes} (--published-labels: as published)")
    if synthetic > 0:
        datasets.append(synthetic_set(synthetic, seed=HELD_OUT_SEED if seed is None else seed))
    return datasets


def _echo_bands(what: str, bands: dict[str, dict[str, float]]) -> None:
    for band, numbers in bands.items():
        typer.echo(f"  {what} {band:>13}: {int(numbers['plates']):4d}  recall {numbers['recall']:6.1%}"
                   f"  exact {numbers['exact']:6.1%}")


@app.command()
def evaluate(
    data: Annotated[Path | None, typer.Option(help="labelled folder (openalpr 'file x y w h text' or YOLO)")] = None,
    synthetic: Annotated[int, typer.Option(help="evaluate on N generated held-out scenes instead of the BR photos (with --data: as well; 0: skip)")] = 0,
    seed: Annotated[int | None, typer.Option(help="seed of the --synthetic scenes: 777000 held-out (default), 555000 "
                                             "development (choose settings there, not on held-out)")] = None,
    weights: Annotated[str | None, typer.Option(help="detector weights (default: shipped)")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda")] = "auto",
    country: Annotated[str, typer.Option(help="restrict formats: auto, BR, EU, US, ID")] = "auto",
    reader: Annotated[str | None, typer.Option(help="crnn, easyocr, both or cascade (default: the task's default)")] = None,
    batch_size: Annotated[int, typer.Option(help="images per predict call")] = 8,
    iou: Annotated[float, typer.Option(help="IoU for a detection to count")] = 0.5,
    threads: Annotated[int | None, typer.Option(help="CPU threads (1 is fastest on a busy machine)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print metrics as JSON")] = False,
    show_errors: Annotated[bool, typer.Option("--errors", help="list misread and missed plates")] = False,
    published_labels: Annotated[bool, typer.Option(help="score the BR photos against their labels as published, "
                                                   "without datasets.BR_LABEL_FIXES")] = False,
    crnn_weights: Annotated[list[Path] | None, typer.Option(help="CRNN weights instead of the shipped pair; repeat "
                                                            "for an ensemble")] = None,
) -> None:
    """Detection recall at IoU >= 0.5 and exact-plate accuracy (default data: the real BR photos, if present)."""
    from core.device import resolve_placement
    from vision.plate.reader import PlateReader, make_recognizer
    from vision.plate.schemas import PlateOptions

    datasets = _evaluation_sets(data, synthetic, published_labels, seed)
    options = {"reader": reader} if reader else {}
    recognizer = None
    if crnn_weights:
        recognizer = make_recognizer(reader or PlateOptions().reader, resolve_placement(device), country, crnn_weights)
    task = PlateReader(weights=weights, device=device, country=country, threads=threads, recognizer=recognizer,
                       **options).load()
    typer.echo(f"reader: {task.settings.reader}")
    reports = []
    for dataset in datasets:
        metrics = task.evaluate(dataset, batch_size=batch_size, iou=iou)
        reports.append(metrics)
        if not as_json:
            typer.echo(metrics.table())
            intervals = metrics.details["intervals_95"]  # type: ignore[union-attr]
            typer.echo("  95 % intervals (Wilson): " + ", ".join(
                f"{name} {low:.1%}-{high:.1%}" for name, (low, high) in intervals.items()))  # type: ignore[union-attr]
            _echo_bands("plates", metrics.details["by_width"])  # type: ignore[arg-type]
            for threshold, numbers in metrics.details["by_confidence"].items():  # type: ignore[union-attr]
                typer.echo(f"  read with confidence {threshold:>5}: {numbers['coverage']:6.1%} of plates, "
                           f"{numbers['accuracy']:6.1%} of them exact")
            if "by_char_height" in metrics.details:
                typer.echo(f"  within the capture spec (characters >= {metrics.details['min_char_height_px']:g} px "
                           f"tall): {metrics.details['plates_in_spec']} plates, exact "
                           f"{metrics.values['exact_plate_accuracy_in_spec']:.1%}")
                _echo_bands("characters", metrics.details["by_char_height"])  # type: ignore[arg-type]
            if show_errors:
                for name, errs in metrics.details["errors"].items():  # type: ignore[union-attr]
                    typer.echo(f"  {name}: {errs}")
            typer.echo("")
    if as_json:
        typer.echo(json.dumps([m.model_dump(mode="json") for m in reports], indent=2))


@app.command("evaluate-reader")
def evaluate_reader(
    readers: Annotated[str, typer.Option(help="comma-separated readers to compare: crnn, easyocr, both, cascade")] = "crnn,easyocr",
    data: Annotated[Path | None, typer.Option(help="labelled folder (default: the real BR photos, if present)")] = None,
    synthetic: Annotated[int, typer.Option(help="N generated held-out scenes instead of the BR photos (with --data: as well; 0: skip)")] = 0,
    seed: Annotated[int | None, typer.Option(help="seed of the --synthetic scenes: 777000 held-out (default), 555000 "
                                             "development (choose settings there, not on held-out)")] = None,
    country: Annotated[str, typer.Option(help="restrict formats: auto, BR, EU, US, ID")] = "auto",
    crnn_weights: Annotated[list[Path] | None, typer.Option(help="CRNN weights; repeat for an ensemble whose "
                                                            "log-probabilities are averaged (default: the shipped pair)")] = None,
    threads: Annotated[int, typer.Option(help="CPU threads")] = 1,
    views: Annotated[bool, typer.Option("--views/--one-crop", help="read each box in the task's views and vote "
                                        "(PlateOptions.views), or once, padded 4 %/8 % (the reader alone)")] = False,
    published_labels: Annotated[bool, typer.Option(help="score the BR photos against their labels as published, "
                                                   "without datasets.BR_LABEL_FIXES")] = False,
) -> None:
    """The reader alone on ground-truth plate boxes (padded like detections): exact plates per reader."""
    import torch

    from core.device import Placement
    from vision.plate.evaluate import ground_truth_crops, reader_accuracy
    from vision.plate.reader import make_recognizer
    from vision.plate.schemas import PlateOptions

    torch.set_num_threads(threads)
    datasets = _evaluation_sets(data, synthetic, published_labels, seed)
    placement = Placement("cpu", "fp32")
    for dataset in datasets:
        view_pads = PlateOptions().views if views else None
        crops, texts = ground_truth_crops(dataset, view_pads)
        for name in [r.strip() for r in readers.split(",") if r.strip()]:
            recognizer = make_recognizer(name, placement, country, crnn_weights or None)
            numbers = reader_accuracy(recognizer, crops, texts, views=len(view_pads) if view_pads else 1)
            typer.echo(f"{dataset.name} {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in numbers.items()))


@app.command()
def predict(
    images: Annotated[list[Path], typer.Argument(help="image files")],
    weights: Annotated[str | None, typer.Option(help="detector weights (default: shipped)")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda")] = "auto",
    country: Annotated[str, typer.Option(help="restrict formats: auto, BR, EU, US, ID")] = "auto",
    reader: Annotated[str | None, typer.Option(help="crnn, easyocr, both or cascade (default: the task's default)")] = None,
) -> None:
    """Print every plate found in each image as JSON lines."""
    from vision.plate.reader import PlateReader

    options = {"reader": reader} if reader else {}
    task = PlateReader(weights=weights, device=device, country=country, **options).load()
    for path, result in zip(images, task.predict([str(p) for p in images])):
        typer.echo(json.dumps({"image": str(path), **result.model_dump(mode="json")}))


@app.command()
def generate(
    out: Annotated[Path, typer.Argument(help="folder to write (images/, labels/, data.yaml)")],
    n: Annotated[int, typer.Option(help="training scenes")] = 100,
    val: Annotated[int, typer.Option(help="validation scenes")] = 20,
    seed: Annotated[int, typer.Option(help="seed")] = 0,
) -> None:
    """Write a generated YOLO dataset (to inspect the synthetic data or train elsewhere)."""
    from vision.plate.synth import write_yolo_dataset

    if n < 1 or val < 1:
        raise typer.BadParameter("n and val must be at least 1")
    typer.echo(str(write_yolo_dataset(out, n, val, seed=seed)))

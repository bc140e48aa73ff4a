"""``ais plate train|train-reader|fine-tune|evaluate|evaluate-reader|predict|generate``: the plate task's command line (heavy imports inside commands)."""
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
                     seed: int | None = None, fmt: str = "auto", split: str = "all",
                     texts: Path | None = None) -> list[PlateDataset]:
    """``--data`` (in ``fmt``, the ``split`` part of it), else the real BR photos (where present) unless
    ``--synthetic`` is asked alone; plus N generated scenes of ``seed`` (default: the held-out stream)."""
    from core.errors import NotFound
    from vision.plate.client_split import client_part
    from vision.plate.datasets import BR_LABEL_FIXES, HELD_OUT_SEED, br_real
    from vision.plate.datasets import synthetic as synthetic_set
    from vision.plate.labelled import load_labelled

    datasets = []
    if data is not None:
        datasets.append(client_part(load_labelled(data, fmt, texts), split))  # type: ignore[arg-type]
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
    data: Annotated[Path | None, typer.Option(help="labelled folder or CSV (see --format)")] = None,
    data_format: Annotated[str, typer.Option("--format", help="auto, openalpr (<img>.txt), yolo (labels/ + "
                                             "texts.csv or a 6th column), csv (file,x,y,w,h,text), ccpd (file names)")] = "auto",
    texts: Annotated[Path | None, typer.Option(help="CSV of plate texts (file,text[,plate]) for a YOLO folder "
                                               "(default: its texts.csv)")] = None,
    split: Annotated[str, typer.Option(help="part of --data: all, or the fixed client split by file name "
                                       "(client_split): train, val or test (the last 40)")] = "all",
    one_plate: Annotated[bool, typer.Option("--one-plate", help="gate cameras: only the best plate per photo")] = False,
    learned_formats: Annotated[str, typer.Option(help="a fine-tuned version's learned formats: only, add (to the "
                                                 "hand-written ones) or off")] = "only",
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

    if split not in ("all", "train", "val", "test"):
        raise typer.BadParameter(f"--split must be all, train, val or test, got {split!r}")
    datasets = _evaluation_sets(data, synthetic, published_labels, seed, data_format, split, texts)
    options: dict[str, object] = {"reader": reader} if reader else {}
    if one_plate:
        options["one_plate"] = True
    if learned_formats != "only":
        options["learned_formats"] = learned_formats
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
            typer.echo("  95 % intervals (Wilson; bootstrap for false plates per photo): " + ", ".join(
                f"{name} {low:.1%}-{high:.1%}" for name, (low, high) in metrics.intervals.items()))
            for key in ("unsupported_characters", "plates_with_unsupported_characters"):
                if key in metrics.details:
                    typer.echo(f"  {key.replace('_', ' ')} (not in A-Z 0-9, kept in the labels): {metrics.details[key]}")
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


@app.command("fine-tune")
def fine_tune(
    data: Annotated[Path, typer.Option(help="the client's labelled photos (folder or CSV, see --format)")],
    data_format: Annotated[str, typer.Option("--format", help="auto, openalpr, yolo, csv or ccpd")] = "auto",
    out: Annotated[Path, typer.Option(help="folder the new version folder is written in")] = Path("runs/plate-fine-tune"),
    test: Annotated[int, typer.Option(help="photos kept out as the test set (the last by file name)")] = 40,
    val: Annotated[int, typer.Option(help="validation photos before them (early stopping, the card)")] = 11,
    detector_minutes: Annotated[float, typer.Option(help="detector budget, minutes (runs beside the reader)")] = 28.0,
    reader_minutes: Annotated[float, typer.Option(help="reader budget, minutes")] = 28.0,
    scenes: Annotated[int, typer.Option(help="generated scenes mixed with the client's photos")] = 200,
    min_format_count: Annotated[int, typer.Option(help="label layouts seen this often become templates")] = 2,
    real_variants: Annotated[int, typer.Option(help="reader crops cut from each client training plate")] = 60,
    format_crops: Annotated[int, typer.Option(help="generated reader crops in the client's formats")] = 4000,
    generic_crops: Annotated[int, typer.Option(help="generated reader crops of the known styles")] = 2000,
    seed: Annotated[int, typer.Option(help="seed of the generated data and the training order")] = 0,
    skip_detector: Annotated[bool, typer.Option("--skip-detector", help="keep the shipped detector")] = False,
    sequential: Annotated[bool, typer.Option("--sequential", help="detector after the reader, not beside it")] = False,
) -> None:
    """Fine-tune detector and reader on a client's labelled photos into a new model version folder (the shipped
    weights stay the default; `ais models import plate FOLDER` then `ais models promote` puts it live)."""
    from vision.plate.fine_tune import FineTuneConfig
    from vision.plate.fine_tune import fine_tune as run_fine_tune
    from vision.plate.fine_tune_detector import DetectorFineTuneConfig
    from vision.plate.fine_tune_reader import ReaderFineTuneConfig

    config = FineTuneConfig(data=str(data), format=data_format, test=test, val=val, min_format_count=min_format_count,
                            detector=DetectorFineTuneConfig(minutes=detector_minutes, scenes=scenes, seed=seed),
                            reader=ReaderFineTuneConfig(minutes=reader_minutes, seed=seed, real_variants=real_variants,
                                                        format_crops=format_crops, generic_crops=generic_crops),
                            parallel=not sequential, skip_detector=skip_detector)
    result = run_fine_tune(config, out)
    timing = result.card["timing"]
    reader_card = result.card["reader"]["result"]  # type: ignore[index]
    typer.echo(f"saved {result.folder} (version {result.version}); formats: "
               + ", ".join(f["template"] for f in result.card["formats"]))  # type: ignore[union-attr,index]
    typer.echo(f"  reader validation (exact, {val} photos): {reader_card['validation_before']['exact']:.3f} -> "
               f"{reader_card['validation_best']['exact']:.3f}")
    typer.echo(f"  wall {timing['wall_s'] / 60:.1f} min, CPU {timing['cpu_s'] / 60:.1f} min, "  # type: ignore[index]
               f"load {timing['load_start']} -> {timing['load_end']}")  # type: ignore[index]
    typer.echo(f"  evaluate: ais plate evaluate --data {data} --split test --weights {result.folder}")


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

"""``ais sentiment``: predict, evaluate against VADER, build the default model, fine-tune on a client's CSV."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Sentiment of English texts (MiniLM fine-tuned on SST-2), with a VADER baseline.",
                  no_args_is_help=True)
log = logging.getLogger(__name__)

DeviceOpt = Annotated[str, typer.Option(help="auto, cpu, cuda or cuda:N")]
WeightsOpt = Annotated[str | None, typer.Option(help="weights folder or model-store tag (default: shipped model)")]
ThreadsOpt = Annotated[int, typer.Option(help="CPU threads for torch (1 is fastest on a busy machine)")]


def _threads(n: int) -> None:
    import torch

    torch.set_num_threads(max(1, n))


def _classifier(weights: str | None, device: str, neutral_band: float):
    from nlp.sentiment.classifier import SentimentClassifier

    return SentimentClassifier(weights, device=device, neutral_band=neutral_band).load()


@app.command()
def predict(
    texts: Annotated[list[str] | None, typer.Argument(help="texts to classify")] = None,
    file: Annotated[Path | None, typer.Option(help="a UTF-8 file with one text per line")] = None,
    weights: WeightsOpt = None,
    device: DeviceOpt = "auto",
    neutral_band: Annotated[float, typer.Option(help="|p(positive) - 0.5| below this is neutral")] = 0.1,
) -> None:
    """Print one JSON result per text (what the service returns)."""
    from nlp.inputs import gather_texts

    items = gather_texts(texts, file)
    for text, result in zip(items, _classifier(weights, device, neutral_band).predict_all(items)):
        typer.echo(json.dumps({"text": text, **result.model_dump(mode="json")}))


def _columns(text_col: str | None, label_col: str | None, header: bool) -> tuple[str | int, str | int]:
    """Named columns with a header (default text/label), 0-based numbers without one (default 0/1)."""
    if header:
        return text_col or "text", label_col or "label"
    return int(text_col or 0), int(label_col or 1)


@app.command()
def evaluate(
    data: Annotated[Path | None, typer.Option(help="labelled TSV/CSV, GLUE style: a header, one text and one label "
                                                   "column (default: SST-2 dev)")] = None,
    split: Annotated[str, typer.Option(help="without --data: dev (SST-2 dev) or heldout (the 2,000 SST-2 train "
                                            "phrases held out from the shipped model's training)")] = "dev",
    text_col: Annotated[str | None, typer.Option(help="text column: a name, or a 0-based number with --no-header "
                                                     "(default sentence / 0)")] = None,
    label_col: Annotated[str | None, typer.Option(help="label column (default label / 1); binary model: 1/0, "
                                                      "positive/negative...; else the model's label names")] = None,
    header: Annotated[bool, typer.Option(help="the first row names the columns")] = True,
    data_format: Annotated[str, typer.Option("--format", help="auto (by extension), tsv or csv")] = "auto",
    limit: Annotated[int | None, typer.Option(help="evaluate on the first N rows only")] = None,
    weights: WeightsOpt = None,
    device: DeviceOpt = "auto",
    neutral_band: Annotated[float, typer.Option(help="|p(positive) - 0.5| below this is neutral")] = 0.1,
    threads: ThreadsOpt = 1,
    as_json: Annotated[bool, typer.Option("--json", help="print metrics as JSON")] = False,
) -> None:
    """Accuracy and macro-F1 with 95 % intervals, F1 per label, confusion matrix; VADER beside the binary model."""
    from nlp.sentiment import datasets

    _threads(threads)
    clf = _classifier(weights, device, neutral_band)
    if data:
        t_col, l_col = _columns(text_col or ("sentence" if header else None), label_col, header)
        sep = {"auto": None, "tsv": "\t", "csv": ","}.get(data_format)
        if data_format not in ("auto", "tsv", "csv"):
            raise typer.BadParameter(f"--format must be auto, tsv or csv, got {data_format!r}")
        binary = clf.labels == datasets.LABELS
        dataset = datasets.read_labelled(data, t_col, l_col, delimiter=sep, header=header,
                                         labels="binary" if binary else "auto", label_names=clf.labels)
    elif split in ("dev", "heldout"):
        dataset = datasets.sst2("dev") if split == "dev" else datasets.sst2_heldout()
    else:
        raise typer.BadParameter(f"--split must be dev or heldout, got {split!r}")
    if limit:
        dataset = dataset.head(limit)
    metrics = clf.evaluate(dataset, progress=True)
    if as_json:
        typer.echo(metrics.model_dump_json(indent=2))
        return
    typer.echo(f"model {metrics.details['model_version']}")
    typer.echo(metrics.table())
    typer.echo(f"confusion ({metrics.details['confusion_matrix_layout']}): {metrics.details['confusion_matrix']}")
    if "vader_confusion_matrix" in metrics.details:
        typer.echo(f"VADER confusion: {metrics.details['vader_confusion_matrix']}")
        typer.echo("(coverage / accuracy_decided: share not labelled neutral, and accuracy on that share)")


def _config(train_layers: int, epochs: int, batch_size: int, max_minutes: float | None, device: str,
            holdout: float, patience: int, seed: int):
    from nlp.sentiment.train import FineTuneConfig

    return FineTuneConfig(train_layers=train_layers, epochs=epochs, batch_size=batch_size, max_minutes=max_minutes,
                          device=device, holdout=holdout, patience=patience, seed=seed)


def _report(result, out: Path) -> None:
    typer.echo(f"saved {result.config.version} to {out} labels {list(result.config.labels)} "
               f"(held-out accuracy {result.holdout_accuracy:.4f}"
               f"{', stopped early' if result.stopped_early else ''})")


@app.command()
def train(
    out: Annotated[Path | None, typer.Option(help="output folder (default: the package's weights folder)")] = None,
    train_layers: Annotated[int, typer.Option(help="top encoder layers to fine-tune (0-6)")] = 3,
    epochs: int = 1,
    batch_size: int = 32,
    max_minutes: Annotated[float | None, typer.Option(help="stop after this long, keep the best state")] = 40.0,
    device: DeviceOpt = "auto",
    threads: ThreadsOpt = 1,
    seed: int = 13,
) -> None:
    """Build the default model from SST-2 train (dev is never used); writes adapter + config (a few MB)."""
    from nlp.sentiment import datasets
    from nlp.sentiment.train import new_version, train_and_save

    _threads(threads)
    target = out or Path(__file__).resolve().parent / "weights"
    result = train_and_save(datasets.sst2("train"), target,
                            _config(train_layers, epochs, batch_size, max_minutes, device, 0.05, 3, seed),
                            version=new_version("sentiment-sst2"))
    _report(result, target)


def _mlm_texts(epochs: float, data: Path | None, max_minutes: float | None, train_layers: int,
               train_embeddings: bool) -> list[str]:
    """Check the MLM options before anything loads; the extra unlabelled texts (none without --mlm-data)."""
    if epochs < 0 or (max_minutes is not None and max_minutes < 0):
        raise typer.BadParameter("--mlm-epochs and --mlm-max-minutes must be >= 0")
    if not epochs and (data is not None or max_minutes is not None):
        raise typer.BadParameter("--mlm-data / --mlm-max-minutes need --mlm-epochs > 0")
    if epochs and train_layers == 0 and not train_embeddings:
        raise typer.BadParameter("MLM pre-training changes only the layers the fine-tune tunes and saves: "
                                 "with --train-layers 0 (and no --train-embeddings) it would change nothing")
    if data is None:
        return []
    if not data.is_file():
        raise typer.BadParameter(f"--mlm-data {str(data)!r} does not exist")
    texts = [line for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not texts:
        raise typer.BadParameter(f"--mlm-data {str(data)!r} has no text (one per line expected)")
    return texts


@app.command("fine-tune")
def fine_tune(
    data: Annotated[Path, typer.Option(help="the client's labelled CSV/TSV")],
    text_col: Annotated[str | None, typer.Option(help="text column: a name, or a 0-based number with --no-header "
                                                     "(default text / 0)")] = None,
    label_col: Annotated[str | None, typer.Option(help="label column (default label / 1)")] = None,
    labels: Annotated[str, typer.Option(help="binary (1/0, positive/negative...) or auto: the file's own label "
                                             "names, 2 or more")] = "binary",
    header: Annotated[bool, typer.Option(help="the first row names the columns")] = True,
    out: Annotated[Path | None, typer.Option(help="output folder (default: $AIS_HOME/models/sentiment/<version>)")] = None,
    start_from: Annotated[Path | None, typer.Option(help="weights folder to start from (default: shipped model; "
                                                         "with other labels only its encoder layers)")] = None,
    scratch: Annotated[bool, typer.Option(help="start from the plain encoder instead of the shipped model")] = False,
    train_layers: Annotated[int, typer.Option(help="top encoder layers to fine-tune (0-6)")] = 6,
    train_embeddings: Annotated[bool, typer.Option(help="also tune the token embeddings (+23 MB)")] = False,
    epochs: int = 3,
    batch_size: int = 32,
    max_length: Annotated[int, typer.Option(help="tokens per training text (longer ones are cut for training)")] = 128,
    lr_layers: float = 1e-4,
    lr_head: float = 1e-3,
    holdout: Annotated[float, typer.Option(help="share of rows held out for early stopping (stratified)")] = 0.1,
    test_split: Annotated[float, typer.Option(help="share of rows set aside first as a test split, never trained "
                                                   "or early-stopped on, scored at the end (0: none)")] = 0.0,
    test_seed: int = 13,
    patience: Annotated[int, typer.Option(help="evaluations without improvement before stopping")] = 3,
    evals_per_epoch: int = 4,
    class_weights: Annotated[bool, typer.Option(help="weight the loss by inverse class frequency")] = True,
    lexical: Annotated[bool | None, typer.Option(help="mix in a word+character TF-IDF head, weighted on the "
                                                      "early-stopping split (default: on with --labels auto)")] = None,
    max_minutes: Annotated[float | None, typer.Option(help="stop training after this long, keep the best state")] = None,
    mlm_epochs: Annotated[float, typer.Option(help="first continue the encoder's masked-LM pre-training for this many "
                                                   "passes over the training texts (+ --mlm-data); 0: off")] = 0.0,
    mlm_data: Annotated[Path | None, typer.Option(help="extra unlabelled texts for MLM pre-training, UTF-8, one per "
                                                       "line (test-split texts are dropped)")] = None,
    mlm_max_minutes: Annotated[float | None, typer.Option(help="time cap of the MLM pre-training")] = None,
    mlm_lr: Annotated[float, typer.Option(help="encoder learning rate during MLM pre-training")] = 5e-5,
    device: DeviceOpt = "auto",
    threads: ThreadsOpt = 1,
    seed: int = 13,
) -> None:
    """Adapt the model to a client's labelled data (any labels with --labels auto): progress bar, stratified
    early stopping, class weights, macro-F1 and confusion matrix, a saved versioned model with its labels."""
    from core.offline import state_dir
    from core.weights import package_data_path
    from nlp.sentiment import datasets
    from nlp.sentiment.adapt import REPORT_FILE, adapt
    from nlp.sentiment.train import FineTuneConfig, new_version

    _threads(threads)
    mlm_texts = _mlm_texts(mlm_epochs, mlm_data, mlm_max_minutes, train_layers, train_embeddings)
    t_col, l_col = _columns(text_col, label_col, header)
    dataset = datasets.read_labelled(data, t_col, l_col, labels=labels, header=header)  # type: ignore[arg-type]
    typer.echo(f"{data.name}: {len(dataset)} texts, labels {dataset.counts()}")
    base = None if scratch else (start_from or package_data_path("nlp", "sentiment/weights"))
    version = new_version()
    target = out or state_dir() / "models" / "sentiment" / version
    config = FineTuneConfig(train_layers=train_layers, epochs=epochs, batch_size=batch_size, max_length=max_length,
                            lr_layers=lr_layers, lr_head=lr_head, holdout=holdout, patience=patience,
                            evals_per_epoch=evals_per_epoch, class_weights=class_weights, max_minutes=max_minutes,
                            device=device, seed=seed, train_embeddings=train_embeddings,
                            lexical=(labels == "auto") if lexical is None else lexical, mlm_epochs=mlm_epochs,
                            mlm_max_minutes=mlm_max_minutes, mlm_lr=mlm_lr)
    report = adapt(dataset, target, config, start_from=base, test_fraction=test_split, test_seed=test_seed,
                   version=version, mlm_texts=mlm_texts)
    result = report.result
    _report(result, target)
    names = list(result.config.labels)
    typer.echo(f"early-stopping split: macro-F1 {result.holdout_macro_f1:.4f}, accuracy {result.holdout_accuracy:.4f}")
    typer.echo(f"confusion (rows truth {names}, columns predicted): {result.holdout_confusion}")
    if result.config.encoder_weight is not None:
        typer.echo(f"lexical head mixed in: encoder weight {result.config.encoder_weight}, early-stopping macro-F1 "
                   f"{result.config.metrics.get('holdout_macro_f1_with_lexical')}")
    if result.mlm is not None:
        typer.echo(f"MLM pre-training first: {result.mlm['steps']} of {result.mlm['planned_steps']} steps on "
                   f"{result.mlm['texts']} texts in {result.mlm['minutes']} min, loss {result.mlm['first_loss']} -> "
                   f"{result.mlm['last_loss']}")
    if report.test is not None:
        typer.echo(report.test.table())
        if "encoder_only" in report.test.details:
            enc = report.test.details["encoder_only"]
            typer.echo(f"encoder alone on the test split: macro-F1 {enc['macro_f1']:.4f}, "  # type: ignore[index]
                       f"accuracy {enc['accuracy']:.4f}")  # type: ignore[index]
        typer.echo(f"test confusion (rows truth {names}): {report.test.details['confusion_matrix']}")
    typer.echo(f"wall {report.wall_seconds / 60:.1f} min, CPU {report.cpu_seconds / 60:.1f} min, load "
               f"{report.load_before[0]:.1f} -> {report.load_after[0]:.1f}; report: {target / REPORT_FILE}")
    typer.echo(f"use it with: ais sentiment predict --weights {target} TEXT   or SentimentClassifier(weights='{target}')")

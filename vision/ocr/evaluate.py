"""Evaluation of the OCR reader: CER/WER per layout, orientation accuracy, word-box precision/recall, speed vs plain easyocr."""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from core.errors import InvalidInput
from core.schemas import Metrics
from core.stats import bootstrap_interval
from vision.ocr.datasets import OcrDataset, OcrSample
from vision.ocr.metrics import character_error_rate, match_boxes, word_error_rate

if TYPE_CHECKING:
    from PIL import Image

    from vision.ocr.reader import OcrReader

log = logging.getLogger(__name__)

USABLE_CER = 0.01  # a page is "usable without correction" at or under 1 % CER


def evaluate_reader(reader: OcrReader, dataset: OcrDataset, batch_size: int = 2,
                    progress: Callable[[int], None] | None = None,
                    on_row: Callable[[dict[str, object]], None] | None = None) -> Metrics:
    """Read every sample and score it; ``values`` holds overall and per-layout figures.

    ``on_row`` receives each page's scores as soon as it is read (long CPU runs keep partial results).
    """
    if not isinstance(dataset, OcrDataset) or not dataset.samples:
        raise InvalidInput("evaluate expects a non-empty OcrDataset (see vision.ocr.datasets)")
    rows: list[dict[str, object]] = []
    started = time.perf_counter()
    for start in range(0, len(dataset.samples), batch_size):
        chunk = dataset.samples[start:start + batch_size]
        chunk_start = time.perf_counter()
        results = reader.predict([s.image for s in chunk])
        seconds = (time.perf_counter() - chunk_start) / len(chunk)
        for sample, result in zip(chunk, results):
            row = _score(sample, result)
            row["seconds"] = seconds
            rows.append(row)
            if on_row:
                on_row(row)
        if progress:
            progress(len(chunk))
    elapsed = time.perf_counter() - started
    return _summarise(dataset.name, rows, elapsed)


def _score(sample: OcrSample, result) -> dict[str, object]:
    row: dict[str, object] = {
        "name": sample.name, "layout": sample.layout,
        "cer": character_error_rate(sample.text, result.text), "wer": word_error_rate(sample.text, result.text),
        "rotation": sample.rotation, "orientation": result.orientation,
    }
    if sample.words and sample.rotation == 0:
        predicted = [(w.box.x1, w.box.y1, w.box.x2, w.box.y2) for w in result.words]
        score = match_boxes(predicted, [w.box for w in sample.words], iou_threshold=0.5)
        row.update(tp=score.true_positives, n_pred=score.n_predicted, n_true=score.n_truth)
    return row


def _summarise(name: str, rows: list[dict[str, object]], elapsed: float) -> Metrics:
    values: dict[str, float] = {
        "cer": float(np.mean([r["cer"] for r in rows])),
        "wer": float(np.mean([r["wer"] for r in rows])),
        "pages_usable": float(np.mean([r["cer"] <= USABLE_CER for r in rows])),  # type: ignore[operator]
        "orientation_accuracy": float(np.mean([r["rotation"] == r["orientation"] for r in rows])),
        "seconds_per_page": elapsed / len(rows),
    }
    by_layout: dict[str, list[dict[str, object]]] = defaultdict(list)
    for r in rows:
        by_layout[str(r["layout"])].append(r)
    for layout, group in sorted(by_layout.items()):
        values[f"cer[{layout}]"] = float(np.mean([r["cer"] for r in group]))
        values[f"wer[{layout}]"] = float(np.mean([r["wer"] for r in group]))
    boxed = [r for r in rows if "tp" in r]
    if boxed:
        tp = sum(int(r["tp"]) for r in boxed)  # type: ignore[arg-type]
        values["word_precision"] = tp / max(1, sum(int(r["n_pred"]) for r in boxed))  # type: ignore[arg-type]
        values["word_recall"] = tp / max(1, sum(int(r["n_true"]) for r in boxed))  # type: ignore[arg-type]
    intervals = {key: bootstrap_interval(lambda sample, key=key: float(np.mean([r[key] for r in sample])), rows)
                 for key in ("cer", "wer")}
    return Metrics(task="ocr", dataset=name, n_samples=len(rows), values=values, details={"pages": rows},
                   intervals=intervals)


def plain_easyocr_text(result: Sequence) -> str:
    """Text of a plain ``readtext`` result in the order easyocr returns it (top edge first)."""
    return " ".join(item[1] for item in result)


def compare_with_plain(reader: OcrReader, samples: Sequence[OcrSample]) -> dict[str, float]:
    """Time ``reader.predict(batch)`` against plain ``easyocr.Reader.readtext`` per image, same weights.

    Both use the already loaded models; each is run once after a warm-up on the first image. Plain
    easyocr runs with its defaults (``canvas_size=2560``, ``batch_size=1``), as a user would call it.
    """
    engine = reader._engine()
    images: list[Image.Image] = [s.image for s in samples]
    arrays = [np.asarray(img) for img in images]
    engine.reader.readtext(arrays[0])  # warm-up (allocations, quantised kernels)
    start = time.perf_counter()
    plain = [engine.reader.readtext(a) for a in arrays]
    plain_s = time.perf_counter() - start
    start = time.perf_counter()
    ours = reader.predict(images)
    ours_s = time.perf_counter() - start
    return {
        "pages": float(len(images)),
        "plain_readtext_s": plain_s,
        "batched_predict_s": ours_s,
        "speedup": plain_s / max(ours_s, 1e-9),
        "plain_cer": float(np.mean([character_error_rate(s.text, plain_easyocr_text(p)) for s, p in zip(samples, plain)])),
        "ours_cer": float(np.mean([character_error_rate(s.text, r.text) for s, r in zip(samples, ours)])),
    }

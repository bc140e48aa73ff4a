"""Plate metrics: detection recall/precision at an IoU threshold and exact-plate (end-to-end) accuracy."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple, Protocol

from core.errors import InvalidInput
from core.schemas import Box, Metrics
from core.stats import bootstrap_interval, wilson_interval
from vision.plate.schemas import PlateResult

if TYPE_CHECKING:
    import numpy as np

    from vision.plate.datasets import LabelledPlate, PlateDataset
    from vision.plate.read import PlateRecognizer

log = logging.getLogger(__name__)


class PlateTask(Protocol):
    """What evaluation needs of a plate task (``reader.PlateReader``): load, then predict a batch."""

    def load(self) -> object: ...

    def predict(self, batch: Sequence[object]) -> list[PlateResult]: ...

# Plate width in pixels of the labelled box: readers and people fail on tiny plates, so accuracy is also
# reported per width band (a camera spec is usually a minimum plate width).
WIDTH_BANDS: tuple[tuple[int, int | None], ...] = ((0, 30), (30, 60), (60, 120), (120, None))
# The capture spec ANPR vendors state for reading a plate: its characters at least 15 px tall in the image
# (Eocortex LPR and AxxonSoft ANPR: 15 px; AxxonSoft Auto-Intellect: 16 px; Milestone XProtect LPR:
# 2.7 px per stroke). Where a label knows its characters' height (generated scenes), exact-plate accuracy
# is also scored on the plates within this spec; smaller plates still count everywhere else.
MIN_CHAR_HEIGHT = 15.0
CHAR_HEIGHT_BANDS: tuple[tuple[int, int | None], ...] = ((0, 8), (8, 12), (12, 15), (15, 25), (25, None))
# Reading confidences a client might act on without a person: how many plates clear each, and how many of
# those are read right (``by_confidence``).
CONFIDENCE_THRESHOLDS: tuple[float, ...] = (0.5, 0.8, 0.9, 0.95)


class PlateOutcome(NamedTuple):
    """What happened to one labelled plate with text."""

    width: float  # labelled box width, px
    detected: bool
    exact: bool
    char_height: float | None = None  # its characters' height in px, where the label knows it
    confidence: float | None = None  # of the plate read where it was found

    @property
    def in_spec(self) -> bool:
        """Within the capture spec (``MIN_CHAR_HEIGHT``); a plate of unknown size counts as within it."""
        return self.char_height is None or self.char_height >= MIN_CHAR_HEIGHT


@dataclass
class ImageScore:
    """Counts for one image."""

    truths: int = 0
    predictions: int = 0
    detected: int = 0
    with_text: int = 0
    read_exact: int = 0
    read_exact_of_detected: int = 0
    confident_wrong: int = 0
    photos: int = 0
    false_plates: int = 0  # reported plates that match no labelled plate
    photos_with_false: int = 0  # photos with at least one such plate
    outcomes: list[PlateOutcome] = field(default_factory=list)  # one per labelled plate with text


def score_image(result: PlateResult, truths: Sequence[LabelledPlate], iou: float = 0.5,
                confident: float = 0.8) -> tuple[ImageScore, list[dict[str, object]]]:
    """Greedy one-to-one matching by IoU (best pairs first); a plate counts once at most."""
    score = ImageScore(truths=len(truths), predictions=len(result.plates), photos=1)
    pairs = []
    for ti, truth in enumerate(truths):
        tbox = Box(x1=truth.box[0], y1=truth.box[1], x2=truth.box[2], y2=truth.box[3])
        for pi, plate in enumerate(result.plates):
            overlap = tbox.iou(plate.box)
            if overlap >= iou:
                pairs.append((overlap, ti, pi))
    used_t, used_p, matches = set(), set(), {}
    for overlap, ti, pi in sorted(pairs, reverse=True):
        if ti in used_t or pi in used_p:
            continue
        used_t.add(ti)
        used_p.add(pi)
        matches[ti] = (pi, overlap)
    errors: list[dict[str, object]] = []
    score.false_plates = len(result.plates) - len(matches)
    score.photos_with_false = int(score.false_plates > 0)
    for ti, truth in enumerate(truths):
        width = float(truth.box[2] - truth.box[0])
        if truth.text is not None:
            score.with_text += 1
        if ti not in matches:
            errors.append({"truth": truth.text, "error": "missed"})
            if truth.text is not None:
                score.outcomes.append(PlateOutcome(width, False, False, truth.char_height))
            continue
        score.detected += 1
        plate = result.plates[matches[ti][0]]
        if truth.text is None:
            continue
        score.outcomes.append(PlateOutcome(width, True, plate.text == truth.text, truth.char_height, plate.confidence))
        if plate.text == truth.text:
            score.read_exact += 1
            score.read_exact_of_detected += 1
        else:
            errors.append({"truth": truth.text, "read": plate.text, "confidence": plate.confidence})
            if plate.confidence >= confident:
                score.confident_wrong += 1
    return score, errors


def evaluate_dataset(task: PlateTask, dataset: PlateDataset, batch_size: int = 8, iou: float = 0.5,
                     progress: Callable[[int], None] | None = None) -> Metrics:
    """Run ``task`` over ``dataset`` and return recall, precision, exact-plate accuracy and speed."""
    if not 0.0 < iou <= 1.0:
        raise InvalidInput(f"iou must be in (0, 1], got {iou}")
    if batch_size < 1:
        raise InvalidInput("batch_size must be at least 1")
    samples = list(dataset.samples)
    if not samples:
        raise InvalidInput(f"dataset {dataset.name!r} is empty")
    task.load()
    total = ImageScore()
    errors: dict[str, list[dict[str, object]]] = {}
    per_photo_false: list[float] = []
    started = time.perf_counter()
    for start in range(0, len(samples), batch_size):
        chunk = samples[start:start + batch_size]
        results = task.predict([s.image for s in chunk])
        for sample, result in zip(chunk, results):
            score, errs = score_image(result, sample.plates, iou=iou)
            per_photo_false.append(float(score.false_plates))
            for name in vars(total):
                setattr(total, name, getattr(total, name) + getattr(score, name))
            if errs:
                errors[sample.name] = errs
        if progress is not None:
            progress(len(chunk))
    seconds = time.perf_counter() - started
    truths = max(total.truths, 1)
    sized = [o for o in total.outcomes if o.char_height is not None]
    in_spec = [o for o in total.outcomes if o.in_spec]
    values = {
        "recall@iou": total.detected / truths,
        "precision@iou": total.detected / max(total.predictions, 1),
        "exact_plate_accuracy": total.read_exact / max(total.with_text, 1),
        "reader_accuracy_on_detected": total.read_exact_of_detected / max(total.detected, 1),
        # Business view: how often a plate is confidently misread (a wrong fine is worse than none).
        "confident_wrong_rate": total.confident_wrong / max(total.with_text, 1),
        # Precision per photo: plates reported where none is labelled (signs, grilles, a second read of a plate).
        "false_plates_per_photo": total.false_plates / max(total.photos, 1),
        "photos_with_false_plate": total.photos_with_false / max(total.photos, 1),
        "images_per_second": len(samples) / seconds if seconds > 0 else 0.0,
    }
    details: dict[str, object] = {"iou": iou, "plates": total.truths, "plates_with_text": total.with_text,
                                  "predictions": total.predictions, "false_plates": total.false_plates,
                                  "by_width": by_width(total.outcomes), **getattr(dataset, "notes", {})}
    # 95 % Wilson intervals of the rates that have targets: 60 real plates leave about +-10 points.
    intervals = {"recall@iou": wilson_interval(total.detected, total.truths),
                 "precision@iou": wilson_interval(total.detected, total.predictions),
                 "exact_plate_accuracy": wilson_interval(total.read_exact, total.with_text),
                 "reader_accuracy_on_detected": wilson_interval(total.read_exact_of_detected, total.detected),
                 "photos_with_false_plate": wilson_interval(total.photos_with_false, total.photos)}
    if len(samples) > 1:  # a mean count per photo: bootstrap over photos
        intervals["false_plates_per_photo"] = bootstrap_interval(lambda xs: sum(xs) / len(xs), per_photo_false)
    if sized:  # generated scenes: how tall each plate's characters are is known
        exact_in_spec = sum(o.exact for o in in_spec)
        values["exact_plate_accuracy_in_spec"] = exact_in_spec / max(len(in_spec), 1)
        values["recall_in_spec"] = sum(o.detected for o in in_spec) / max(len(in_spec), 1)
        intervals["exact_plate_accuracy_in_spec"] = wilson_interval(exact_in_spec, len(in_spec))
        details |= {"min_char_height_px": MIN_CHAR_HEIGHT, "plates_in_spec": len(in_spec),
                    "by_char_height": by_char_height(sized)}
    details["by_confidence"] = by_confidence(total.outcomes)
    details["intervals_95"] = {name: [round(low, 4), round(high, 4)] for name, (low, high) in intervals.items()}
    origin = "generated" if getattr(dataset, "origin", "labelled") == "generated" else "labelled"
    return Metrics(task="plate", dataset=dataset.name, n_samples=len(samples), values=values,
                   details=details | {"errors": errors},
                   intervals={k: (round(lo, 4), round(hi, 4)) for k, (lo, hi) in intervals.items()}, origin=origin)


def _bands(outcomes: Sequence[PlateOutcome], value: Callable[[PlateOutcome], float],
           bands: Sequence[tuple[int, int | None]], unit: str) -> dict[str, dict[str, float]]:
    """Recall and exact-plate accuracy of the outcomes whose ``value`` falls in each band (empty ones left out)."""
    out: dict[str, dict[str, float]] = {}
    for low, high in bands:
        inside = [o for o in outcomes if value(o) >= low and (high is None or value(o) < high)]
        if inside:
            name = f"{low}-{high} {unit}" if high is not None else f">={low} {unit}"
            out[name] = {"plates": float(len(inside)), "recall": sum(o.detected for o in inside) / len(inside),
                         "exact": sum(o.exact for o in inside) / len(inside)}
    return out


def by_width(outcomes: Sequence[PlateOutcome]) -> dict[str, dict[str, float]]:
    """Recall and exact-plate accuracy per plate-width band (``WIDTH_BANDS``), for plates with text."""
    return _bands(outcomes, lambda o: o.width, WIDTH_BANDS, "px")


def by_char_height(outcomes: Sequence[PlateOutcome]) -> dict[str, dict[str, float]]:
    """The same per character-height band (``CHAR_HEIGHT_BANDS``), for plates whose height is known."""
    return _bands([o for o in outcomes if o.char_height is not None], lambda o: o.char_height or 0.0,
                  CHAR_HEIGHT_BANDS, "px tall")


def by_confidence(outcomes: Sequence[PlateOutcome],
                  thresholds: Sequence[float] = CONFIDENCE_THRESHOLDS) -> dict[str, dict[str, float]]:
    """For each threshold: ``coverage``, the share of labelled plates found and read with at least that
    confidence, and ``accuracy``, the share of those read exactly (what acting on them alone would get right)."""
    out: dict[str, dict[str, float]] = {}
    for threshold in thresholds:
        sure = [o for o in outcomes if o.confidence is not None and o.confidence >= threshold]
        out[f">={threshold:g}"] = {"plates": float(len(sure)), "coverage": len(sure) / max(len(outcomes), 1),
                                    "accuracy": sum(o.exact for o in sure) / len(sure) if sure else 0.0}
    return out


def ground_truth_crops(dataset: PlateDataset, views: Sequence[tuple[float, float]] | None = None
                       ) -> tuple[list[np.ndarray], list[str]]:
    """Crops of every labelled plate with text, padded as ``boxes.pad_box`` pads a detection: one crop per
    plate (the first view, ``boxes.PAD``), or one per view in ``views``, a plate's crops consecutive."""
    import numpy as np

    from vision.plate.boxes import PAD, pad_box
    from vision.plate.detect import Detection

    views = list(views) if views else [PAD]
    crops, texts = [], []
    for sample in dataset:
        image = np.asarray(sample.image)
        h, w = image.shape[:2]
        for plate in sample.plates:
            if not plate.text:
                continue
            boxes = [pad_box(Detection(*plate.box, 1.0), w, h, *view) for view in views]
            if all(x2 - x1 >= 4 and y2 - y1 >= 4 for x1, y1, x2, y2 in boxes):
                crops.extend(np.ascontiguousarray(image[y1:y2, x1:x2]) for x1, y1, x2, y2 in boxes)
                texts.append(plate.text)
    if not crops:
        raise InvalidInput(f"dataset {dataset.name!r} has no plates with text")
    return crops, texts


def reader_accuracy(recognizer: PlateRecognizer, crops: Sequence[np.ndarray], texts: Sequence[str],
                    batch_size: int = 32, views: int = 1) -> dict[str, float]:
    """The reader alone on given crops: exact-plate rate after template decoding, and of its free text.

    With ``views`` > 1 each plate has that many consecutive crops, fused as the task fuses a box's views
    (``votes.vote_reads``)."""
    from vision.plate.votes import vote_reads

    if views < 1 or len(crops) != len(texts) * views or not crops:
        raise InvalidInput("reader_accuracy needs views crops per text, and at least one")
    flat = []
    started = time.perf_counter()
    for start in range(0, len(crops), batch_size):
        flat.extend(recognizer.read(list(crops[start:start + batch_size])))
    seconds = time.perf_counter() - started
    readings = flat if views == 1 else [vote_reads(flat[i:i + views]) for i in range(0, len(flat), views)]
    exact = sum(r.text == t for r, t in zip(readings, texts))
    free = sum(r.raw.replace(" ", "").replace("-", "").replace(".", "") == t for r, t in zip(readings, texts))
    confident_wrong = sum(r.text != t and r.confidence >= 0.8 for r, t in zip(readings, texts))
    return {"plates": float(len(texts)), "exact": exact / len(texts), "free_text_exact": free / len(texts),
            "confident_wrong_rate": confident_wrong / len(texts), "ms_per_plate": 1000 * seconds / len(texts)}

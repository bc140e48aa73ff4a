"""The plate task: find every licence plate in a batch of photos and read it (detector + reader, swappable)."""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import ValidationError

from core.device import Placement
from core.errors import ConfigError, InvalidInput, WeightsUnavailable
from core.images import ImageInput, load_image
from core.schemas import Box, Metrics
from core.task import BaseTask
from vision.plate.detect import Detection, PlateDetector, YoloPlateDetector
from vision.plate.formats import PLATE_SHAPES
from vision.plate.propose import text_rows
from vision.plate.read import (
    EASYOCR_FUSE_MIN_WIDTH,
    CascadeRecognizer,
    EasyOcrPlateRecognizer,
    FusedRecognizer,
    PlateRecognizer,
    Reading,
)
from vision.plate.schemas import DEFAULT_VIEWS, CharConfidence, Plate, PlateOptions, PlateResult

log = logging.getLogger(__name__)

PACKAGE_WEIGHTS = Path(__file__).resolve().parent / "weights" / "plate-yolov8t.pt"
TRAIN_HINT = "rebuild them with `ais plate train` (about 15 minutes on a CPU)"


PAD = DEFAULT_VIEWS[0]  # the first crop around a detection, as a share of its width and height per side
ROW_PAD = (0.06, 0.15)  # the crop around a text row (``propose.text_rows``): rows hug the glyphs
SURE_PLATE_MIN_CHARS = 5


def pad_box(det: Detection, width: int, height: int, fx: float = PAD[0], fy: float = PAD[1]) -> tuple[int, int, int, int]:
    """Grow a detection by ``fx``/``fy`` of its width/height per side (negative shrinks), clipped to the
    image: YOLO boxes are often tight and the reader wants the whole glyphs."""
    w, h = det.x2 - det.x1, det.y2 - det.y1
    return (max(0, int(det.x1 - fx * w)), max(0, int(det.y1 - fy * h)),
            min(width, int(np.ceil(det.x2 + fx * w))), min(height, int(np.ceil(det.y2 + fy * h))))


def make_recognizer(kind: str, placement: Placement, country: str,
                    crnn_weights: Path | Sequence[Path] | None = None) -> PlateRecognizer:
    """The reader named by ``PlateOptions.reader``: ``crnn``, ``easyocr``, ``both`` (fused per crop; easyocr
    only on crops of at least ``EASYOCR_FUSE_MIN_WIDTH`` px) or
    ``cascade`` (easyocr, and the CRNN where easyocr fits no format or is unsure)."""
    if kind == "easyocr":
        return EasyOcrPlateRecognizer(placement=placement, country=country)
    from vision.plate.crnn import CrnnPlateRecognizer  # imports torch: only when this reader is chosen

    crnn = CrnnPlateRecognizer(crnn_weights, placement=placement, country=country)
    if kind == "crnn":
        return crnn
    if kind == "both":
        return FusedRecognizer([crnn, EasyOcrPlateRecognizer(placement=placement, country=country)],
                               min_widths=(0, EASYOCR_FUSE_MIN_WIDTH))
    if kind == "cascade":
        return CascadeRecognizer(EasyOcrPlateRecognizer(placement=placement, country=country), crnn)
    raise ConfigError(f"unknown plate reader {kind!r}; expected crnn, easyocr, both or cascade")


class PlateReader(BaseTask[ImageInput, PlateResult]):
    """Licence-plate recognition: ``predict(images) -> [PlateResult]`` with every plate per image.

    Options (``PlateOptions``): ``country`` (``auto``/``BR``/``EU``/``US``/``ID``), ``reader``
    (``crnn``/``both``/``easyocr``/``cascade``), ``detector_conf``, ``min_text_conf``, ``views``,
    ``text_rows``, ``imgsz``, ``max_plates``. ``detector=`` and ``recognizer=`` accept any objects with
    ``detect(images)`` / ``read(crops)`` in place of the defaults (like fast-alpr).

    >>> task = PlateReader(device="cpu")      # stores only; .load() reads the weights
    >>> task.loaded
    False
    """

    name: ClassVar[str] = "plate"
    default_weights: ClassVar[str] = f"file:{PACKAGE_WEIGHTS}"
    max_batch_items: ClassVar[int] = 64

    def __init__(self, weights: Any = None, device: str = "auto", precision: str = "auto", *,
                 detector: PlateDetector | None = None, recognizer: PlateRecognizer | None = None,
                 **options: Any) -> None:
        super().__init__(weights=weights, device=device, precision=precision, **options)
        try:
            self.settings = PlateOptions(**options)
        except ValidationError as exc:
            raise ConfigError(f"invalid plate options: {exc.errors(include_url=False)}") from exc
        self.detector = detector
        self.recognizer = recognizer

    def resolve_weights_path(self) -> Path | None:
        if self.detector is not None:
            return None
        if self.weights.kind == "default" and not PACKAGE_WEIGHTS.exists():
            raise WeightsUnavailable(f"the plate detector weights {PACKAGE_WEIGHTS} are missing; {TRAIN_HINT}")
        path = super().resolve_weights_path()
        if path is not None and path.is_dir():
            # A model-store entry (or a folder) holds the .pt file.
            candidates = sorted(path.glob("*.pt"))
            if not candidates:
                raise WeightsUnavailable(f"no .pt detector weights in {path}; {TRAIN_HINT}")
            path = candidates[0]
        return path

    def _load(self, weights_path: Path | None, placement: Placement) -> None:
        import torch

        if placement.device == "cpu" and self.settings.threads is not None:
            # On a busy CPU, fewer threads than cores is much faster (OpenMP threads wait on each other).
            torch.set_num_threads(self.settings.threads)
        if self.detector is None:
            assert weights_path is not None
            self.detector = YoloPlateDetector(weights_path, placement, imgsz=self.settings.imgsz,
                                              conf=min(self.settings.candidate_conf, self.settings.detector_conf),
                                              max_det=self.settings.max_plates + self.settings.max_candidates,
                                              extra_sizes=self.settings.extra_sizes)
        if self.recognizer is None:
            self.recognizer = make_recognizer(self.settings.reader, placement, self.settings.country)
        for part in (self.detector, self.recognizer):
            loader = getattr(part, "load", None)
            if callable(loader):
                loader()

    # -- predict -----------------------------------------------------------------------------------
    def _predict(self, batch: Sequence[ImageInput]) -> list[PlateResult]:
        return self._run(self._decode(batch))[0]

    def timed_predict(self, batch: Sequence[ImageInput]) -> tuple[list[PlateResult], dict[str, float]]:
        """``predict`` plus seconds spent decoding, detecting and reading (for benchmarks)."""
        if not self.loaded:
            self.load()
        started = time.perf_counter()
        arrays = self._decode(batch)
        results, timings = self._run(arrays)
        return results, {"decode": timings["start"] - started, **{k: v for k, v in timings.items() if k != "start"}}

    def _run(self, arrays: list[np.ndarray]) -> tuple[list[PlateResult], dict[str, float]]:
        t0 = time.perf_counter()
        detections = self.detector.detect(arrays)  # type: ignore[union-attr]
        t1 = time.perf_counter()
        sure = self.settings.detector_conf
        views = self.settings.views
        crops, owners = [], []
        for index, (array, dets) in enumerate(zip(arrays, detections)):
            h, w = array.shape[:2]
            ranked = sorted(dets, key=lambda d: -d.confidence)
            # Sure detections, plus a few unsure ones that the reader may confirm as plate text.
            chosen = [d for d in ranked if d.confidence >= sure][: self.settings.max_plates]
            chosen += [d for d in ranked if self.settings.candidate_conf <= d.confidence < sure][: self.settings.max_candidates]
            for det in chosen:
                boxes = [pad_box(det, w, h, *view) for view in views]
                if any(x2 - x1 < 4 or y2 - y1 < 4 for x1, y1, x2, y2 in boxes):
                    continue
                crops.extend(array[y1:y2, x1:x2] for x1, y1, x2, y2 in boxes)
                owners.append((index, det, boxes))
        flat = self.recognizer.read(crops) if crops else []  # type: ignore[union-attr]
        fuse_views = vote_reads if self.settings.view_fusion == "vote" else best_read
        t2 = time.perf_counter()
        results = [PlateResult(width=a.shape[1], height=a.shape[0]) for a in arrays]
        for n, (index, det, boxes) in enumerate(owners):
            group = flat[n * len(views):(n + 1) * len(views)]
            reading = fuse_views(group)
            confirmed = reading.format is not None and reading.confidence >= self.settings.confirm_conf
            floor = self.settings.min_text_conf
            readable = floor == 0.0 or (bool(reading.text) and reading.confidence >= floor)
            if (det.confidence >= sure and readable) or confirmed:
                if self.settings.fit_to_text:
                    crop = boxes[next(i for i, r in enumerate(group) if r is reading)]
                    h, w = arrays[index].shape[:2]
                    det = fit_to_text(det, reading, (crop[0], crop[2]), w, h, self.settings.fit_to_text)
                results[index].plates.append(_plate(det, reading))
        rows = self._text_row_plates(arrays, results)
        t3 = time.perf_counter()
        for result in results:
            result.plates = keep_best_reads(result.plates)
            result.plates.sort(key=lambda p: -p.box.confidence)
            del result.plates[self.settings.max_plates:]
        return results, {"start": t0, "detect": t1 - t0, "read": t2 - t1, "text_rows": t3 - t2,
                         "crops": float(len(crops) + rows)}

    def _sure_plate(self, plate: Plate) -> bool:
        """A plate the detector found and the reader confirmed. Readings of 3-4 characters do not count:
        grille slots and badges read as the short Indonesian formats (``C8D``) far more often than
        real plates do, and they should not stop the search for the plate itself."""
        return (plate.format is not None and plate.confidence >= self.settings.confirm_conf
                and len(plate.text) >= SURE_PLATE_MIN_CHARS)

    def _text_row_plates(self, arrays: list[np.ndarray], results: list[PlateResult]) -> int:
        """Second chance for images where the detector found no sure plate (``_sure_plate``): read the rows of
        glyph-like strokes that ``propose.text_rows`` finds and add those the reader confirms as plate
        text (a known format, confidence >= ``text_rows_conf``). Returns how many crops were read."""
        limit = self.settings.text_rows
        if not limit:
            return 0
        crops, owners = [], []
        for index, (array, result) in enumerate(zip(arrays, results)):
            if any(self._sure_plate(p) for p in result.plates):
                continue
            h, w = array.shape[:2]
            for row in text_rows(array, max_rows=limit):
                x1, y1, x2, y2 = pad_box(row, w, h, *ROW_PAD)
                crops.append(array[y1:y2, x1:x2])
                owners.append((index, row, (x1, x2)))
        readings = self.recognizer.read(crops) if crops else []  # type: ignore[union-attr]
        for (index, row, span), reading in zip(owners, readings):
            if reading.format is not None and reading.confidence >= self.settings.text_rows_conf:
                h, w = arrays[index].shape[:2]
                # Overlapping plates (rows of one plate, a row and a weak detection) are settled by
                # keep_best_reads; on a tie the detector's box wins (ours is an estimate).
                box = (plate_box_from_text(reading, span, row, w, h)
                       or plate_box_from_row(row, reading.format.country, w, h))
                results[index].plates.append(_plate(box, reading))
        return len(crops)

    @staticmethod
    def _decode(batch: Sequence[ImageInput]) -> list[np.ndarray]:
        arrays = []
        for position, item in enumerate(batch):
            try:
                arrays.append(np.asarray(load_image(item)))
            except InvalidInput as exc:
                raise type(exc)(f"item {position}: {exc.message}", index=position, **exc.detail) from exc
        return arrays

    # -- evaluate ----------------------------------------------------------------------------------
    def evaluate(self, dataset: Any, batch_size: int = 8, iou: float = 0.5) -> Metrics:
        """Detection recall/precision at IoU >= ``iou`` and exact-plate accuracy on a ``PlateDataset``."""
        from vision.plate.evaluate import evaluate_dataset

        return evaluate_dataset(self, dataset, batch_size=batch_size, iou=iou)


def best_read(readings: Sequence[Reading]) -> Reading:
    """The best of several views of one box: a known format first, then text confidence."""
    return max(readings, key=lambda r: (r.format is not None, r.confidence))


def vote_reads(readings: Sequence[Reading]) -> Reading:
    """Several views of one box vote: each reading of a known format gives its text its confidence, and the
    text with the most wins, as read by its most confident view. Without any known format, ``best_read``.

    Two views that agree outvote one that is more sure of something else: a crop that cuts a glyph or
    holds the plate's rim is often read confidently wrong (``DKT3896`` for ``OKT3896``).

    >>> from vision.plate.formats import formats_for
    >>> old = formats_for("BR")[0]
    >>> views = [Reading("OKT3896", 0.8, [], "", old), Reading("OKT3896", 0.7, [], "", old), Reading("DKT3896", 0.95, [], "", old)]
    >>> vote_reads(views).text, vote_reads(views).confidence
    ('OKT3896', 0.8)
    """
    formatted = [r for r in readings if r.format is not None]
    if not formatted:
        return best_read(readings)
    votes: dict[str, float] = {}
    for reading in formatted:
        votes[reading.text] = votes.get(reading.text, 0.0) + reading.confidence
    winner = max(votes, key=votes.__getitem__)
    return max((r for r in formatted if r.text == winner), key=lambda r: r.confidence)


def keep_best_reads(plates: Sequence[Plate], iou: float = 0.3, contained: float = 0.7) -> list[Plate]:
    """One plate per place: of boxes that overlap (IoU >= ``iou``) or nest (``contained`` of the smaller
    inside the other), keep the best read — a known format first, then text confidence, then the
    detector's. A part of a plate, or a box around plate and bumper, reads worse than the plate itself."""
    ranked = sorted(plates, key=lambda p: (p.format is not None, p.confidence, p.box.confidence), reverse=True)
    kept: list[Plate] = []
    for plate in ranked:
        if not any(plate.box.iou(k.box) >= iou or plate.box.containment(k.box) >= contained for k in kept):
            kept.append(plate)
    return kept


def plate_box_from_text(reading: Reading, crop_x: tuple[float, float], row: Detection, width: int, height: int
                        ) -> Detection | None:
    """The plate around a registration read in a crop spanning ``crop_x`` (image x1, x2) of a text row: as
    wide as the characters the reader placed (``Reading.char_centres``, half a character pitch beyond the
    first and last) over the share of the plate the registration spans, as tall as the country's plate
    shape, the registration's centre line at the row's centre line. None without character positions.

    A row of strokes often runs on past the plate (a bumper edge, a badge beside it); where the reader
    found the characters does not.

    >>> from vision.plate.formats import formats_for
    >>> read = Reading("ABC1234", 0.9, [0.9] * 7, "", formats_for("BR")[0], [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    >>> box = plate_box_from_text(read, (0, 400), Detection(0, 100, 400, 140, 0.0), 640, 480)
    >>> [round(v) for v in (box.x1, box.y1, box.x2, box.y2)]  # glyphs centred 80..320 px: text 60..340, 89 %
    [43, 61, 357, 163]
    """
    shape = PLATE_SHAPES.get(reading.format.country) if reading.format is not None else None
    centres = reading.char_centres
    if shape is None or len(centres) < 2 or len(centres) != len(reading.text):
        return None
    x0, span = crop_x[0], crop_x[1] - crop_x[0]
    first, last = x0 + centres[0] * span, x0 + centres[-1] * span
    if last <= first:
        return None
    pitch = (last - first) / (len(centres) - 1)
    plate_w = (last - first + pitch) / shape.text_width
    plate_h = plate_w / shape.aspect
    cx, cy = (first + last) / 2, (row.y1 + row.y2) / 2
    y1 = cy - shape.text_centre * plate_h
    return Detection(max(0.0, cx - plate_w / 2), max(0.0, y1), min(float(width), cx + plate_w / 2),
                     min(float(height), y1 + plate_h), row.confidence)


def fit_to_text(det: Detection, reading: Reading, crop_x: tuple[float, float], width: int, height: int,
                share: float) -> Detection:
    """The detector's box, or the plate its characters imply where that is narrower than ``share`` of it.

    Real-photo boxes are often much looser than the plate (plate and housing, plate and bumper); the
    reader placed the characters (``plate_box_from_text``), so their extent says how wide the plate
    is. The fitted box stays inside the detector's, centred where it is, as tall as the country's
    plate shape makes it (never taller than the detector's box); ``box.confidence`` stays the detector's.
    """
    fitted = plate_box_from_text(reading, crop_x, det, width, height)
    if fitted is None or fitted.x2 - fitted.x1 >= share * (det.x2 - det.x1):
        return det
    cy, half = (det.y1 + det.y2) / 2, min(fitted.y2 - fitted.y1, det.y2 - det.y1) / 2
    return Detection(max(det.x1, fitted.x1), max(0.0, cy - half), min(det.x2, fitted.x2), min(float(height), cy + half),
                     det.confidence)


def plate_box_from_row(row: Detection, country: str, width: int, height: int, margin: float = 0.05) -> Detection:
    """The plate around a registration row read as ``country``'s format: as wide as the row plus
    ``margin`` per side, as tall as that country's plate shape (``formats.PLATE_SHAPES``), the row placed
    where that country prints it; never smaller than the row, clipped to the image.

    >>> box = plate_box_from_row(Detection(100, 60, 300, 100, 0.0), "BR", 640, 480)
    >>> [round(v) for v in (box.x1, box.y1, box.x2, box.y2)]  # 220 x 71 px, the row at the bottom
    [90, 32, 310, 103]
    """
    shape = PLATE_SHAPES.get(country)
    row_w, row_h = row.x2 - row.x1, row.y2 - row.y1
    plate_w = row_w * (1 + 2 * margin)
    plate_h = max(row_h, plate_w / shape.aspect) if shape else row_h * (1 + 2 * margin)
    x1 = row.x1 - row_w * margin
    where = shape.row if shape else "centre"
    if where == "bottom":
        y2 = row.y2 + (plate_h - row_h) * 0.1
        y1 = y2 - plate_h
    elif where == "top":
        y1 = row.y1 - (plate_h - row_h) * 0.1
        y2 = y1 + plate_h
    else:
        y1 = (row.y1 + row.y2 - plate_h) / 2
        y2 = y1 + plate_h
    return Detection(max(0.0, x1), max(0.0, y1), min(float(width), x1 + plate_w), min(float(height), y2), row.confidence)


def _plate(det: Detection, reading: Reading) -> Plate:
    fmt = reading.format
    confs = reading.char_confidences
    chars = [CharConfidence(char=c, confidence=min(1.0, max(0.0, p))) for c, p in zip(reading.text, confs)]
    return Plate(
        box=Box(x1=det.x1, y1=det.y1, x2=det.x2, y2=det.y2, confidence=min(1.0, max(0.0, det.confidence))),
        text=reading.text,
        display=fmt.display(reading.text) if fmt is not None else reading.text,
        confidence=min(1.0, max(0.0, reading.confidence)),
        chars=chars,
        country=fmt.country if fmt is not None else None,
        format=fmt.name if fmt is not None else None,
    )

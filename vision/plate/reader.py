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
from vision.plate.boxes import ROW_PAD, fit_to_text, pad_box, plate_box_from_row, plate_box_from_text
from vision.plate.detect import Detection, PlateDetector, YoloPlateDetector
from vision.plate.formats import PlateFormat, formats_for
from vision.plate.propose import text_rows
from vision.plate.read import (
    EASYOCR_FUSE_MIN_WIDTH,
    CascadeRecognizer,
    EasyOcrPlateRecognizer,
    FusedRecognizer,
    PlateRecognizer,
    Reading,
)
from vision.plate.schemas import CharConfidence, Plate, PlateOptions, PlateResult
from vision.plate.votes import best_read, keep_best_reads, vote_reads

log = logging.getLogger(__name__)

PACKAGE_WEIGHTS = Path(__file__).resolve().parent / "weights" / "plate-yolov8t.pt"
TRAIN_HINT = "rebuild them with `ais plate train` (about 15 minutes on a CPU)"


SURE_PLATE_MIN_CHARS = 5


def make_recognizer(kind: str, placement: Placement, country: str,
                    crnn_weights: Path | Sequence[Path] | None = None,
                    formats: Sequence[PlateFormat] | None = None) -> PlateRecognizer:
    """The reader named by ``PlateOptions.reader``: ``crnn``, ``easyocr``, ``both`` (fused per crop; easyocr
    only on crops of at least ``EASYOCR_FUSE_MIN_WIDTH`` px) or
    ``cascade`` (easyocr, and the CRNN where easyocr fits no format or is unsure)."""
    if kind == "easyocr":
        return EasyOcrPlateRecognizer(placement=placement, country=country)
    from vision.plate.crnn import CrnnPlateRecognizer  # imports torch: only when this reader is chosen

    crnn = CrnnPlateRecognizer(crnn_weights, placement=placement, country=country, formats=formats)
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
        self.version_dir: Path | None = None  # set when ``weights`` is a model-version folder

    def resolve_weights_path(self) -> Path | None:
        if self.detector is not None:
            return None
        if self.weights.kind == "default" and not PACKAGE_WEIGHTS.exists():
            raise WeightsUnavailable(f"the plate detector weights {PACKAGE_WEIGHTS} are missing; {TRAIN_HINT}")
        path = super().resolve_weights_path()
        if path is not None and path.is_dir():
            # A model version (a model-store entry or a folder, e.g. from ``ais plate fine-tune``): the detector,
            # and optionally its reader CRNNs (plate-crnn*.pt) and learned formats (formats.json).
            self.version_dir = path
            candidates = sorted(p for p in path.glob("*.pt") if not p.name.startswith("plate-crnn"))
            if not candidates:
                raise WeightsUnavailable(f"no .pt detector weights in {path}; {TRAIN_HINT}")
            path = candidates[0]
        return path

    def _version_reader(self) -> tuple[list[Path] | None, list[PlateFormat] | None]:
        """The reader CRNNs and learned formats a version folder holds (None: the shipped ones)."""
        folder = self.version_dir
        if folder is None:
            return None, None
        from vision.plate.learned_formats import FILE_NAME, load_formats

        crnns = sorted(folder.glob("plate-crnn*.pt")) or None
        formats = load_formats(folder / FILE_NAME) if (folder / FILE_NAME).exists() else None
        mode = self.settings.learned_formats
        if formats is None or mode == "off" or (self.settings.country != "auto" and mode == "only"):
            return crnns, None  # an explicit country asks for its hand-written templates
        return crnns, formats + formats_for(self.settings.country) if mode == "add" else formats

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
            crnns, formats = self._version_reader()
            self.recognizer = make_recognizer(self.settings.reader, placement, self.settings.country, crnns, formats)
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
            if self.settings.one_plate:
                del result.plates[1:]  # keep_best_reads ranks the best read first
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

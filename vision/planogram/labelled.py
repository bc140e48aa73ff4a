"""Labelled shelf sets in the formats detection datasets are published in, read into ``LabelledShelves``.

- ``yolo``: ``images/`` + ``labels/`` (``class cx cy w h`` normalised to [0, 1], one box a line; split
  sub-folders such as ``images/test`` are followed), or images with ``<stem>.txt`` beside them. As in
  Ultralytics, an image without a label file holds no product (counted in ``notes``);
- ``coco``: a COCO JSON file (``images``, ``annotations`` with ``bbox`` ``[x, y, w, h]`` in pixels,
  ``categories``); images next to the JSON or in its ``images/`` folder; ``iscrowd`` boxes are left out.

Every class counts as "product" (shelf sets such as SKU-110K have one class): the evaluation is
class-agnostic. A malformed file raises ``core.errors.DataFormatError`` naming the file and the line (for a
COCO JSON: the JSON parse error's line, or the index in ``annotations`` / ``images``).
"""
from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from core.errors import DataFormatError, InvalidInput, NotFound
from core.images import load_image
from core.schemas import Metrics
from core.stats import wilson_interval
from vision.planogram.detection_metrics import ImageBoxes, bootstrap_map, image_matches, scores_of

if TYPE_CHECKING:
    from vision.planogram.checker import PlanogramChecker

log = logging.getLogger(__name__)

FORMATS = ("auto", "yolo", "coco")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
_TOLERANCE = 1e-3  # normalised YOLO coordinates may overshoot [0, 1] by rounding


@dataclass
class ShelfSample:
    """One labelled image: its product boxes in pixel ``xyxy`` (shape ``n x 4``)."""

    name: str
    path: Path
    boxes: np.ndarray

    @property
    def image(self) -> Image.Image:
        return load_image(self.path)


@dataclass
class LabelledShelves:
    """An outside labelled detection set (what ``PlanogramChecker.evaluate`` recognises)."""

    name: str
    samples: list[ShelfSample]
    format: str
    origin: str = "labelled"
    notes: dict[str, object] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.samples)

    def __iter__(self) -> Iterator[ShelfSample]:
        return iter(self.samples)

    @property
    def n_boxes(self) -> int:
        return sum(len(s.boxes) for s in self.samples)


def detect_format(path: Path) -> str:
    """``coco`` for a ``.json`` file (or a folder holding exactly one); ``yolo`` for a folder with
    ``labels/`` or ``*.txt`` label files."""
    path = Path(path)
    if path.is_file():
        if path.suffix.lower() == ".json":
            return "coco"
        raise InvalidInput(f"{path}: a labelled shelf set is a folder (YOLO) or a COCO .json file")
    if not path.is_dir():
        raise NotFound(f"planogram data {str(path)!r} does not exist")
    if (path / "labels").is_dir() or any(path.glob("*.txt")):
        return "yolo"
    if len(list(path.glob("*.json"))) == 1:
        return "coco"
    raise InvalidInput(f"{path}: cannot tell the label format (no labels/, no *.txt, not one *.json); "
                       f"pass --format with one of {', '.join(FORMATS[1:])}")


def read_data(path: str | Path, format: str = "auto") -> LabelledShelves:
    """``TaskSpec.read_data``: an outside labelled set for ``evaluate`` and ``ais bench --data planogram=PATH``."""
    path = Path(path)
    if format not in FORMATS:
        raise InvalidInput(f"unknown detection label format {format!r}; expected one of {', '.join(FORMATS)}")
    kind = detect_format(path) if format == "auto" else format
    if kind == "yolo":
        return read_yolo(path)
    if path.is_dir():
        jsons = sorted(path.glob("*.json"))
        if len(jsons) != 1:
            raise InvalidInput(f"{path}: expected one COCO .json file in the folder, found {len(jsons)}")
        path = jsons[0]
    return read_coco(path)


def _image_size(path: Path) -> tuple[int, int]:
    try:
        with Image.open(path) as img:
            return img.size
    except OSError as exc:
        raise DataFormatError(path, None, f"unreadable image: {exc}") from exc


def read_yolo_labels(label_file: Path, width: int, height: int) -> np.ndarray:
    """Pixel ``xyxy`` boxes of one YOLO label file (``class cx cy w h`` normalised)."""
    boxes = []
    for line_no, line in enumerate(label_file.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 5:
            raise DataFormatError(label_file, line_no, f"expected 'class cx cy w h' (5 fields), got {line!r}")
        try:
            int(parts[0])
            cx, cy, w, h = (float(v) for v in parts[1:])
        except ValueError as exc:
            raise DataFormatError(label_file, line_no, f"class must be an integer and cx cy w h numbers: {line!r}") from exc
        if w <= 0 or h <= 0:
            raise DataFormatError(label_file, line_no, f"empty box (w={w}, h={h})")
        if min(cx - w / 2, cy - h / 2) < -_TOLERANCE or max(cx + w / 2, cy + h / 2) > 1 + _TOLERANCE:
            raise DataFormatError(label_file, line_no, f"box outside [0, 1]: YOLO coordinates are normalised, got {line!r}")
        boxes.append(((cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height))
    return np.array(boxes, float).reshape(-1, 4)


def read_yolo(folder: Path) -> LabelledShelves:
    """A YOLO folder: ``images/`` + ``labels/`` (mirrored sub-folders), or images and ``.txt`` side by side."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotFound(f"YOLO folder {str(folder)!r} does not exist")
    image_dir = folder / "images" if (folder / "images").is_dir() else folder
    label_dir = folder / "labels" if (folder / "labels").is_dir() else folder
    samples, unlabelled, n_label_files = [], 0, 0
    for path in sorted(p for p in image_dir.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES):
        label_file = label_dir / path.relative_to(image_dir).with_suffix(".txt")
        width, height = _image_size(path)
        if label_file.is_file():
            n_label_files += 1
            boxes = read_yolo_labels(label_file, width, height)
        else:
            unlabelled += 1
            boxes = np.zeros((0, 4))
        samples.append(ShelfSample(str(path.relative_to(image_dir).with_suffix("")), path, boxes))
    if n_label_files == 0:
        raise InvalidInput(f"no YOLO-labelled images (images/ + labels/*.txt, or <image>.txt beside it) in {folder}")
    return LabelledShelves(folder.name, samples, "yolo", notes={"images_without_label_file": unlabelled})


def _number_list(value: Any, n: int) -> list[float] | None:
    if not isinstance(value, list) or len(value) != n:
        return None
    try:
        return [float(v) for v in value]
    except (TypeError, ValueError):
        return None


def read_coco(path: Path) -> LabelledShelves:
    """A COCO detection JSON; image files relative to the JSON's folder or its ``images/`` folder."""
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"COCO file {str(path)!r} does not exist")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataFormatError(path, exc.lineno, f"not valid JSON: {exc.msg}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("images"), list) \
            or not isinstance(data.get("annotations"), list):
        raise DataFormatError(path, None, "a COCO file is an object with the lists 'images' and 'annotations'")
    files: dict[object, Path] = {}
    for index, image in enumerate(data["images"]):
        if not isinstance(image, dict) or "id" not in image or not isinstance(image.get("file_name"), str):
            raise DataFormatError(path, index, f"images[{index}] needs 'id' and 'file_name'")
        candidates = [path.parent / image["file_name"], path.parent / "images" / image["file_name"]]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise DataFormatError(path, index, f"images[{index}]: file {image['file_name']!r} not found next to "
                                  f"the JSON nor in its images/ folder")
        files[image["id"]] = found
    boxes: dict[object, list[tuple[float, float, float, float]]] = {i: [] for i in files}
    crowd = 0
    categories = Counter[object]()
    for index, ann in enumerate(data["annotations"]):
        if not isinstance(ann, dict):
            raise DataFormatError(path, index, f"annotations[{index}] is not an object")
        if ann.get("image_id") not in files:
            raise DataFormatError(path, index, f"annotations[{index}]: image_id {ann.get('image_id')!r} is not in 'images'")
        bbox = _number_list(ann.get("bbox"), 4)
        if bbox is None:
            raise DataFormatError(path, index, f"annotations[{index}]: bbox must be [x, y, w, h] numbers, "
                                  f"got {ann.get('bbox')!r}")
        x, y, w, h = bbox
        if w <= 0 or h <= 0:
            raise DataFormatError(path, index, f"annotations[{index}]: empty bbox {bbox}")
        if ann.get("iscrowd"):
            crowd += 1
            continue
        categories[ann.get("category_id")] += 1
        boxes[ann["image_id"]].append((x, y, x + w, y + h))
    names = {c.get("id"): c.get("name") for c in data.get("categories", []) if isinstance(c, dict)}
    samples = [ShelfSample(Path(files[i].name).stem, files[i], np.array(b, float).reshape(-1, 4))
               for i, b in boxes.items()]
    if not samples:
        raise DataFormatError(path, None, "no images")
    notes: dict[str, object] = {"crowd_boxes_left_out": crowd,
                                "boxes_per_category": {str(names.get(k, k)): v for k, v in categories.items()}}
    return LabelledShelves(path.stem, samples, "coco", notes=notes)


def evaluate_labelled(checker: PlanogramChecker, dataset: LabelledShelves, n_resamples: int = 200) -> Metrics:
    """Class-agnostic product detection on an outside labelled set: mAP50 and mAP50-95 (COCO, boxes down to
    conf 0.001, bootstrap intervals over images) and precision/recall at the operating threshold (the task's
    ``conf``, IoU 0.5, Wilson intervals).

    One detector pass per image at conf 0.001 serves both: NMS keeps a box only against higher-scoring
    boxes, so the boxes at or above the operating threshold are those a pass at that threshold returns.
    """
    from tqdm import tqdm

    if len(dataset) == 0:
        raise InvalidInput(f"labelled set {dataset.name!r} has no images")
    operating = float(checker.detector.conf)
    matches = []
    started = time.perf_counter()
    for sample in tqdm(dataset.samples, desc=f"planogram {dataset.name}", unit="image", disable=len(dataset) < 20):
        boxes = checker.detector.detect([sample.image], conf=0.001)[0]
        pred = np.array([b[:4] for b in boxes], float).reshape(-1, 4)
        conf = np.array([b[4] for b in boxes], float)
        matches.append(image_matches(ImageBoxes(sample.boxes, pred, conf)))
    elapsed = time.perf_counter() - started
    scores = scores_of(matches, operating)
    ci50, ci5095 = bootstrap_map(matches, n_resamples=n_resamples) if scores.n_truth else ((0.0, 1.0), (0.0, 1.0))
    values = {
        "detection_map50": round(scores.map50, 4),
        "detection_map50_95": round(scores.map50_95, 4),
        "precision_at_conf": round(scores.precision, 4),
        "recall_at_conf": round(scores.recall, 4),
        "detect_ms_per_image": round(1000 * elapsed / len(dataset), 1),
    }
    intervals = {
        "detection_map50": ci50, "detection_map50_95": ci5095,
        "precision_at_conf": wilson_interval(scores.tp_at_conf, scores.n_pred_at_conf),
        "recall_at_conf": wilson_interval(scores.tp_at_conf, scores.n_truth),
    }
    details: dict[str, object] = {
        "format": dataset.format, "n_images": scores.n_images, "n_boxes": scores.n_truth,
        "operating_conf": operating, "n_predictions_at_conf": scores.n_pred_at_conf,
        "true_positives_at_conf": scores.tp_at_conf, "ap_per_iou": scores.ap_per_iou,
        "class_agnostic": True, "bootstrap_resamples": n_resamples, **dataset.notes,
    }
    return Metrics(task="planogram", dataset=dataset.name, n_samples=len(dataset), values=values, details=details,
                   intervals={k: (round(a, 4), round(b, 4)) for k, (a, b) in intervals.items()}, origin="labelled")

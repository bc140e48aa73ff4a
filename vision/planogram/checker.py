"""The planogram task: detect products on a shelf image, recognise each SKU, group into shelf rows,
and check the result against a planogram.

>>> checker = PlanogramChecker(device="cpu")          # stores parameters only
>>> checker.loaded
False
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core.device import Placement
from core.errors import InvalidInput, ModelLoading, WeightsUnavailable
from core.images import ImageInput, load_image
from core.schemas import Metrics
from core.task import BaseTask
from core.weights import resolve_weights
from vision.planogram.catalogue import Catalogue, crop_boxes
from vision.planogram.compliance import check_compliance
from vision.planogram.detect import BoxTuple
from vision.planogram.planograms import parse_planogram
from vision.planogram.rescue import RescueConfig, as_box, drop_empty_unknowns, drop_weak_unknowns, rescue
from vision.planogram.rows import group_rows
from vision.planogram.schemas import ComplianceReport, PlanogramSpec, Product, ShelfDetections, SkuCandidate
from vision.planogram.weights import ASSETS, CATALOGUE_FILE, DETECTOR_FILE

log = logging.getLogger(__name__)
CatalogueSource = Catalogue | str | Path | None


def load_catalogue(source: CatalogueSource, fallback_dir: Path | None = None) -> Catalogue:
    """A ``Catalogue``, a ``.npz`` saved by ``Catalogue.save``, or a ``<SKU>/<image>`` folder."""
    if isinstance(source, Catalogue):
        return source
    if source is None:
        # A catalogue saved next to custom detector weights wins over the shipped one.
        path = (fallback_dir or ASSETS) / CATALOGUE_FILE
        if not path.is_file():
            path = ASSETS / CATALOGUE_FILE
        if not path.is_file():
            raise WeightsUnavailable(f"default catalogue {str(path)!r} not found; build it with `ais planogram train`")
        return Catalogue.load(path)
    path = Path(source)
    if path.is_dir():
        return Catalogue.from_folder(path)
    if path.is_file() and path.suffix == ".npz":
        return Catalogue.load(path)
    raise InvalidInput(f"catalogue {str(path)!r} is neither a catalogue folder nor a .npz file")


class PlanogramChecker(BaseTask[ImageInput, ShelfDetections]):
    """Shelf images in, products (box, SKU or ``unknown``, shelf row, position) out; ``check`` adds compliance.

    Options: ``catalogue`` (Catalogue, folder or .npz; default: the shipped synthetic catalogue),
    ``conf`` (detector confidence, 0.2), ``imgsz`` (416), ``rescue`` (a ``RescueConfig`` for ``check``).
    """

    name = "planogram"
    default_weights = "default"
    max_batch_items = 64

    def resolve_weights_path(self) -> Path | None:
        """Default: the package's ``assets`` folder; otherwise a folder or a detector ``.pt`` file."""
        if self.weights.kind == "default":
            path = ASSETS
        else:
            path = resolve_weights(self.weights, "default")
        detector = path / DETECTOR_FILE if path.is_dir() else path
        if not detector.is_file():
            raise WeightsUnavailable(
                f"planogram detector weights not found at {str(detector)!r}; build them with `ais planogram train`")
        return detector

    def _load(self, weights_path: Path | None, placement: Placement) -> None:
        from vision.planogram.detect import ProductDetector

        assert weights_path is not None
        self.catalogue = load_catalogue(self.options.get("catalogue"), weights_path.parent)
        self.catalogue.similarities([])  # embed the references now, not on the first request
        self.detector = ProductDetector(weights_path, placement, conf=float(self.options.get("conf", 0.2)),
                                        imgsz=int(self.options.get("imgsz", 416))).load()
        self.timings: dict[str, float] = {"detect_s": 0.0, "recognise_s": 0.0, "gap_check_s": 0.0, "compliance_s": 0.0}

    # -- predict ---------------------------------------------------------------------------------------
    def _predict(self, batch: Sequence[ImageInput]) -> list[ShelfDetections]:
        images = []
        for index, item in enumerate(batch):
            try:
                images.append(load_image(item))
            except InvalidInput as exc:
                raise type(exc)(f"item {index}: {exc.message}", index=index, **exc.detail) from exc
        return self.detect_products(images)

    def detect_products(self, images: list[Image.Image], catalogue: Catalogue | None = None) -> list[ShelfDetections]:
        """Detector, then recogniser, then shelf rows, for already decoded images."""
        catalogue = catalogue or self.catalogue
        started = time.perf_counter()
        all_boxes = self.detector.detect(images)
        detected = time.perf_counter()
        out = [self._describe(image, boxes, catalogue) for image, boxes in zip(images, all_boxes)]
        self.timings["detect_s"] += detected - started
        self.timings["recognise_s"] += time.perf_counter() - detected
        return out

    def _products(self, image: Image.Image, boxes: list[BoxTuple], catalogue: Catalogue) -> list[Product]:
        """Recognise each box (shelf and position are left at 0 for the caller to fill)."""
        matches = catalogue.match(crop_boxes(np.asarray(image), [b[:4] for b in boxes]))
        return [Product(box=as_box(b), sku=m.sku, sku_confidence=round(m.confidence, 4), brand=catalogue.brand(m.sku),
                        candidates=[SkuCandidate(sku=sku, similarity=sim) for sku, sim in m.top], shelf=0, position=0)
                for b, m in zip(boxes, matches)]

    def _describe(self, image: Image.Image, boxes: list[BoxTuple], catalogue: Catalogue) -> ShelfDetections:
        products = self._products(image, boxes, catalogue)
        rows = group_rows([b[:4] for b in boxes])
        products = [p.model_copy(update={"shelf": s, "position": q})
                    for p, s, q in zip(products, rows.shelf, rows.position)]
        products.sort(key=lambda p: (p.shelf, p.position))
        return ShelfDetections(width=image.width, height=image.height, n_shelves=rows.n_rows, products=products)

    # -- compliance --------------------------------------------------------------------------------------
    def check(self, image: ImageInput, spec: PlanogramSpec | dict[str, Any] | str | Path,
              catalogue: CatalogueSource = None) -> ComplianceReport:
        """Compare one shelf image with its planogram; ``catalogue`` overrides the loaded one for this call."""
        if not self.loaded:
            raise ModelLoading(f"task {self.name!r} is not loaded; call .load() first")
        planogram = parse_planogram(spec)
        cat = load_catalogue(catalogue) if catalogue is not None else self.catalogue
        unknown_skus = sorted(planogram.skus() - set(cat.skus))
        report = self.check_image(load_image(image), planogram, cat)[1]
        if unknown_skus:
            report.warnings.append(f"planogram SKUs not in the catalogue (never recognised): {unknown_skus}")
        return report

    def check_image(self, image: Image.Image, planogram: PlanogramSpec, catalogue: Catalogue | None = None
                    ) -> tuple[ShelfDetections, ComplianceReport]:
        """Detections (after the planogram-guided second look, see ``rescue.py``) and the compliance report."""
        cat = catalogue or self.catalogue
        config = self.options.get("rescue") or RescueConfig()
        if not isinstance(config, RescueConfig):
            raise InvalidInput(f"option 'rescue' must be a RescueConfig, got {type(config).__name__}")
        started = time.perf_counter()
        low = min(config.conf_low, self.detector.conf) if config.low_confidence_rescue else self.detector.conf
        boxes = self.detector.detect([image], conf=low)[0]
        detected = time.perf_counter()
        primary = [b for b in boxes if b[4] >= self.detector.conf]
        reserve = [b for b in boxes if b[4] < self.detector.conf]
        detections = drop_weak_unknowns(self._describe(image, primary, cat), config.drop_unknown_below)
        recognised = time.perf_counter()
        if config.empty_check:
            detections, _ = drop_empty_unknowns(detections, np.asarray(image))
        gap_checked = time.perf_counter()
        report = check_compliance(detections, planogram, cat.brands)
        detections, added = rescue(detections, planogram, report, reserve,
                                   lambda extra: self._products(image, extra, cat), config)
        if added:
            report = check_compliance(detections, planogram, cat.brands)
            report.warnings.append(f"{added} low-confidence detection(s) accepted as expected facings")
        self.timings["detect_s"] += detected - started
        self.timings["recognise_s"] += recognised - detected
        self.timings["gap_check_s"] += gap_checked - recognised
        self.timings["compliance_s"] += time.perf_counter() - gap_checked
        return detections, report

    def annotate(self, image: ImageInput, report: ComplianceReport) -> bytes:
        """PNG of the image with boxes coloured by compliance status."""
        from vision.planogram.annotate import annotate_png

        return annotate_png(load_image(image), report)

    def add_sku(self, sku: str, packshots: list[ImageInput], brand: str | None = None, name: str | None = None) -> None:
        """Add a SKU to the loaded catalogue from its packshot(s); the detector is not retrained."""
        if not self.loaded:
            raise ModelLoading(f"task {self.name!r} is not loaded; call .load() first")
        self.catalogue.add_sku(sku, [load_image(p) if not isinstance(p, Image.Image) else p for p in packshots],
                               brand, name)

    # -- evaluation --------------------------------------------------------------------------------------
    def evaluate(self, dataset: Any) -> Metrics:
        """On generated scenes: detection mAP50, SKU top-1, unknown rejection and per-position compliance
        accuracy. On an outside labelled set (``labelled.read_data``, YOLO or COCO boxes): class-agnostic
        detection mAP50, mAP50-95 and precision/recall at the operating threshold, with intervals."""
        from vision.planogram.evaluate import evaluate_scenes
        from vision.planogram.labelled import LabelledShelves, evaluate_labelled

        if not self.loaded:
            self.load()
        if isinstance(dataset, LabelledShelves):
            return evaluate_labelled(self, dataset)
        return evaluate_scenes(self, list(dataset))

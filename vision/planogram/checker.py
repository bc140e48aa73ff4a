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
from core.schemas import Box, Metrics
from core.task import BaseTask
from core.weights import resolve_weights
from vision.planogram.catalogue import Catalogue, crop_boxes
from vision.planogram.compliance import check_compliance
from vision.planogram.planograms import parse_planogram
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
    ``conf`` (detector confidence, 0.2), ``imgsz`` (416).
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
        self.timings: dict[str, float] = {"detect_s": 0.0, "recognise_s": 0.0, "compliance_s": 0.0}

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
        out = []
        for image, boxes in zip(images, all_boxes):
            xyxy = [b[:4] for b in boxes]
            matches = catalogue.match(crop_boxes(np.asarray(image), xyxy))
            rows = group_rows(xyxy)
            products = [
                Product(box=Box(x1=b[0], y1=b[1], x2=b[2], y2=b[3], confidence=min(1.0, max(0.0, b[4]))),
                        sku=m.sku, sku_confidence=round(m.confidence, 4), brand=catalogue.brand(m.sku),
                        candidates=[SkuCandidate(sku=sku, similarity=sim) for sku, sim in m.top],
                        shelf=rows.shelf[k], position=rows.position[k])
                for k, (b, m) in enumerate(zip(boxes, matches))
            ]
            products.sort(key=lambda p: (p.shelf, p.position))
            out.append(ShelfDetections(width=image.width, height=image.height, n_shelves=rows.n_rows,
                                       products=products))
        self.timings["detect_s"] += detected - started
        self.timings["recognise_s"] += time.perf_counter() - detected
        return out

    # -- compliance --------------------------------------------------------------------------------------
    def check(self, image: ImageInput, spec: PlanogramSpec | dict[str, Any] | str | Path,
              catalogue: CatalogueSource = None) -> ComplianceReport:
        """Compare one shelf image with its planogram; ``catalogue`` overrides the loaded one for this call."""
        if not self.loaded:
            raise ModelLoading(f"task {self.name!r} is not loaded; call .load() first")
        planogram = parse_planogram(spec)
        cat = load_catalogue(catalogue) if catalogue is not None else self.catalogue
        unknown_skus = sorted(planogram.skus() - set(cat.skus))
        detections = self.detect_products([load_image(image)], cat)[0]
        started = time.perf_counter()
        report = check_compliance(detections, planogram, cat.brands)
        self.timings["compliance_s"] += time.perf_counter() - started
        if unknown_skus:
            report.warnings.append(f"planogram SKUs not in the catalogue (never recognised): {unknown_skus}")
        return report

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
        """Detection mAP50, SKU top-1, unknown rejection and per-position compliance accuracy on scenes."""
        from vision.planogram.evaluate import evaluate_scenes

        if not self.loaded:
            self.load()
        return evaluate_scenes(self, list(dataset))

"""The OCR task: ``OcrReader`` reads a batch of images (or a PDF / multi-page TIFF) into words, lines and text.

Per page: optional contrast normalisation and deskew, word detection (one pass), orientation
from the detected boxes and a few trial readings, then every word crop of the whole batch is
recognised in width-sorted batches, and the words are put in reading order by ``layout``.

>>> reader = OcrReader(device="cpu")          # stores options only
>>> reader.loaded
False
"""
from __future__ import annotations

import datetime
import logging
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image
from pydantic import ValidationError

from core.device import Placement, cpu_threads
from core.errors import ConfigError, InvalidInput
from core.images import ImageInput, load_image
from core.offline import state_dir
from core.schemas import Box, ImageLimits, Metrics
from core.task import BaseTask
from vision.ocr.documents import load_document
from vision.ocr.engine import EasyOcrEngine, Quad
from vision.ocr.layout import WordBox, page_text, reading_order
from vision.ocr.orientation import guess_orientation
from vision.ocr.preprocess import estimate_skew, rotate_small, stretch_contrast, turn, turn_box
from vision.ocr.punctuation import fix_trailing_mark
from vision.ocr.schemas import (
    DocumentResult,
    ExtractedField,
    ExtractRequest,
    ExtractResult,
    OcrLine,
    OcrOptions,
    OcrResult,
    OcrWord,
)
from vision.ocr.tesseract import TesseractEngine, TesseractWord

if TYPE_CHECKING:
    from vision.ocr.ppocr import PpOcrEngine
from vision.ocr.weights import DEFAULT_WEIGHTS

log = logging.getLogger(__name__)

MIN_SIDE = 32  # smaller images are padded with white before detection
SMALL_TEXT_PX = 16.0  # word boxes shorter than this on the detector's canvas are detected poorly
# How `extract` reads documents by default (extract_engine="ppocr"): PP-OCR (PP-OCRv4 lines, PP-OCRv6 small
# reading them) with printed spaces restored and the receipt vocabulary, its detector's lines as rows; on the
# SROIE tuning receipts (numbers <= 52) PP-OCRv4 alone beat Tesseract on word F1 (0.825 cross-validated vs
# 0.692) and on the fields; the v6 small recogniser then raised it 0.844 -> 0.882 (2-fold CV).
# extract_engine="tesseract" keeps the earlier choice, also made on the tuning receipts: one uniform
# block (psm 6) beat automatic layout (psm 3) and psm 4, and dropping words under 0.4 confidence
# (mostly noise read as text) raised word F1; rows come from Tesseract's own lines.
EXTRACT_PSM = 6
EXTRACT_MIN_CONFIDENCE = 0.4
# Paper-coloured margin (x word height) right of each crop: easyocr pads a batch by repeating the
# last pixel column, which smears a final '.' into '_'; a left margin made it read '~' (measured).
CROP_BORDER = 0.15


@dataclass
class _Page:
    """A page between detection and recognition (upright, deskewed coordinates inside)."""

    grey: np.ndarray
    input_size: tuple[int, int]
    orientation: int = 0
    orientation_score: float = 1.0
    skew: float = 0.0
    boxes: list[tuple[float, float, float, float]] = field(default_factory=list)
    crops: list[np.ndarray] = field(default_factory=list)


class OcrReader(BaseTask[ImageInput, OcrResult]):
    """Read text from images and documents; one ``OcrResult`` per input image.

    Options (keyword arguments, validated by ``OcrOptions``): ``languages``, ``detect_orientation``,
    ``deskew``, ``normalise_contrast``, ``upscale_small_text``, ``detection_canvas``, ``batch_size``,
    ``min_confidence``, ``pdf_dpi``, ``threads`` and the engine options of ``OcrOptions``. Languages other
    than English need ``weights=<folder>`` holding easyocr's model files for them.
    """

    name = "ocr"
    default_weights = DEFAULT_WEIGHTS

    def __init__(self, weights: Any = None, device: str = "auto", precision: str = "auto", **options: Any) -> None:
        super().__init__(weights=weights, device=device, precision=precision, **options)
        try:
            self.config = OcrOptions(**options)
        except ValidationError as exc:
            raise ConfigError(f"invalid OCR options: {exc}") from exc
        if self.config.languages != ["en"] and self.weights.kind == "default":
            raise ConfigError(
                f"languages {self.config.languages} need easyocr weights for them: pass weights=<folder> "
                "holding craft_mlt_25k.pth and the recogniser files (nothing is downloaded)"
            )
        if self.config.engine != "easyocr" and self.config.languages != ["en"]:
            raise ConfigError("the tesseract and combined engines read English only here (Debian's tesseract-ocr-eng)")
        self.engine: EasyOcrEngine | None = None
        self.tesseract: TesseractEngine | None = None
        self.ppocr: PpOcrEngine | None = None
        self._extractor: OcrReader | None = None

    # -- loading ------------------------------------------------------------------------------
    def _load(self, weights_path: Path | None, placement: Placement) -> None:
        if self.config.engine == "ppocr":
            from vision.ocr.lexicon import bundled_vocabulary
            from vision.ocr.ppocr import PpOcrEngine

            vocabulary = bundled_vocabulary() if self.config.ppocr_vocabulary else None
            threads = self.config.threads or cpu_threads(cap=4)
            self.ppocr = PpOcrEngine(threads=threads, vocabulary=vocabulary, recogniser=self.config.ppocr_recogniser,
                                     boundary="bundled" if self.config.ppocr_boundary else None)
            return
        if self.config.engine in ("tesseract", "combined"):
            self.tesseract = TesseractEngine(language="eng", psm=self.config.tesseract_psm,
                                             threads=self.config.threads or 1)
        if self.config.engine == "tesseract":
            return
        if weights_path is None or not weights_path.is_dir():
            raise ConfigError(f"OCR weights must be a folder of easyocr model files, got {weights_path}")
        if not placement.is_cuda:
            import torch

            torch.set_num_threads(self.config.threads or cpu_threads(cap=4))
        self.engine = EasyOcrEngine(weights_path, placement, self.config.languages, self.config.batch_size,
                                    network_dir=state_dir() / "easyocr_networks")

    # -- prediction ---------------------------------------------------------------------------
    def _predict(self, batch: Sequence[ImageInput]) -> list[OcrResult]:
        images = [load_image(item) for item in batch]
        return self.read_images(images)

    def read_images(self, images: Sequence[Image.Image], page_numbers: Sequence[int | None] | None = None
                    ) -> list[OcrResult]:
        """Read decoded RGB images (the batched path behind ``predict`` and ``read_document``)."""
        numbers = list(page_numbers) if page_numbers is not None else [None] * len(images)
        if self.config.engine != "easyocr":
            return [self._read_tesseract(np.asarray(img.convert("RGB")), number)
                    for img, number in zip(images, numbers)]
        engine = self._engine()
        pages = [self._prepare(np.asarray(img.convert("RGB")), engine) for img in images]
        crops = [crop for page in pages for crop in page.crops]
        readings = engine.recognize(crops)
        results, start = [], 0
        for page, number in zip(pages, numbers):
            page_readings = readings[start:start + len(page.crops)]
            start += len(page.crops)
            results.append(self._assemble(page, page_readings, number))
        return results

    def read_document(self, data: bytes, pages: str | None = None, *, max_bytes: int | None = None,
                      max_pixels: int | None = None) -> DocumentResult:
        """Read a PDF (pages rendered at ``pdf_dpi``) or a multi-page image; ``pages`` like ``"1-3,5"``.

        ``max_pixels`` bounds each page and all pages together (pixels x pages, checked before a PDF
        page is rendered); serving passes its deployment's ``limits.max_pixels`` and ``max_bytes``.
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise InvalidInput(f"read_document expects the file's bytes, got {type(data).__name__}")
        defaults = ImageLimits()
        limits = ImageLimits(max_bytes=max_bytes or defaults.max_bytes, max_pixels=max_pixels or defaults.max_pixels)
        document = load_document(bytes(data), pages, dpi=self.config.pdf_dpi, limits=limits)
        results = self.read_images(document.images, document.numbers)
        return DocumentResult(n_pages=document.n_pages, pages=results)

    def extract(self, request: ExtractRequest, *, max_bytes: int | None = None,
                max_pixels: int | None = None) -> ExtractResult:
        """Key fields of a receipt or invoice (image or PDF): the request's field set, else the receipt set.

        Each page is read, its words grouped into rows and the field rules applied; a field takes
        the first page it is found on.
        """
        from vision.ocr.fields import Word, extract_fields, load_field_set

        field_set = request.field_set or load_field_set()
        document = self._extract_reader().read_document(request.document, request.pages, max_bytes=max_bytes,
                                                        max_pixels=max_pixels)
        chosen: dict[str, ExtractedField] = {}
        for index, page in enumerate(document.pages):
            words = [Word(w.text, (w.box.x1, w.box.y1, w.box.x2, w.box.y2), w.confidence, k)
                     for k, line in enumerate(page.lines) for w in line.words]
            found = extract_fields(words, field_set)
            for spec in field_set.fields:
                hit = found.get(spec.name)
                if spec.name in chosen or hit is None:
                    continue
                x1, y1, x2, y2 = hit.box
                confidence = float(np.clip(hit.confidence, 0.0, 1.0))
                chosen[spec.name] = ExtractedField(
                    name=spec.name, kind=spec.kind, value=hit.value, text=hit.text, confidence=confidence,
                    date=_iso_date(hit.value) if spec.kind == "date" else None,
                    amount=Decimal(hit.value) if spec.kind == "amount" else None,
                    currency=hit.currency if spec.kind == "amount" else None,
                    box=Box(x1=x1, y1=y1, x2=max(x1, x2), y2=max(y1, y2), confidence=confidence),
                    page=page.page if page.page is not None else index + 1)
        fields = [chosen.get(spec.name) or ExtractedField(name=spec.name, kind=spec.kind) for spec in field_set.fields]
        return ExtractResult(field_set=field_set.name, fields=fields, n_pages=document.n_pages)

    def _extract_reader(self) -> OcrReader:
        """This reader (``extract_engine="same"``), or a PP-OCR or Tesseract reader with the settings for receipts."""
        if self.config.extract_engine == "same":
            return self
        if self._extractor is None and self.config.extract_engine == "ppocr":
            self._extractor = OcrReader(engine="ppocr", device=self.device, tesseract_layout="tesseract",
                                        pdf_dpi=self.config.pdf_dpi, threads=self.config.threads,
                                        ppocr_recogniser=self.config.ppocr_recogniser).load()
        if self._extractor is None:
            self._extractor = OcrReader(engine="tesseract", device=self.device, tesseract_psm=EXTRACT_PSM,
                                        tesseract_layout="tesseract",
                                        min_confidence=EXTRACT_MIN_CONFIDENCE, pdf_dpi=self.config.pdf_dpi,
                                        normalise_contrast=self.config.normalise_contrast,
                                        threads=self.config.threads).load()
        return self._extractor

    def _engine(self) -> EasyOcrEngine:
        if self.engine is None:
            from core.errors import ModelLoading

            raise ModelLoading("task 'ocr' is not loaded; call .load() first")
        return self.engine

    def _read_tesseract(self, rgb: np.ndarray, number: int | None) -> OcrResult:
        """Tesseract's layout and reading (with ``combined`` easyocr re-reads the words Tesseract is unsure
        of), or PP-OCR's lines and words (``ppocr``); words are then ordered and assembled alike."""
        import cv2

        if self.tesseract is None and self.ppocr is None:
            from core.errors import ModelLoading

            raise ModelLoading("task 'ocr' is not loaded; call .load() first")
        height, width = rgb.shape[:2]
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        if self.config.normalise_contrast:
            grey = stretch_contrast(grey)
        scale = 1.0
        if self.config.tesseract_min_width and width < self.config.tesseract_min_width:
            scale = self.config.tesseract_min_width / width
            grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        if self.ppocr is not None:
            unchanged = scale == 1.0 and not self.config.normalise_contrast
            words = self.ppocr.read_words(rgb if unchanged else cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB))
        else:
            assert self.tesseract is not None
            words = self.tesseract.read(grey)
        if self.config.engine == "combined" and words:
            words = self._recheck(grey, words)
        page = _Page(grey=grey, input_size=(width, height))
        kept_words = [w for w in words if w.confidence >= self.config.min_confidence]
        ordered: list[tuple[int, list[TesseractWord]]] = []
        if self.config.tesseract_layout == "xycut":
            own: dict[tuple[int, int, int], list[int]] = {}
            for k, word in enumerate(kept_words):
                own.setdefault(word.line_key, []).append(k)
            for line in reading_order([WordBox(*w.box) for w in kept_words], lines=list(own.values())):
                ordered.append((line.block, [kept_words[i] for i in line.words]))
        else:
            groups: dict[tuple[int, int, int], list[TesseractWord]] = {}
            for word in kept_words:
                groups.setdefault(word.line_key, []).append(word)
            blocks: dict[int, int] = {}
            ordered = [(blocks.setdefault(key[0], len(blocks)), members) for key, members in groups.items()]
        lines: list[OcrLine] = []
        for block, members in ordered:
            ocr_words = [OcrWord(text=w.text, confidence=w.confidence,
                                 box=self._to_input(tuple(v / scale for v in w.box), page, w.confidence))  # type: ignore[arg-type]
                         for w in members]
            confidence = float(np.mean([w.confidence for w in ocr_words]))
            lines.append(OcrLine(text=" ".join(w.text for w in ocr_words), words=ocr_words, block=block,
                                 confidence=confidence, box=_union([w.box for w in ocr_words], confidence)))
        kept = [w.confidence for line in lines for w in line.words]
        return OcrResult(text=page_text([(line.text, line.block) for line in lines], self.config.join_hyphens),
                         lines=lines, orientation=0, orientation_score=1.0, skew_degrees=0.0, width=width,
                         height=height, confidence=float(np.mean(kept)) if kept else 0.0, page=number)

    def _recheck(self, grey: np.ndarray, words: list[TesseractWord]) -> list[TesseractWord]:
        """easyocr reads again the words Tesseract read with low confidence; the more confident reading stays."""
        from dataclasses import replace

        engine = self._engine()
        weak = [i for i, w in enumerate(words) if w.confidence < self.config.recheck_below]
        crops = [(i, self._crop(grey, Quad.from_xyxy(*words[i].box))) for i in weak]
        crops = [(i, c) for i, c in crops if c is not None]
        readings = engine.recognize([c for _, c in crops])
        out = list(words)
        for (i, crop), reading in zip(crops, readings):
            text = fix_trailing_mark(reading.text.strip(), crop)
            if text and " " not in text and reading.confidence > words[i].confidence:
                out[i] = replace(words[i], text=text, confidence=reading.confidence)
        return out

    def _prepare(self, rgb: np.ndarray, engine: EasyOcrEngine) -> _Page:
        import cv2

        height, width = rgb.shape[:2]
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        if min(height, width) < MIN_SIDE:
            # the detector's pooling needs a few dozen pixels; pad right/bottom so coordinates do not move
            grey = cv2.copyMakeBorder(grey, 0, max(0, MIN_SIDE - height), 0, max(0, MIN_SIDE - width),
                                      cv2.BORDER_CONSTANT, value=255)
        if self.config.normalise_contrast:
            grey = stretch_contrast(grey)
        skew = 0.0
        if self.config.deskew:
            skew = estimate_skew(grey)
            if abs(skew) >= 0.2:
                grey = rotate_small(grey, -skew)
            else:
                skew = 0.0
        page = _Page(grey=grey, input_size=(width, height), skew=skew)
        detector_input = cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)
        canvas = self.config.detection_canvas
        quads = engine.detect(detector_input, canvas_size=canvas)
        if self.config.upscale_small_text and quads:
            quads = self._redetect_small_text(engine, detector_input, quads, canvas)
        boxes = [q.xyxy for q in quads]
        if self.config.detect_orientation and boxes:
            guess = guess_orientation(engine, grey, boxes)
            page.orientation, page.orientation_score = guess.degrees, guess.score
        if page.orientation:
            undo = (360 - page.orientation) % 360
            h, w = grey.shape
            boxes = [turn_box(b, undo, w, h) for b in boxes]
            grey = turn(grey, undo)
            page.grey = grey
            quads = [Quad.from_xyxy(*b) for b in boxes]
        page.boxes = [q.xyxy for q in quads]
        page.crops = [self._crop(grey, q) for q in quads]
        keep = [i for i, c in enumerate(page.crops) if c is not None]
        page.boxes = [page.boxes[i] for i in keep]
        page.crops = [page.crops[i] for i in keep]
        return page

    def _redetect_small_text(self, engine: EasyOcrEngine, image: np.ndarray, quads: list[Quad], canvas: int
                             ) -> list[Quad]:
        """Detect again at a higher magnification when words are too small on the detector's canvas."""
        longest = max(image.shape[:2])
        scale = min(1.0, canvas / longest)
        heights = [min(x2 - x1, y2 - y1) for x1, y1, x2, y2 in (q.xyxy for q in quads)]
        seen = statistics.median(heights) * scale
        if seen >= SMALL_TEXT_PX:
            return quads
        target = min(2.5 * longest, 3200.0, longest * SMALL_TEXT_PX * 1.5 / max(seen / scale, 1.0))
        if target <= canvas * 1.1:
            return quads
        log.debug("text is %.1f px on the detector canvas; detecting again on a %d px canvas", seen, target)
        return engine.detect(image, canvas_size=int(target) + 1, mag_ratio=target / longest)

    @staticmethod
    def _crop(grey: np.ndarray, quad: Quad) -> np.ndarray | None:
        import cv2

        patch = EasyOcrEngine.crop(grey, quad)
        if patch is None:
            return None
        pad = max(2, int(CROP_BORDER * patch.shape[0]))
        paper = int(np.percentile(patch, 95))
        return cv2.copyMakeBorder(patch, 0, 0, 0, pad, cv2.BORDER_CONSTANT, value=paper)

    def _assemble(self, page: _Page, readings: Sequence[Any], number: int | None) -> OcrResult:
        words_in: list[tuple[tuple[float, float, float, float], str, float]] = []
        for box, reading, crop in zip(page.boxes, readings, page.crops):
            text = fix_trailing_mark(reading.text.strip(), crop)
            if text and reading.confidence >= self.config.min_confidence:
                words_in.append((box, text, reading.confidence))
        order = reading_order([WordBox(*b) for b, _, _ in words_in])
        lines: list[OcrLine] = []
        for line in order:
            words = [OcrWord(text=words_in[i][1], box=self._to_input(words_in[i][0], page, words_in[i][2]),
                             confidence=words_in[i][2]) for i in line.words]
            confidence = float(np.mean([w.confidence for w in words]))
            lines.append(OcrLine(text=" ".join(w.text for w in words), words=words, block=line.block,
                                 confidence=confidence, box=_union([w.box for w in words], confidence)))
        text = page_text([(line.text, line.block) for line in lines], self.config.join_hyphens)
        mean = float(np.mean([w[2] for w in words_in])) if words_in else 0.0
        width, height = page.input_size
        return OcrResult(text=text, lines=lines, orientation=page.orientation,
                         orientation_score=float(np.clip(page.orientation_score, 0.0, 1.0)),
                         skew_degrees=page.skew, width=width, height=height, confidence=mean, page=number)

    @staticmethod
    def _to_input(box: tuple[float, float, float, float], page: _Page, confidence: float) -> Box:
        """Map a box on the upright, deskewed page back to the input image's pixels."""
        width, height = page.input_size
        x1, y1, x2, y2 = box
        if page.orientation:
            h, w = page.grey.shape
            x1, y1, x2, y2 = turn_box(box, page.orientation, w, h)
        if page.skew:
            import math

            # the deskewed page was rotated by -skew about the centre of the (unturned) input
            theta = math.radians(page.skew)
            cx, cy = width / 2, height / 2
            xs, ys = [], []
            for px, py in ((x1, y1), (x2, y1), (x2, y2), (x1, y2)):
                dx, dy = px - cx, py - cy
                xs.append(cx + dx * math.cos(theta) + dy * math.sin(theta))
                ys.append(cy - dx * math.sin(theta) + dy * math.cos(theta))
            x1, y1, x2, y2 = min(xs), min(ys), max(xs), max(ys)
        x1, x2 = float(np.clip(x1, 0, width)), float(np.clip(x2, 0, width))
        y1, y2 = float(np.clip(y1, 0, height)), float(np.clip(y2, 0, height))
        return Box(x1=x1, y1=y1, x2=max(x1, x2), y2=max(y1, y2), confidence=float(np.clip(confidence, 0, 1)))

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self, dataset: Any) -> Metrics:
        """CER/WER overall and per layout, orientation accuracy, word-box precision/recall; on an outside
        labelled set (``vision.ocr.labelled.read_labelled``) word F1, line CER/WER and key fields."""
        from vision.ocr.evaluate import evaluate_reader
        from vision.ocr.labelled import LabelledSet

        if isinstance(dataset, LabelledSet):
            from vision.ocr.labelled_eval import evaluate_reader_on

            return evaluate_reader_on(self, dataset)
        return evaluate_reader(self, dataset)


def _iso_date(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)


def _union(boxes: Sequence[Box], confidence: float) -> Box:
    return Box(x1=min(b.x1 for b in boxes), y1=min(b.y1 for b in boxes), x2=max(b.x2 for b in boxes),
               y2=max(b.y2 for b in boxes), confidence=float(np.clip(confidence, 0.0, 1.0)))

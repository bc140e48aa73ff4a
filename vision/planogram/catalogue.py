"""The reference catalogue: packshots per SKU, their embeddings, and crop-to-SKU matching with an
"unknown product" decision.

The catalogue is client data: adding a SKU means adding its packshot(s) — nothing is retrained.
A folder catalogue looks like ``<root>/<SKU_ID>/*.png`` with an optional ``<root>/catalogue.yaml``
mapping SKU ids to ``{brand: ..., name: ...}``.
"""
from __future__ import annotations

import io
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from core.errors import InvalidInput
from vision.planogram.describe import describe_many
from vision.planogram.schemas import UNKNOWN

log = logging.getLogger(__name__)
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}
DEFAULT_THRESHOLD = 0.65
Detect = Callable[[Image.Image], list[tuple[float, float, float, float]]]
N_VIEWS = 16  # augmented views per packshot: lighting, tint, blur, crop jitter, background
TINT = 0.08  # per-channel gain range of the views' colour cast (store lighting is rarely neutral)


@dataclass(frozen=True)
class Match:
    """The recogniser's answer for one crop."""

    sku: str
    confidence: float
    similarity: float
    top: list[tuple[str, float]]  # the best few SKUs with their similarities, best first


def _rgba(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGBA"))


def augment_views(packshot: np.ndarray, n: int, seed: int) -> list[np.ndarray]:
    """Shelf-like views of a clean packshot (RGBA): what a detector crop of this pack may look like."""
    import cv2

    rng = random.Random(seed)
    h, w = packshot.shape[:2]
    rgb = packshot[:, :, :3].astype(np.float32)
    alpha = packshot[:, :, 3:4].astype(np.float32) / 255 if packshot.shape[2] == 4 else np.ones((h, w, 1), np.float32)
    views = [np.ascontiguousarray(packshot[:, :, :3])] if alpha.min() > 0.99 else []
    while len(views) < n:
        bg = np.array([rng.uniform(20, 200)] * 3, np.float32) * np.array([rng.uniform(0.8, 1.2) for _ in range(3)])
        img = rgb * alpha + bg * (1 - alpha)
        gain = rng.uniform(0.6, 1.2)
        tint = np.array([rng.uniform(1 - TINT, 1 + TINT) for _ in range(3)], np.float32)
        ramp = 1 + rng.uniform(-0.15, 0.15) * np.linspace(-1, 1, h)[:, None, None]
        img = np.clip(img * gain * tint * ramp, 0, 255)
        scale = rng.uniform(0.35, 0.8)  # shelf crops are smaller than packshots
        small = cv2.resize(img, (max(4, int(w * scale)), max(8, int(h * scale))), interpolation=cv2.INTER_AREA)
        if rng.random() < 0.5:
            small = cv2.GaussianBlur(small, (0, 0), rng.uniform(0.3, 1.0))
        sh, sw = small.shape[:2]
        # Detector boxes are looser than packshots (measured on the trained detector: edges off by
        # ~10% of the pack size, mostly outwards, the bottom often taking in the shelf edge), so
        # references take in neighbour colours and shelf at their borders too.
        dx1, dx2 = int(rng.uniform(-0.2, 0.05) * sw), int(rng.uniform(-0.05, 0.2) * sw)
        dy1, dy2 = int(rng.uniform(-0.12, 0.04) * sh), int(rng.uniform(-0.03, 0.18) * sh)
        pad = max(abs(dx1), abs(dx2), abs(dy1), abs(dy2)) + 1
        padded = cv2.copyMakeBorder(small, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=tuple(float(c) for c in bg))
        for side in (slice(0, pad), slice(pad + sw, None)):  # neighbouring packs on the left and right
            if rng.random() < 0.6:
                padded[:, side] = [rng.uniform(0, 255) for _ in range(3)]
        crop = padded[pad + dy1: pad + sh + dy2, pad + dx1: pad + sw + dx2]
        views.append(np.clip(crop, 0, 255).astype(np.uint8))
    return views


@dataclass
class Catalogue:
    """Packshots and metadata of the SKUs a client sells; ``match`` recognises crops against them."""

    packshots: dict[str, list[np.ndarray]]  # sku -> RGBA or RGB uint8 arrays
    brands: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    threshold: float = DEFAULT_THRESHOLD
    _refs: np.ndarray | None = field(default=None, repr=False)
    _labels: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.packshots:
            raise InvalidInput("a catalogue needs at least one SKU with a packshot")
        for sku, images in self.packshots.items():
            if not sku or sku == UNKNOWN:
                raise InvalidInput(f"invalid SKU id {sku!r} in the catalogue")
            if not images:
                raise InvalidInput(f"SKU {sku!r} has no packshot image")

    @property
    def skus(self) -> list[str]:
        return sorted(self.packshots)

    def brand(self, sku: str) -> str | None:
        return self.brands.get(sku)

    # -- building ------------------------------------------------------------------------------------
    @classmethod
    def from_images(cls, images: dict[str, list[Image.Image]], brands: dict[str, str] | None = None,
                    names: dict[str, str] | None = None, threshold: float = DEFAULT_THRESHOLD) -> Catalogue:
        return cls({sku: [_rgba(im) for im in ims] for sku, ims in images.items()}, dict(brands or {}),
                   dict(names or {}), threshold)

    @classmethod
    def from_folder(cls, root: str | Path, threshold: float = DEFAULT_THRESHOLD) -> Catalogue:
        """Read ``<root>/<SKU>/*.png|jpg`` and the optional ``catalogue.yaml``/``catalogue.json`` metadata."""
        import yaml

        root = Path(root)
        if not root.is_dir():
            raise InvalidInput(f"catalogue folder {str(root)!r} does not exist")
        meta: dict[str, dict[str, str]] = {}
        for name in ("catalogue.yaml", "catalogue.yml", "catalogue.json"):
            if (root / name).exists():
                try:
                    meta = yaml.safe_load((root / name).read_text()) or {}
                except yaml.YAMLError as exc:
                    raise InvalidInput(f"{root / name} is not valid YAML/JSON: {exc}") from exc
                if not isinstance(meta, dict):
                    raise InvalidInput(f"{root / name} must map SKU ids to {{brand, name}}")
                break
        images: dict[str, list[Image.Image]] = {}
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if files:
                from core.images import load_image

                images[folder.name] = [_keep_alpha(f) if f.suffix.lower() == ".png" else load_image(f) for f in files]
        if not images:
            raise InvalidInput(f"catalogue folder {str(root)!r} has no <SKU>/<image> files")
        brands = {sku: str((meta.get(sku) or {}).get("brand", sku)) for sku in images}
        names = {sku: str((meta.get(sku) or {}).get("name", sku)) for sku in images}
        return cls.from_images(images, brands, names, threshold)

    def add_sku(self, sku: str, images: list[Image.Image], brand: str | None = None, name: str | None = None) -> None:
        """Add (or replace) one SKU; only its own references are embedded, nothing is retrained."""
        if not sku or sku == UNKNOWN:
            raise InvalidInput(f"invalid SKU id {sku!r}")
        if not images:
            raise InvalidInput(f"SKU {sku!r} needs at least one packshot")
        self.packshots[sku] = [_rgba(im) for im in images]
        self.brands[sku] = brand or sku
        self.names[sku] = name or sku
        if self._refs is not None:
            keep = self._labels != sku  # type: ignore[operator]
            refs, labels = self._embed_sku(sku)
            self._refs = np.concatenate([self._refs[keep], refs])
            self._labels = np.concatenate([self._labels[keep], labels])  # type: ignore[index]

    # -- persistence (npz of PNG bytes: no pickle) ---------------------------------------------------
    def save(self, path: str | Path) -> None:
        arrays: dict[str, np.ndarray] = {}
        index = []
        for sku in self.skus:
            for k, image in enumerate(self.packshots[sku]):
                buf = io.BytesIO()
                Image.fromarray(image).save(buf, "PNG")
                key = f"img{len(index)}"
                arrays[key] = np.frombuffer(buf.getvalue(), np.uint8)
                index.append({"key": key, "sku": sku, "k": k})
        meta = {"index": index, "brands": self.brands, "names": self.names, "threshold": self.threshold}
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> Catalogue:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(data["meta"].tobytes().decode())
            packshots: dict[str, list[np.ndarray]] = {}
            for entry in meta["index"]:
                img = Image.open(io.BytesIO(data[entry["key"]].tobytes()))
                packshots.setdefault(entry["sku"], []).append(np.asarray(img))
        return cls(packshots, meta["brands"], meta["names"], float(meta["threshold"]))

    # -- matching ------------------------------------------------------------------------------------
    def _embed_sku(self, sku: str) -> tuple[np.ndarray, np.ndarray]:
        views = []
        for k, shot in enumerate(self.packshots[sku]):
            seed = sum(map(ord, sku)) * 1000 + k
            views += augment_views(shot, N_VIEWS, seed)
        return describe_many(views), np.array([sku] * len(views))

    def _index(self) -> tuple[np.ndarray, np.ndarray]:
        if self._refs is None or self._labels is None:
            parts = [self._embed_sku(sku) for sku in self.skus]
            self._refs = np.concatenate([p[0] for p in parts])
            self._labels = np.concatenate([p[1] for p in parts])
        return self._refs, self._labels

    def similarities(self, crops: list[np.ndarray]) -> tuple[np.ndarray, list[str]]:
        """``(n_crops, n_skus)`` best cosine similarity of each crop to each SKU's references."""
        refs, labels = self._index()
        skus = self.skus
        if not crops:
            return np.zeros((0, len(skus)), np.float32), skus
        sims = describe_many(crops) @ refs.T
        out = np.full((len(crops), len(skus)), -1.0, np.float32)
        for j, sku in enumerate(skus):
            out[:, j] = sims[:, labels == sku].max(axis=1)
        return out, skus

    def match(self, crops: list[np.ndarray], top_k: int = 3) -> list[Match]:
        """Best SKU per crop, or ``unknown`` when the best similarity is under the threshold."""
        sims, skus = self.similarities(crops)
        out = []
        for row in sims:
            order = np.argsort(-row)
            best = float(row[order[0]])
            top = [(skus[k], round(float(row[k]), 4)) for k in order[:top_k]]
            # Confidence: similarity mapped so the threshold is 0.5 and a perfect match is 1.
            span = max(1e-6, 1.0 - self.threshold)
            conf = float(np.clip(0.5 + 0.5 * (best - self.threshold) / span, 0.0, 1.0))
            sku = skus[order[0]] if best >= self.threshold else UNKNOWN
            out.append(Match(sku, conf if sku != UNKNOWN else 1.0 - conf, best, top))
        return out


def _keep_alpha(path: Path) -> Image.Image:
    from core.images import load_image

    img = Image.open(path)
    if "A" in img.getbands():
        img.load()
        return img.convert("RGBA")
    return load_image(path)


def crop_boxes(image: np.ndarray, boxes: list[tuple[float, float, float, float]]) -> list[np.ndarray]:
    """Pixel crops of ``xyxy`` boxes, clipped to the image; degenerate boxes get a 2x2 crop."""
    h, w = image.shape[:2]
    crops = []
    for x1, y1, x2, y2 in boxes:
        xa, ya = int(max(0, min(w - 2, np.floor(x1)))), int(max(0, min(h - 2, np.floor(y1))))
        xb, yb = int(max(xa + 2, min(w, np.ceil(x2)))), int(max(ya + 2, min(h, np.ceil(y2))))
        crops.append(np.ascontiguousarray(image[ya:yb, xa:xb]))
    return crops


def default_catalogue_images(height: int = 160) -> tuple[dict[str, list[Image.Image]], dict[str, str], dict[str, str]]:
    """One clean packshot per synthetic SKU (what a brand owner would supply)."""
    from vision.planogram.skus import render_packshot, synthetic_skus

    skus = synthetic_skus()
    return ({s.sku: [render_packshot(s, height)] for s in skus}, {s.sku: s.brand for s in skus},
            {s.sku: s.name for s in skus})


def calibration_crops(seed: int, n_scenes: int = 20, detect: Detect | None = None) -> tuple[list[np.ndarray], list[str]]:
    """Labelled crops of catalogue and foreign packs from train-split scenes.

    With ``detect`` (image -> xyxy boxes) the crops are the detector's own boxes matched to the
    truth, so the threshold sees the looseness it will meet in production; without it, truth
    boxes are jittered like a detector's.
    """
    from vision.planogram.evaluate import match_detections
    from vision.planogram.synth import scenes

    rng = random.Random(seed)
    crops: list[np.ndarray] = []
    labels: list[str] = []
    for scene in scenes(n_scenes, "train", seed=seed + 500, fault_rate=0.9):
        arr = np.asarray(scene.image)
        truth = np.array([p.box for p in scene.products], float).reshape(-1, 4)
        if detect is not None:
            pred = np.array(detect(scene.image), float).reshape(-1, 4)
            matched = match_detections(pred, np.ones(len(pred)), truth)
            keep = matched >= 0
            crops += crop_boxes(arr, [tuple(b) for b in pred[keep]])
            labels += [scene.products[i].sku for i in matched[keep]]
            continue
        for p in scene.products:
            x1, y1, x2, y2 = p.box
            bw, bh = x2 - x1, y2 - y1
            crops += crop_boxes(arr, [(x1 + rng.uniform(-0.1, 0.05) * bw, y1 + rng.uniform(-0.06, 0.04) * bh,
                                       x2 + rng.uniform(-0.05, 0.1) * bw, y2 + rng.uniform(-0.03, 0.1) * bh)])
            labels.append(p.sku)
    return crops, labels


def calibrate_threshold(catalogue: Catalogue, crops: list[np.ndarray], labels: list[str]) -> float:
    """Threshold that maximises accuracy (known SKU right, foreign called unknown) on calibration crops."""
    sims, skus = catalogue.similarities(crops)
    best = sims.max(axis=1)
    pred = np.array(skus)[sims.argmax(axis=1)]
    truth = np.array(labels)
    candidates = np.unique(np.round(best, 3))
    scores = []
    for t in candidates:
        called = np.where(best >= t, pred, UNKNOWN)
        scores.append(float((called == truth).mean()))
    return float(candidates[int(np.argmax(scores))])


def build_default_catalogue(calibration_seed: int = 0, detect: Detect | None = None) -> Catalogue:
    """The shipped catalogue: synthetic SKUs' packshots plus a threshold calibrated on train-split crops."""
    images, brands, names = default_catalogue_images()
    catalogue = Catalogue.from_images(images, brands, names)
    crops, labels = calibration_crops(calibration_seed, detect=detect)
    catalogue.threshold = calibrate_threshold(catalogue, crops, labels)
    return catalogue

"""Generated shelf images with ground truth: products, planogram spec, planted faults and true statuses.

Two visual styles keep evaluation honest: ``train`` scenes (backgrounds, shelf colours, lighting)
never share those choices with ``heldout`` scenes, and their arrangements come from other seeds.
A third, training-only style, ``wide``, randomises more broadly (any wall hue, generic textures:
grids, waves at any angle, blotches, diagonal stripes; any shelf-edge colour; linear or point
lighting with any tint), so the detector learns that backgrounds vary; it reuses none of the
held-out formulas or palettes and its foreign products are the training ones.

>>> scene = render_scene(random.Random(0), split="heldout", faults=[Fault("gap", 0, 1)])
>>> scene.image.size, scene.truth[1].status
((640, 480), 'missing')
"""
from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw

from vision.planogram.schemas import UNKNOWN, Facing, PlanogramSpec, ShelfSpec, Status
from vision.planogram.skus import SkuDesign, foreign_skus, load_font, render_packshot, synthetic_skus

Split = Literal["train", "heldout", "wide"]
FaultKind = Literal["swap", "gap", "extra", "foreign"]
FOREIGN_SEED = {"train": 101, "heldout": 202, "wide": 101}


@dataclass(frozen=True)
class Fault:
    """A planted deviation: ``swap`` exchanges positions ``position`` and ``position+1``; ``extra``
    inserts a product before ``position``; ``gap`` removes it; ``foreign`` replaces it."""

    kind: FaultKind
    shelf: int
    position: int


@dataclass
class PlacedProduct:
    """A product drawn in the scene: its box after perspective, true SKU (``unknown`` if foreign)."""

    box: tuple[float, float, float, float]
    sku: str
    brand: str
    shelf: int
    expected_position: int | None  # None for an inserted extra


@dataclass
class TruthPosition:
    """The true compliance status of one expected position, or of one extra (``position`` None)."""

    shelf: int
    position: int | None
    expected_sku: str | None
    status: Status


@dataclass
class Scene:
    """A rendered shelf with everything needed to score detection, recognition and compliance."""

    image: Image.Image
    spec: PlanogramSpec
    products: list[PlacedProduct]
    truth: list[TruthPosition]
    faults: list[Fault] = field(default_factory=list)


@dataclass
class _Item:
    design: SkuDesign | None  # None = gap (empty space)
    width: float
    height: float
    sku: str
    expected_position: int | None


# -- backgrounds and lighting differ by split ------------------------------------------------------

def _wall(rng: random.Random, split: Split, w: int, h: int) -> np.ndarray:
    if split == "wide":
        return _wide_wall(rng, w, h)
    hue_lo, hue_hi = (0.0, 0.5) if split == "train" else (0.5, 1.0)
    import colorsys

    base = np.array(colorsys.hsv_to_rgb(rng.uniform(hue_lo, hue_hi), rng.uniform(0.05, 0.4),
                                        rng.uniform(0.45, 0.95))) * 255
    img = np.ones((h, w, 3), np.float32) * base
    nprng = np.random.default_rng(rng.randrange(1 << 30))
    if split == "train":
        if rng.random() < 0.5:  # vertical panel stripes
            period = rng.randint(12, 60)
            img *= (1 + 0.08 * (np.arange(w) // period % 2))[None, :, None]
        img += nprng.normal(0, rng.uniform(2, 10), (h, w, 1))
    else:
        if rng.random() < 0.5:  # square tiles
            period = rng.randint(20, 70)
            yy, xx = np.mgrid[0:h, 0:w]
            grout = ((yy % period) < 2) | ((xx % period) < 2)
            img[grout] *= 0.7
        else:  # horizontal wood grain
            grain = np.sin(np.arange(h) / rng.uniform(2, 6) + nprng.normal(0, 0.3, h).cumsum() * 0.2)
            img *= (1 + 0.06 * grain)[:, None, None]
    return img


def _wide_wall(rng: random.Random, w: int, h: int) -> np.ndarray:
    """Training-only domain randomisation: a wall of any colour with one of several generic textures."""
    import colorsys

    base = np.array(colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.0, 0.7), rng.uniform(0.25, 0.97))) * 255
    img = np.ones((h, w, 3), np.float32) * base
    nprng = np.random.default_rng(rng.randrange(1 << 30))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    kind = rng.choice(["plain", "stripes", "grid", "wave", "blotches", "diagonal"])
    if kind == "stripes":
        period = rng.randint(8, 80)
        img *= (1 + rng.uniform(-0.15, 0.15) * (np.arange(w) // period % 2))[None, :, None]
    elif kind == "grid":  # lines of any width, darker or lighter than the wall
        px, py = rng.randint(12, 90), rng.randint(12, 90)
        line = rng.randint(1, 4)
        mask = ((yy % py) < line) | ((xx % px) < line)
        img[mask] *= rng.choice([rng.uniform(0.55, 0.9), rng.uniform(1.1, 1.35)])
    elif kind == "wave":  # sinusoidal bands at any angle, with a wandering phase
        angle = rng.uniform(0, math.pi)
        coord = np.cos(angle) * xx + np.sin(angle) * yy
        phase = nprng.normal(0, 0.2, (h, 1)).cumsum(axis=0) * rng.uniform(0, 0.3)
        img *= (1 + rng.uniform(0.03, 0.12) * np.sin(coord / rng.uniform(1.5, 12) + phase))[:, :, None]
    elif kind == "blotches":  # low-frequency colour variation (plaster, concrete)
        import cv2

        small = nprng.normal(0, 1, (rng.randint(3, 12), rng.randint(3, 12), 3)).astype(np.float32)
        img *= 1 + rng.uniform(0.04, 0.15) * cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    elif kind == "diagonal":
        period = rng.randint(10, 60)
        img *= (1 + rng.uniform(-0.12, 0.12) * (((xx + yy) // period) % 2))[:, :, None]
    img += nprng.normal(0, rng.uniform(1, 12), (h, w, 1))
    return img


def _lighting(rng: random.Random, split: Split, w: int, h: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * math.pi)
    ramp = (np.cos(angle) * (xx / w - 0.5) + np.sin(angle) * (yy / h - 0.5))
    if split == "wide":  # a linear ramp and/or a light spot anywhere (even off-image), any tint
        field_ = 1.0 + rng.uniform(-0.15, 0.15) + rng.uniform(0.0, 0.4) * ramp
        if rng.random() < 0.6:
            cx, cy = rng.uniform(-0.3, 1.3) * w, rng.uniform(-0.3, 1.3) * h
            field_ = field_ + rng.uniform(0.0, 0.3) - rng.uniform(0.1, 0.7) * np.hypot(xx - cx, yy - cy) / math.hypot(w, h)
        tint = np.array([rng.uniform(0.88, 1.12) for _ in range(3)])
        return field_[:, :, None] * tint[None, None, :]
    if split == "train":
        field_ = 1.0 + rng.uniform(-0.1, 0.1) + rng.uniform(0.0, 0.35) * ramp
        tint = np.array([rng.uniform(0.94, 1.06) for _ in range(3)])
    else:
        cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
        radial = np.hypot(xx - cx, yy - cy) / math.hypot(w, h)
        field_ = rng.uniform(0.95, 1.15) - rng.uniform(0.2, 0.5) * radial + rng.uniform(0.0, 0.2) * ramp
        warm = rng.uniform(-0.06, 0.08)  # warm or cool store lighting
        tint = np.array([1 + warm, 1.0, 1 - warm])
    return field_[:, :, None] * tint[None, None, :]


# -- planogram and faults ----------------------------------------------------------------------------

def _plan_shelf(rng: random.Random, skus: tuple[SkuDesign, ...], max_h: float, shelf_w: float,
                spacing: float) -> list[Facing]:
    facings: list[Facing] = []
    used = 0.0
    previous = None
    for _ in range(200):
        design = rng.choice([s for s in skus if s.sku != previous])
        width = max_h * design.height * design.aspect
        n = rng.choice((1, 1, 2, 2, 3))
        fit = int((shelf_w * 0.86 - used) // (width + spacing))
        if fit <= 0:
            if used > shelf_w * 0.55:
                break
            continue
        n = min(n, fit)
        facings.append(Facing(sku=design.sku, facings=n))
        used += n * (width + spacing)
        previous = design.sku
    if not facings:  # a very narrow shelf still gets one pack
        facings.append(Facing(sku=skus[0].sku, facings=1))
    return facings


def random_faults(rng: random.Random, spec: PlanogramSpec, rate: float = 0.6) -> list[Fault]:
    """Up to one fault of each kind per shelf (each with probability ``rate``), on distinct positions."""
    faults: list[Fault] = []
    for s_index, shelf in enumerate(spec.shelves):
        seq = shelf.sequence()
        taken: set[int] = set()
        for kind in rng.sample(["swap", "gap", "extra", "foreign"], 4):
            if rng.random() > rate:
                continue
            options = [i for i in range(len(seq)) if i not in taken and i - 1 not in taken]
            if kind == "swap":
                options = [i for i in options if i + 1 < len(seq) and seq[i] != seq[i + 1] and i + 1 not in taken]
            if not options:
                continue
            pos = rng.choice(options)
            faults.append(Fault(kind, s_index, pos))  # type: ignore[arg-type]
            taken |= {pos, pos + 1} if kind == "swap" else {pos}
    return faults


def _apply_faults(rng: random.Random, seq: list[SkuDesign], shelf: int, faults: list[Fault],
                  foreign: tuple[SkuDesign, ...], skus: tuple[SkuDesign, ...], max_h: float
                  ) -> tuple[list[_Item], list[TruthPosition]]:
    def item(design: SkuDesign, pos: int | None, sku: str | None = None) -> _Item:
        h = max_h * design.height
        return _Item(design, h * design.aspect, h, sku or design.sku, pos)

    items = [item(d, i) for i, d in enumerate(seq)]
    truth = [TruthPosition(shelf, i, d.sku, "correct") for i, d in enumerate(seq)]
    mine = [f for f in faults if f.shelf == shelf]
    # Apply from right to left so earlier positions keep their index while we edit the list.
    for fault in sorted(mine, key=lambda f: f.position, reverse=True):
        p = fault.position
        if not 0 <= p < len(seq):
            raise ValueError(f"fault {fault} is outside shelf {shelf} with {len(seq)} positions")
        if fault.kind == "swap":
            if p + 1 >= len(seq) or seq[p].sku == seq[p + 1].sku:
                raise ValueError(f"fault {fault}: a swap needs two different neighbouring SKUs")
            items[p], items[p + 1] = items[p + 1], items[p]
            truth[p].status = truth[p + 1].status = "misplaced"
        elif fault.kind == "gap":
            gone = items[p]
            items[p] = _Item(None, gone.width, gone.height, "", None)
            truth[p].status = "missing"
        elif fault.kind == "foreign":
            items[p] = item(rng.choice(foreign), p, UNKNOWN)
            truth[p].status = "unexpected"
        else:  # extra: a catalogue pack that differs from both neighbours, inserted before p
            neighbours = {seq[p].sku, seq[p - 1].sku if p > 0 else ""}
            design = rng.choice([s for s in skus if s.sku not in neighbours])
            items.insert(p, item(design, None))
            truth.append(TruthPosition(shelf, None, None, "unexpected"))
    return items, truth


# -- drawing -----------------------------------------------------------------------------------------

def _shade(pack: Image.Image, rng: random.Random, kind: str) -> Image.Image:
    """Cylindrical packs get a highlight and darker edges, like a real bottle under store lights."""
    if kind not in ("bottle", "can") or pack.width < 6:
        return pack
    arr = np.asarray(pack).astype(np.float32)
    x = np.linspace(-1, 1, pack.width)
    profile = 1.0 - 0.28 * x ** 2 + 0.12 * np.exp(-((x - rng.uniform(-0.5, 0.5)) ** 2) / 0.02)
    arr[:, :, :3] = np.clip(arr[:, :, :3] * profile[None, :, None], 0, 255)
    return Image.fromarray(arr.astype(np.uint8), "RGBA")


def _perspective(rng: random.Random, w: int, h: int, strength: float) -> np.ndarray:
    import cv2

    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = np.float32([[rng.uniform(-1, 1) * strength * w, rng.uniform(-1, 1) * strength * h] for _ in range(4)])
    return cv2.getPerspectiveTransform(src, src + jitter)


def _warp_box(matrix: np.ndarray, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = box
    pts = np.array([[x1, y1, 1], [x2, y1, 1], [x2, y2, 1], [x1, y2, 1]], np.float64) @ matrix.T
    pts = pts[:, :2] / pts[:, 2:3]
    return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())


def render_scene(rng: random.Random, split: Split = "train", *, width: int = 640, height: int = 480,
                 faults: list[Fault] | str | None = "random", fault_rate: float = 0.6,
                 spec: PlanogramSpec | None = None, skus: tuple[SkuDesign, ...] | None = None,
                 degrade: bool = True) -> Scene:
    """Render one shelf bay; ``faults`` is a list, ``"random"`` or None (a compliant shelf).

    When ``spec`` is given its shelf count is used and its facings are drawn as planned.
    """
    import cv2

    skus = skus or synthetic_skus()
    by_id = {s.sku: s for s in skus}
    foreign = foreign_skus(FOREIGN_SEED[split])
    n_rows = len(spec.shelves) if spec is not None else rng.randint(3, 5)
    top = rng.uniform(4, 40)
    bottom = rng.uniform(4, 30)
    pitch = (height - top - bottom) / n_rows
    board = rng.uniform(0.08, 0.13) * pitch
    left, right = rng.uniform(4, 40), width - rng.uniform(4, 40)
    spacing = rng.uniform(0.5, 4.0)
    max_h = pitch - board - rng.uniform(0.06, 0.16) * pitch

    if spec is None:
        shelves = [ShelfSpec(products=_plan_shelf(rng, skus, max_h, right - left, spacing)) for _ in range(n_rows)]
        spec = PlanogramSpec(fixture_id=f"synthetic-{rng.randrange(10**6)}", shelves=shelves)
    if faults == "random":
        faults = random_faults(rng, spec, fault_rate)
    faults = list(faults or [])

    canvas = _wall(rng, split, width, height)
    panel = np.array(canvas.mean(axis=(0, 1))) * rng.uniform(0.35, 0.8)
    if split == "wide":  # grey, or any colour (painted metal, wood, plastic)
        board_colour = (np.array([rng.uniform(20, 240)] * 3) if rng.random() < 0.4
                        else np.array([rng.uniform(20, 240) for _ in range(3)]))
    else:
        board_colour = (np.array([rng.uniform(150, 235)] * 3) if split == "train"
                        else np.array(rng.choice([(120, 80, 45), (40, 40, 45), (160, 115, 70)])) * rng.uniform(0.8, 1.2))
    img = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    products: list[PlacedProduct] = []
    truth: list[TruthPosition] = []
    for r, shelf in enumerate(spec.shelves):
        row_top = top + r * pitch
        board_y = row_top + pitch - board
        draw.rectangle((left, row_top, right, board_y), fill=tuple(int(c) for c in panel))
        try:
            seq = [by_id[sku] for sku in shelf.sequence()]
        except KeyError as exc:
            raise ValueError(f"planogram names SKU {exc} that has no synthetic design") from exc
        items, shelf_truth = _apply_faults(rng, seq, r, faults, foreign, skus, max_h)
        truth += shelf_truth
        # An inserted extra (or a spec drawn at another scale) may not fit: shrink the row to fit,
        # so every planned pack is drawn and the ground truth stays exact.
        need = sum(it.width + spacing for it in items)
        if need > right - left - 8:
            shrink = (right - left - 8) / need
            for it in items:
                it.width, it.height = it.width * shrink, it.height * shrink
        x = left + rng.uniform(0, 6)
        for it in items:
            if it.design is not None:
                pack = _shade(render_packshot(it.design, int(it.height), round(it.width)), rng, it.design.kind)
                y = board_y - pack.height + rng.uniform(-1.0, 1.0)
                img.paste(pack, (round(x), round(y)), pack)
                products.append(PlacedProduct((round(x), round(y), round(x) + pack.width, round(y) + pack.height),
                                              it.sku, it.design.brand, r, it.expected_position))
            x += it.width + spacing
        # shelf edge with a price strip and one tag per block
        draw.rectangle((left, board_y, right, board_y + board), fill=tuple(int(c) for c in board_colour))
        strip_h = board * rng.uniform(0.45, 0.7)
        strip_colour = rng.choice([(250, 250, 245), (250, 225, 60), (235, 240, 250)])
        draw.rectangle((left, board_y + board - strip_h, right, board_y + board), fill=strip_colour)
        for tag_x in range(int(left) + rng.randint(4, 20), int(right) - 20, rng.randint(40, 90)):
            draw.text((tag_x, board_y + board - strip_h), f"{rng.uniform(0.5, 9.9):.2f}", fill=(20, 20, 20),
                      font=load_font("", max(6, int(strip_h))))

    arr = np.asarray(img).astype(np.float32)
    if degrade:
        arr = np.clip(arr * _lighting(rng, split, width, height), 0, 255)
        matrix = _perspective(rng, width, height, rng.uniform(0.0, 0.035))
        border = tuple(float(c) for c in panel)
        arr = cv2.warpPerspective(arr, matrix, (width, height), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=border)
        sigma = rng.uniform(0.0, 1.2)
        if sigma > 0.3:
            arr = cv2.GaussianBlur(arr, (0, 0), sigma)
        arr = arr + np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(0, 6), arr.shape)
        for p in products:
            p.box = _warp_box(matrix, p.box)
    image = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    if degrade:
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=rng.randint(60, 95))
        image = Image.open(buf).convert("RGB")
    for p in products:
        x1, y1, x2, y2 = p.box
        p.box = (max(0.0, x1), max(0.0, y1), min(float(width), x2), min(float(height), y2))
    return Scene(image=image, spec=spec, products=products, truth=truth, faults=faults)


def scenes(n: int, split: Split, seed: int, **kwargs: object) -> list[Scene]:
    """``n`` scenes of one split; the seed space of each split is kept apart."""
    offset = {"train": 0, "heldout": 1_000_003, "wide": 2_000_029}[split]
    return [render_scene(random.Random(seed * 7919 + offset + i), split, **kwargs) for i in range(n)]  # type: ignore[arg-type]


def sample_inputs(n: int) -> list[Image.Image]:
    """Small valid ``predict`` inputs for contract tests and benchmarks."""
    return [s.image for s in scenes(n, "heldout", seed=5)]


def bad_input() -> bytes:
    """An input ``predict`` must reject with InvalidInput."""
    return b"this is not an image"

"""Synthetic licence-plate data: rendered plates of several countries composed onto car-like scenes.

Used to train the detector, to build held-out evaluation sets, and to give tests tiny valid inputs.
Everything is drawn locally (system TrueType fonts, numpy/PIL/OpenCV, photos that scikit-image
ships), so generation works offline and is reproducible from a seed.

>>> scene = render_scene(seed=3, size=(320, 240))
>>> scene.image.size, len(scene.plates) >= 1
((320, 240), True)
"""
from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

# The generator's layers: fonts (``synth_fonts``) -> plate faces (``synth_plates``) -> scenes (here) -> reader
# crops (``reader_crops``). The lower layers' public names are re-exported for callers of the whole generator.
from vision.plate.synth_fonts import LETTERS, PLATE_FONT_NAMES, _chars, _pick_font, font_paths  # noqa: F401
from vision.plate.synth_plates import SQUARE_O, STYLES, RenderedPlate, render_plate  # noqa: F401

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------------
# scenes
# --------------------------------------------------------------------------------------------------
@dataclass
class PlateLabel:
    """Ground truth of one plate in a scene: pixel xyxy box, text, style, and how tall its registration's
    characters are in the scene, in pixels (the plate's scale; perspective changes it by ~10 % across it)."""

    box: tuple[float, float, float, float]
    text: str
    style: str
    country: str
    char_height: float


@dataclass
class Scene:
    """A generated photo with its plates."""

    image: Image.Image
    plates: list[PlateLabel] = field(default_factory=list)


@functools.cache
def _photo_backgrounds() -> tuple[np.ndarray, ...]:
    """Photos scikit-image ships inside its wheel (no download); empty when it is not installed."""
    try:
        from skimage import data
    except ImportError:
        return ()
    photos = []
    for name in ("chelsea", "coffee", "astronaut", "rocket", "immunohistochemistry", "camera", "brick",
                 "grass", "gravel", "hubble_deep_field", "coins", "moon"):
        try:
            arr = np.asarray(getattr(data, name)())
        except Exception as exc:  # noqa: BLE001 - a missing data file only shrinks the variety
            log.debug("skimage photo %s unavailable: %s", name, exc)
            continue
        if arr.ndim == 2:
            arr = np.stack([arr] * 3, axis=-1)
        photos.append(np.ascontiguousarray(arr[..., :3]).astype(np.uint8))
    return tuple(photos)


def _background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    import cv2

    kind = rng.random()
    photos = _photo_backgrounds()
    if kind < 0.35 and photos:
        photo = photos[rng.integers(len(photos))]
        ph, pw = photo.shape[:2]
        scale = max(w / pw, h / ph) * rng.uniform(1.0, 1.8)
        big = cv2.resize(photo, (int(pw * scale) + 1, int(ph * scale) + 1))
        y0, x0 = rng.integers(0, big.shape[0] - h + 1), rng.integers(0, big.shape[1] - w + 1)
        out = big[y0:y0 + h, x0:x0 + w]
        return np.ascontiguousarray(out[:, ::-1] if rng.random() < 0.5 else out)
    # Street-like: sky/building band above, asphalt below, both textured.
    top = np.array(rng.integers(60, 230, size=3), dtype=np.float32)
    ground = np.full(3, rng.integers(50, 150), dtype=np.float32)
    horizon = int(h * rng.uniform(0.2, 0.6))
    img = np.empty((h, w, 3), np.float32)
    img[:horizon] = top
    img[horizon:] = ground
    grad = np.linspace(rng.uniform(-40, 0), rng.uniform(0, 40), h, dtype=np.float32)[:, None, None]
    img += grad
    noise = rng.normal(0, rng.uniform(4, 20), size=(h // 4 + 1, w // 4 + 1, 1)).astype(np.float32)
    img += cv2.resize(noise, (w, h))[..., None] if noise.ndim == 3 else 0
    for _ in range(int(rng.integers(0, 8))):  # buildings, poles, signs
        x1, y1 = int(rng.integers(0, w)), int(rng.integers(0, horizon + 1))
        x2, y2 = x1 + int(rng.integers(5, w // 3 + 6)), y1 + int(rng.integers(5, h // 2 + 6))
        cv2.rectangle(img, (x1, y1), (x2, y2), tuple(float(c) for c in rng.integers(0, 255, size=3)), -1)
    return np.clip(img, 0, 255).astype(np.uint8)


def _draw_car(img: np.ndarray, rng: np.random.Generator, cx: float, cy: float, width: float) -> tuple[float, float]:
    """A car seen from behind or in front: rounded body, window, lights, bumper. Returns plate anchor."""
    import cv2

    h_img, w_img = img.shape[:2]
    height = width * rng.uniform(0.55, 0.9)
    x1, x2 = int(cx - width / 2), int(cx + width / 2)
    y1, y2 = int(cy - height / 2), int(cy + height / 2)
    colour = tuple(float(c) for c in (rng.integers(0, 255, size=3) if rng.random() < 0.5
                                      else np.full(3, rng.choice([20, 40, 180, 200, 225, 240]))))
    radius = int(width * rng.uniform(0.05, 0.15))
    cv2.rectangle(img, (x1 + radius, y1), (x2 - radius, y2), colour, -1)
    cv2.rectangle(img, (x1, y1 + radius), (x2, y2 - radius), colour, -1)
    for px, py in ((x1 + radius, y1 + radius), (x2 - radius, y1 + radius), (x1 + radius, y2 - radius),
                   (x2 - radius, y2 - radius)):
        cv2.circle(img, (px, py), radius, colour, -1)
    # Body shading: a vertical gradient makes it look less like a flat sticker.
    shade = np.linspace(rng.uniform(-50, 10), rng.uniform(-10, 50), max(1, y2 - y1))[:, None, None]
    ys, ye, xs, xe = max(0, y1), min(h_img, y2), max(0, x1), min(w_img, x2)
    if ye > ys and xe > xs:
        region = img[ys:ye, xs:xe].astype(np.float32)
        mask = region.sum(-1, keepdims=True) > 0
        region = np.where(mask, region + shade[ys - y1:ye - y1], region)
        img[ys:ye, xs:xe] = np.clip(region, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        _reflections(img, rng, (x1, y1, x2, y2))
    window_bottom = y1 + height * rng.uniform(0.3, 0.45)
    dark = tuple(float(c) for c in rng.integers(10, 70, size=3))
    cv2.rectangle(img, (int(x1 + width * 0.12), int(y1 + height * 0.06)), (int(x2 - width * 0.12), int(window_bottom)), dark, -1)
    light_y = int(window_bottom + height * rng.uniform(0.05, 0.15))
    red = (float(rng.integers(150, 255)), float(rng.integers(0, 60)), float(rng.integers(0, 60)))
    lw, lh = int(width * rng.uniform(0.1, 0.18)), int(height * rng.uniform(0.08, 0.15))
    cv2.rectangle(img, (x1 + 2, light_y), (x1 + 2 + lw, light_y + lh), red, -1)
    cv2.rectangle(img, (x2 - 2 - lw, light_y), (x2 - 2, light_y + lh), red, -1)
    if rng.random() < 0.5:  # brand badge / chrome strip, like the real photos
        cv2.rectangle(img, (int(cx - width * 0.2), light_y), (int(cx + width * 0.2), light_y + max(2, lh // 4)),
                      (200.0, 200.0, 205.0), -1)
    bumper_y = int(y1 + height * rng.uniform(0.78, 0.88))
    cv2.rectangle(img, (x1, bumper_y), (x2, y2), tuple(max(0.0, c - 40) for c in colour), -1)
    plate_cy = (light_y + lh + bumper_y) / 2 + height * rng.uniform(-0.03, 0.08)
    return cx + width * rng.uniform(-0.12, 0.12), plate_cy


def _reflections(img: np.ndarray, rng: np.random.Generator, body: tuple[int, int, int, int]) -> None:
    """Soft bright streaks across a car body: painted metal mirrors the lights of a street or a garage."""
    import cv2

    h_img, w_img = img.shape[:2]
    x1, y1, x2, y2 = max(0, body[0]), max(0, body[1]), min(w_img, body[2]), min(h_img, body[3])
    if x2 - x1 < 8 or y2 - y1 < 8:
        return
    glow = np.zeros((y2 - y1, x2 - x1), np.float32)
    for _ in range(int(rng.integers(1, 4))):
        centre = (int(rng.integers(0, x2 - x1)), int(rng.integers(0, y2 - y1)))
        axes = (int((x2 - x1) * rng.uniform(0.1, 0.5)), max(1, int((y2 - y1) * rng.uniform(0.02, 0.12))))
        cv2.ellipse(glow, centre, axes, float(rng.uniform(-20, 20)), 0, 360, float(rng.uniform(40, 140)), -1)
    glow = cv2.GaussianBlur(glow, (0, 0), max(1.0, (y2 - y1) * 0.03))
    region = img[y1:y2, x1:x2].astype(np.float32) + glow[..., None]
    img[y1:y2, x1:x2] = np.clip(region, 0, 255).astype(np.uint8)


def _recess(img: np.ndarray, rng: np.random.Generator, x: int, y: int, w: int, h: int) -> None:
    """The moulded housing a plate is screwed into: a darker (or lighter) panel a little larger than it."""
    import cv2

    grow_x, grow_y = w * rng.uniform(0.06, 0.3), h * rng.uniform(0.15, 0.6)
    x1, y1 = int(x - grow_x), int(y - grow_y * rng.uniform(0.3, 0.7))
    x2, y2 = int(x + w + grow_x), int(y + h + grow_y * rng.uniform(0.3, 0.7))
    h_img, w_img = img.shape[:2]
    xs, ys, xe, ye = max(0, x1), max(0, y1), min(w_img, x2), min(h_img, y2)
    if xe <= xs or ye <= ys:
        return
    region = img[ys:ye, xs:xe].astype(np.float32)
    shift = rng.uniform(-70, -15) if rng.random() < 0.75 else rng.uniform(15, 50)
    panel = region + shift
    # A shadow along the upper edge, where the bumper overhangs the housing.
    panel[: max(1, (ye - ys) // 6)] -= 25
    edge = np.full(region.shape[:2], 255, np.uint8)
    mask = cv2.GaussianBlur(edge, (0, 0), max(0.6, h * 0.04)).astype(np.float32)[..., None] / 255.0
    img[ys:ye, xs:xe] = np.clip(panel * mask + region * (1 - mask), 0, 255).astype(np.uint8)


def _warp_plate(rng: np.random.Generator, plate: Image.Image, target_w: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scale, rotate and perspective-warp a plate; return pixels, mask, and corner points (4x2)."""
    import cv2

    src = np.asarray(plate)
    ph, pw = src.shape[:2]
    scale = target_w / pw
    w, h = pw * scale, ph * scale
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    angle = math.radians(rng.normal(0, 4))
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]], np.float32)
    corners = (corners - corners.mean(0)) @ rot.T
    # Perspective: pull one side in (the car is seen at an angle) plus per-corner jitter.
    skew = rng.uniform(-0.12, 0.12) * h
    corners[[1, 2], 1] += np.array([skew, -skew], np.float32) * (rng.random() < 0.6)
    corners += rng.normal(0, 0.03, size=(4, 2)).astype(np.float32) * np.array([w, h], np.float32)
    corners -= corners.min(0)
    out_w, out_h = math.ceil(corners[:, 0].max()) + 1, math.ceil(corners[:, 1].max()) + 1
    matrix = cv2.getPerspectiveTransform(np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32), corners)
    warped = cv2.warpPerspective(src, matrix, (out_w, out_h), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), matrix, (out_w, out_h))
    return warped, mask, corners


def _paste(img: np.ndarray, patch: np.ndarray, mask: np.ndarray, x: int, y: int) -> tuple[int, int, int, int] | None:
    h_img, w_img = img.shape[:2]
    ph, pw = patch.shape[:2]
    x1, y1, x2, y2 = max(0, x), max(0, y), min(w_img, x + pw), min(h_img, y + ph)
    if x2 <= x1 or y2 <= y1:
        return None
    sub = patch[y1 - y:y2 - y, x1 - x:x2 - x].astype(np.float32)
    alpha = (mask[y1 - y:y2 - y, x1 - x:x2 - x].astype(np.float32) / 255.0)[..., None]
    img[y1:y2, x1:x2] = (sub * alpha + img[y1:y2, x1:x2] * (1 - alpha)).astype(np.uint8)
    return x1, y1, x2, y2


def _photometric(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blur, motion blur, glare, night tint, noise: what real cameras do to plates."""
    import cv2

    out = img.astype(np.float32)
    h, w = out.shape[:2]
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 1.1))
    if rng.random() < 0.25:
        k = int(rng.integers(3, 6))
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2, :] = 1.0 / k
        rot = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
        kernel = cv2.warpAffine(kernel, rot, (k, k))
        out = cv2.filter2D(out, -1, kernel / max(kernel.sum(), 1e-6))
    if rng.random() < 0.2:  # glare: a bright soft blob
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.1, 0.4) * max(w, h)
        out += rng.uniform(40, 110) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))[..., None]
    if rng.random() < 0.15:  # night: darker, bluish
        out = out * rng.uniform(0.45, 0.7) * np.array([0.85, 0.9, 1.1], np.float32)
    out = out * rng.uniform(0.75, 1.2) + rng.uniform(-25, 25)
    out += rng.normal(0, rng.uniform(0, 8), size=out.shape).astype(np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def render_scene(seed: int | None = None, size: tuple[int, int] | None = None, *, max_plates: int = 2,
                 rng: np.random.Generator | None = None) -> Scene:
    """One photo-like image with 0..max_plates plates (1 in most scenes) and their boxes and texts."""
    import cv2

    rng = rng if rng is not None else np.random.default_rng(seed)
    if size is None:
        aspect = (4 / 3, 16 / 9, 1.0, 3 / 4)[rng.integers(4)]
        w = int(rng.choice([480, 560, 640]))
        size = (w, int(w / aspect))
    w, h = size
    img = _background(rng, w, h)
    labels: list[PlateLabel] = []
    n_plates = 1 if max_plates <= 1 or rng.random() < 0.8 else int(rng.integers(2, max_plates + 1))
    if max_plates == 0 or rng.random() < 0.04:
        n_plates = 0  # a few scenes without plates teach the detector what is not a plate
    slots = np.linspace(0, w, n_plates + 1)
    occupied: list[tuple[int, int, int, int]] = []
    anchors: list[tuple[float, float, float, bool]] = []
    # Cars first, plates after: a later car must never cover an earlier plate.
    for index in range(n_plates):
        # Plate width as a fraction of the image width: log-uniform 4%..45%, half the scenes at 10-35%.
        frac = float(np.exp(rng.uniform(np.log(0.04), np.log(0.45)))) if n_plates == 1 else rng.uniform(0.05, 0.2)
        if n_plates == 1 and rng.random() < 0.5:
            frac = rng.uniform(0.1, 0.35)
        plate_w = max(14.0, frac * w)
        lo, hi = slots[index], slots[index + 1]
        cx = rng.uniform(lo + (hi - lo) * 0.3, hi - (hi - lo) * 0.3)
        cy = rng.uniform(h * 0.3, h * 0.85)
        on_car = rng.random() < 0.85
        if on_car:
            cx, cy = _draw_car(img, rng, cx, cy, plate_w * rng.uniform(2.8, 5.5))
        anchors.append((cx, cy, plate_w, on_car))
    for cx, cy, plate_w, on_car in anchors:
        plate = render_plate(rng)
        patch, mask, corners = _warp_plate(rng, plate.image, plate_w)
        x0, y0 = int(cx - patch.shape[1] / 2), int(cy - patch.shape[0] / 2)
        x0 = int(np.clip(x0, 0, max(0, w - patch.shape[1])))
        y0 = int(np.clip(y0, 0, max(0, h - patch.shape[0])))
        box = (x0 + float(corners[:, 0].min()), y0 + float(corners[:, 1].min()),
               x0 + float(corners[:, 0].max()), y0 + float(corners[:, 1].max()))
        if any(_overlaps(box, other) for other in occupied):
            continue
        if on_car and rng.random() < 0.6:
            _recess(img, rng, int(box[0]), int(box[1]), int(box[2] - box[0]), int(box[3] - box[1]))
        if _paste(img, patch, mask, x0, y0) is None:
            continue
        box = (max(0.0, box[0]), max(0.0, box[1]), min(float(w), box[2]), min(float(h), box[3]))
        occupied.append(tuple(int(v) for v in box))  # type: ignore[arg-type]
        char_height = plate.char_height * plate_w / plate.image.width  # _warp_plate's scale
        labels.append(PlateLabel(box, plate.text, plate.style, plate.country, char_height))
        if rng.random() < 0.08:  # partial occlusion of a plate edge (a tow hook, a leaf, a hand)
            bw = (box[2] - box[0]) * rng.uniform(0.04, 0.1)
            side = box[0] if rng.random() < 0.5 else box[2] - bw
            colour = tuple(float(c) for c in rng.integers(0, 255, size=3))
            cv2.rectangle(img, (int(side), int(box[1] - 2)), (int(side + bw), int(box[3] + 2)), colour, -1)
    if rng.random() < 0.25:  # distractor text that is not a plate (shop signs)
        draw_img = Image.fromarray(img)
        draw = ImageDraw.Draw(draw_img)
        word = _chars(rng, LETTERS, int(rng.integers(3, 9)))
        x, y = int(rng.integers(0, w // 2 + 1)), int(rng.integers(0, h // 3 + 1))
        draw.text((x, y), word, font=_pick_font(rng, int(rng.integers(10, 40))),
                  fill=tuple(int(c) for c in rng.integers(0, 255, size=3)))
        img = np.asarray(draw_img).copy()
    img = _photometric(img, rng)
    out = Image.fromarray(img)
    if rng.random() < 0.5:  # JPEG artefacts, as in uploaded photos
        import io

        buf = io.BytesIO()
        out.save(buf, "JPEG", quality=int(rng.integers(35, 95)))
        out = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return Scene(out, labels)


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return not (a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1])


def scenes(n: int, seed: int = 0) -> list[Scene]:
    """``n`` reproducible scenes; different seeds give disjoint streams (train vs held-out)."""
    rng = np.random.default_rng(seed)
    return [render_scene(rng=rng) for _ in range(n)]


def write_yolo_dataset(root: Path, n_train: int, n_val: int, seed: int = 0,
                       progress: Callable[[int], None] | None = None) -> Path:
    """Write ``images/{train,val}`` + ``labels/{train,val}`` and a ``data.yaml``; return the yaml path."""
    import yaml

    root.mkdir(parents=True, exist_ok=True)
    for split, count, split_seed in (("train", n_train, seed), ("val", n_val, seed + 10_000)):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(split_seed)
        for index in range(count):
            scene = render_scene(rng=rng)
            stem = f"{split}_{index:05d}"
            scene.image.save(root / "images" / split / f"{stem}.jpg", quality=92)
            w, h = scene.image.size
            lines = [f"0 {(b[0] + b[2]) / 2 / w:.6f} {(b[1] + b[3]) / 2 / h:.6f} {(b[2] - b[0]) / w:.6f} "
                     f"{(b[3] - b[1]) / h:.6f}" for b in (p.box for p in scene.plates)]
            (root / "labels" / split / f"{stem}.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
            if progress is not None:
                progress(1)
    data_yaml = root / "data.yaml"
    data_yaml.write_text(yaml.safe_dump({"path": str(root), "train": "images/train", "val": "images/val",
                                         "names": {0: "plate"}}))
    return data_yaml


# --------------------------------------------------------------------------------------------------
# inputs for the registry's contract test and benchmarks
# --------------------------------------------------------------------------------------------------
def sample_inputs(n: int) -> list[Image.Image]:
    """``n`` small generated car photos, each with a plate (valid ``predict`` inputs)."""
    rng = np.random.default_rng(1234)
    return [render_scene(rng=rng, size=(480, 360), max_plates=1).image for _ in range(n)]


def bad_input() -> bytes:
    """Bytes that are not an image: ``predict`` must reject them with InvalidInput."""
    return b"this is not an image"

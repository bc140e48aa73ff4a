"""Realistic degradations of a face photo, to measure at which quality an embedding stops being reliable.

Clients enroll from what they have: ID-card scans, badge photos, CCTV crops, web photos. This
generator turns a clean face crop into such photos, one named *condition* at a time, reproducibly
(``seed``, the face's index and the condition's index seed every random choice):

- ``size<S>``: the face shrunk to ``S`` px (Lanczos), saved as JPEG quality 90 — a small face in a photo;
- ``gauss<s>``/``motion<L>``: a 128 px face with Gaussian blur (sigma ``s`` px) or motion blur (a
  line of ``L`` px at a random angle) — focus and camera shake;
- ``jpeg<q>``: a 128 px face saved as JPEG quality ``q`` — compressed web and CCTV images;
- ``roll<a>``: a 128 px face turned in the image plane by ``a`` degrees (random sign);
- ``yaw<a>``: a 128 px face under a perspective warp that compresses one side as a head turned by
  ``a`` degrees would (a 2-D approximation: it cannot hide the far cheek behind the nose);
- ``cctv``, ``badge``, ``webcam``, ``scan``: combinations seen in practice (small + blur + JPEG).

>>> [c.name for c in CONDITIONS][:3]
['clean', 'size24', 'size32']
"""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

DEVELOPMENT_SEED = 2929
BLUR_FACE = 128  # blur, JPEG, roll and yaw conditions act on a face of this size, apart from size


@dataclass(frozen=True)
class Condition:
    name: str
    family: str
    apply: Callable[[Image.Image, float, np.random.Generator], Image.Image]
    """(crop, face size in px inside the crop, rng) -> degraded crop"""


def _scale(image: Image.Image, face: float, target: float) -> Image.Image:
    factor = target / max(face, 1.0)
    size = (max(8, round(image.width * factor)), max(8, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=int(quality))
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def _motion_blur(image: Image.Image, length: int, angle: float) -> Image.Image:
    import cv2

    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0
    rotation = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle, 1.0)
    kernel = cv2.warpAffine(kernel, rotation, (length, length))
    kernel /= max(float(kernel.sum()), 1e-6)
    return Image.fromarray(cv2.filter2D(np.asarray(image.convert("RGB")), -1, kernel,
                                        borderType=cv2.BORDER_REFLECT))


def _rotate(image: Image.Image, degrees: float) -> Image.Image:
    return image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(128, 128, 128))


def _perspective_coefficients(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[float]:
    """PIL's PERSPECTIVE data mapping output points ``dst`` to input points ``src``."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return np.linalg.solve(np.asarray(rows, float), np.asarray(rhs, float)).tolist()


def _yaw(image: Image.Image, degrees: float) -> Image.Image:
    """Compress the image horizontally by cos(yaw) and shrink the far side vertically (perspective)."""
    w, h = image.size
    a = np.radians(abs(degrees))
    squeeze = float(np.cos(a))
    near, far = 1.0, 1.0 - 0.35 * float(np.sin(a))  # vertical extent of the near / far edge
    left = w * (1 - squeeze) / 2
    right = w - left
    top = lambda s: h * (1 - s) / 2
    if degrees >= 0:  # far side on the right
        dst = [(left, top(near)), (right, top(far)), (right, h - top(far)), (left, h - top(near))]
    else:
        dst = [(left, top(far)), (right, top(near)), (right, h - top(near)), (left, h - top(far))]
    src = [(0, 0), (w, 0), (w, h), (0, h)]
    return image.transform((w, h), Image.Transform.PERSPECTIVE, _perspective_coefficients(src, dst),
                           Image.Resampling.BICUBIC, fillcolor=(128, 128, 128))


def _sign(rng: np.random.Generator) -> float:
    return 1.0 if rng.random() < 0.5 else -1.0


def _conditions() -> list[Condition]:
    at128 = lambda im, f: _scale(im, f, BLUR_FACE)
    out = [Condition("clean", "clean", lambda im, f, r: im.convert("RGB"))]
    for s in (24, 32, 40, 48, 56, 64, 80, 96, 128):
        out.append(Condition(f"size{s}", "size", lambda im, f, r, s=s: _jpeg(_scale(im, f, s), 90)))
    for sigma in (1, 2, 3, 5):
        out.append(Condition(f"gauss{sigma}", "blur",
                             lambda im, f, r, s=sigma: _jpeg(at128(im, f).filter(ImageFilter.GaussianBlur(s)), 90)))
    for length in (5, 9, 15):
        out.append(Condition(f"motion{length}", "blur", lambda im, f, r, n=length: _jpeg(
            _motion_blur(at128(im, f), n, float(r.uniform(0, 180))), 90)))
    for q in (5, 10, 20, 40):
        out.append(Condition(f"jpeg{q}", "jpeg", lambda im, f, r, q=q: _jpeg(at128(im, f), q)))
    for a in (15, 30, 45):
        out.append(Condition(f"roll{a}", "roll", lambda im, f, r, a=a: _jpeg(_rotate(at128(im, f), a * _sign(r)), 90)))
    for a in (20, 35, 50):
        out.append(Condition(f"yaw{a}", "yaw", lambda im, f, r, a=a: _jpeg(_yaw(at128(im, f), a * _sign(r)), 90)))
    out += [
        Condition("cctv", "combined", lambda im, f, r: _jpeg(
            _scale(im, f, 40).filter(ImageFilter.GaussianBlur(0.8)), 30)),
        Condition("webcam", "combined", lambda im, f, r: _jpeg(
            _motion_blur(_scale(im, f, 64), 3, float(r.uniform(0, 180))), 50)),
        Condition("badge", "combined", lambda im, f, r: _jpeg(_scale(im, f, 64), 60)),
        Condition("scan", "combined", lambda im, f, r: _jpeg(
            _scale(im, f, 96).filter(ImageFilter.GaussianBlur(1.0)), 40)),
    ]
    # Added after the first measurement to find where embeddings break; appended so that the conditions
    # above keep their index (the index seeds each condition's random choices).
    for sz in (16, 20):
        out.append(Condition(f"size{sz}", "size", lambda im, f, r, s=sz: _jpeg(_scale(im, f, s), 90)))
    for sigma in (4, 7, 10):
        out.append(Condition(f"gauss{sigma}", "blur",
                             lambda im, f, r, s=sigma: _jpeg(at128(im, f).filter(ImageFilter.GaussianBlur(s)), 90)))
    for length in (21, 31):
        out.append(Condition(f"motion{length}", "blur", lambda im, f, r, n=length: _jpeg(
            _motion_blur(at128(im, f), n, float(r.uniform(0, 180))), 90)))
    for a in (60, 80):
        out.append(Condition(f"roll{a}", "roll", lambda im, f, r, a=a: _jpeg(_rotate(at128(im, f), a * _sign(r)), 90)))
    return out


CONDITIONS: tuple[Condition, ...] = tuple(_conditions())


def condition(name: str) -> Condition:
    for c in CONDITIONS:
        if c.name == name:
            return c
    raise KeyError(f"unknown condition {name!r}; known: {[c.name for c in CONDITIONS]}")


def face_crop(image: Image.Image, box: np.ndarray, margin: float = 1.0) -> tuple[Image.Image, float]:
    """A square crop centred on ``box`` with ``margin`` face widths around it; (crop, face size)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    side = max(x2 - x1, y2 - y1)
    half = side * (1 + 2 * margin) / 2
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    crop = image.convert("RGB").crop((round(cx - half), round(cy - half), round(cx + half), round(cy + half)))
    return crop, float(min(x2 - x1, y2 - y1))


def degrade(crop: Image.Image, face_size: float, name: str, *, seed: int = DEVELOPMENT_SEED,
            face_index: int = 0) -> Image.Image:
    """The crop under one named condition; the same (seed, face_index, name) always gives the same image."""
    index = [c.name for c in CONDITIONS].index(condition(name).name)
    rng = np.random.default_rng([seed, face_index, index])
    return condition(name).apply(crop, face_size, rng)

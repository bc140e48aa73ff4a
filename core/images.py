"""Image decoding with validation: every bad upload becomes ``InvalidInput`` before pixels are allocated.

Accepted formats: JPEG, PNG, TIFF (every page), WebP, BMP. EXIF orientation is applied, so a
phone photo taken sideways arrives upright. Size limits are checked on the header, so a
decompression bomb (a tiny PNG declaring 50k x 50k pixels) is refused without decoding it.

>>> from io import BytesIO; from PIL import Image
>>> buf = BytesIO(); Image.new("RGB", (4, 3)).save(buf, "PNG")
>>> decode_image(buf.getvalue()).size
(4, 3)
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Union

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from core.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from core.schemas import ImageLimits

if TYPE_CHECKING:
    import numpy as np

SUPPORTED_FORMATS: frozenset[str] = frozenset({"JPEG", "MPO", "PNG", "TIFF", "WEBP", "BMP"})
ImageInput = Union[bytes, bytearray, memoryview, str, Path, Image.Image, "np.ndarray"]

_DEFAULT_LIMITS = ImageLimits()
# Ultralytics replaces PIL.Image.open on import (to add HEIF support it may try to pip-install);
# decoding must not depend on which library was imported last, so keep PIL's own function.
_PIL_OPEN = Image.open


def _check_bytes(data: bytes, limits: ImageLimits) -> None:
    if len(data) == 0:
        raise InvalidInput("image is empty (0 bytes)")
    if len(data) > limits.max_bytes:
        raise PayloadTooLarge(
            f"image is {len(data):,} bytes; the limit is {limits.max_bytes:,} bytes",
            size=len(data),
            limit=limits.max_bytes,
        )


def _open(data: bytes) -> Image.Image:
    if data[:5] == b"%PDF-":
        raise UnsupportedMediaType("this is a PDF, not an image; send it to an endpoint that reads documents")
    try:
        img = _PIL_OPEN(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise PayloadTooLarge(f"image declares too many pixels: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedMediaType(
            "not an image in a supported format (" + ", ".join(sorted(SUPPORTED_FORMATS - {"MPO"})) + ")"
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(f"corrupt image header: {exc}") from exc
    if img.format not in SUPPORTED_FORMATS:
        raise UnsupportedMediaType(
            f"image format {img.format} is not supported; send JPEG, PNG, TIFF, WebP or BMP", format=img.format
        )
    return img


def _check_pixels(frame: Image.Image, limits: ImageLimits, page: int) -> None:
    width, height = frame.size
    if width <= 0 or height <= 0:
        raise InvalidInput(f"image page {page} has an empty size {width}x{height}")
    if width * height > limits.max_pixels:
        raise PayloadTooLarge(
            f"image page {page} declares {width}x{height} = {width * height:,} pixels; the limit is "
            f"{limits.max_pixels:,} (possible decompression bomb)",
            width=width,
            height=height,
            limit=limits.max_pixels,
        )


def _materialise(frame: Image.Image, page: int) -> Image.Image:
    try:
        frame.load()
        upright = ImageOps.exif_transpose(frame)
        return upright.convert("RGB")
    except Image.DecompressionBombError as exc:
        raise PayloadTooLarge(f"image page {page} is too large to decode: {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidInput(f"image page {page} is corrupt or truncated: {exc}") from exc


def probe_image(data: bytes, limits: ImageLimits = _DEFAULT_LIMITS) -> tuple[str, int, int]:
    """Check bytes, format and declared size from the header only; return ``(format, width, height)``.

    Cheap enough for a gateway to run on every upload before forwarding it to a model.
    """
    data = bytes(data)
    _check_bytes(data, limits)
    img = _open(data)
    _check_pixels(img, limits, 0)
    return str(img.format), img.size[0], img.size[1]


def decode_pages(data: bytes, limits: ImageLimits = _DEFAULT_LIMITS) -> list[Image.Image]:
    """Decode every page (TIFF) or the single frame of an image into upright RGB images."""
    data = bytes(data)
    _check_bytes(data, limits)
    img = _open(data)
    pages: list[Image.Image] = []
    multi_page = img.format == "TIFF" and getattr(img, "n_frames", 1) > 1
    frames = ImageSequence.Iterator(img) if multi_page else [img]
    total = 0
    try:
        for index, frame in enumerate(frames):
            if index >= limits.max_pages:
                raise PayloadTooLarge(f"document has more than {limits.max_pages} pages", limit=limits.max_pages)
            _check_pixels(frame, limits, index)
            total += frame.size[0] * frame.size[1]
            if total > limits.document_pixels:  # pixels x pages, checked before this page is decoded
                raise PayloadTooLarge(f"the first {index + 1} pages are {total:,} pixels together; the limit is "
                                      f"{limits.document_pixels:,} per document", pixels=total,
                                      limit=limits.document_pixels)
            pages.append(_materialise(frame, index))
    except (OSError, EOFError) as exc:  # a broken page table while seeking
        raise InvalidInput(f"multi-page image is corrupt: {exc}") from exc
    return pages


def decode_image(data: bytes, limits: ImageLimits = _DEFAULT_LIMITS) -> Image.Image:
    """Decode one image (the first page of a multi-page TIFF) into an upright RGB image."""
    data = bytes(data)
    _check_bytes(data, limits)
    img = _open(data)
    _check_pixels(img, limits, 0)
    return _materialise(img, 0)


def load_image(item: ImageInput, limits: ImageLimits = _DEFAULT_LIMITS) -> Image.Image:
    """Accept bytes, a file path, a PIL image or an ``HxW[xC]`` uint8 array; return an RGB PIL image."""
    if isinstance(item, Image.Image):
        _check_pixels(item, limits, 0)
        return item if item.mode == "RGB" else item.convert("RGB")
    if isinstance(item, (bytes, bytearray, memoryview)):
        return decode_image(bytes(item), limits)
    if isinstance(item, (str, Path)):
        path = Path(item)
        if not path.is_file():
            raise InvalidInput(f"image file {str(path)!r} does not exist")
        if path.stat().st_size > limits.max_bytes:
            raise PayloadTooLarge(f"image file {str(path)!r} exceeds {limits.max_bytes:,} bytes")
        return decode_image(path.read_bytes(), limits)
    return _from_array(item, limits)


def _from_array(item: object, limits: ImageLimits) -> Image.Image:
    import numpy as np

    if not isinstance(item, np.ndarray):
        raise InvalidInput(
            f"expected image bytes, a path, a PIL image or a numpy array, got {type(item).__name__}"
        )
    if item.ndim not in (2, 3) or (item.ndim == 3 and item.shape[2] not in (1, 3, 4)):
        raise InvalidInput(f"image array must be HxW or HxWx(1|3|4), got shape {item.shape}")
    if item.dtype != np.uint8:
        raise InvalidInput(f"image array must be uint8, got {item.dtype}")
    height, width = item.shape[:2]
    if width * height > limits.max_pixels or width == 0 or height == 0:
        raise InvalidInput(f"image array of {width}x{height} pixels is empty or over the limit")
    array = item[:, :, 0] if item.ndim == 3 and item.shape[2] == 1 else item
    return Image.fromarray(array).convert("RGB")

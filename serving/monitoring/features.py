"""Per-item summary features that carry no personal data: image and text statistics, record values by column.

Images are measured on a small grey thumbnail (JPEGs are decoded at reduced scale), so an image
costs a few milliseconds whatever its size; blur is the variance of the Laplacian of that thumbnail.

>>> sorted(text_features("Hello world 42"))[:3]
['chars', 'digit_share', 'mean_token_len']
"""
from __future__ import annotations

import io
import math
import string
from typing import Any

import numpy as np

THUMBNAIL = 128  # longest side of the thumbnail image statistics are measured on
IMAGE_FEATURES = ("width", "height", "aspect", "brightness", "contrast", "blur")
TEXT_FEATURES = ("chars", "tokens", "mean_token_len", "non_ascii_share", "digit_share", "upper_share",
                 "punct_share")
_PUNCT = frozenset(string.punctuation)
MAX_NAME_CHARS = 64
Value = float | str | None


def image_features(data: bytes) -> dict[str, float]:
    """Size, brightness (mean grey 0-255), contrast (grey std), blur (Laplacian variance, lower = blurrier)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        width, height = img.size
        if img.format == "JPEG":
            # decode at 1/2, 1/4 or 1/8 scale in the DCT domain (much cheaper), keeping the long side >= THUMBNAIL
            scale = max((s for s in (1, 2, 4, 8) if max(width, height) / s >= THUMBNAIL), default=1)
            img.draft("L", (max(1, width // scale), max(1, height // scale)))
        grey = img.convert("L")
    grey.thumbnail((THUMBNAIL, THUMBNAIL))
    a = np.asarray(grey, dtype=np.float32)
    if a.shape[0] >= 3 and a.shape[1] >= 3:
        lap = a[1:-1, :-2] + a[1:-1, 2:] + a[:-2, 1:-1] + a[2:, 1:-1] - 4.0 * a[1:-1, 1:-1]
        blur = float(lap.var())
    else:
        blur = 0.0
    return {"width": float(width), "height": float(height), "aspect": width / max(height, 1),
            "brightness": float(a.mean()), "contrast": float(a.std()), "blur": blur}


def text_features(text: str) -> dict[str, float]:
    """Length in characters and whitespace tokens, and the shares of non-ASCII, digit, upper-case, punctuation."""
    n = len(text)
    tokens = text.split()
    if n == 0:
        return dict.fromkeys(TEXT_FEATURES, 0.0)
    non_ascii = digits = upper = punct = 0
    for ch in text:
        if ch > "\x7f":
            non_ascii += 1
        elif ch.isdigit():
            digits += 1
        elif ch.isupper():
            upper += 1
        elif ch in _PUNCT:
            punct += 1
    return {"chars": float(n), "tokens": float(len(tokens)),
            "mean_token_len": sum(map(len, tokens)) / len(tokens) if tokens else 0.0,
            "non_ascii_share": non_ascii / n, "digit_share": digits / n, "upper_share": upper / n,
            "punct_share": punct / n}


def is_id_column(name: str) -> bool:
    """Identifiers are neither features nor safe to keep: ``id``, ``customer_id``, ``request-id``..."""
    low = name.lower()
    return low == "id" or low.endswith(("_id", "-id", "id_")) or low in ("uuid", "key")


def record_features(record: dict[str, Any]) -> dict[str, Value]:
    """A record's scalar fields (identifiers dropped): numbers as float, booleans and strings as categories."""
    out: dict[str, Value] = {}
    for name, value in record.items():
        if not isinstance(name, str) or is_id_column(name):
            continue
        out[name[:MAX_NAME_CHARS]] = scalar(value)  # a column name is stored: a 1 MB one is cut, not kept
    return out


def output_features(result: Any, prefix: str = "output.") -> dict[str, Value]:
    """Top-level scalar fields of a model's answer (score, label, decile...), for prediction drift."""
    if not isinstance(result, dict):
        return {}
    out: dict[str, Value] = {}
    for name, value in result.items():
        if not isinstance(name, str) or is_id_column(name) or name == "error":
            continue
        if isinstance(value, (bool, int, float)) or (isinstance(value, str) and len(value) <= 64):
            out[prefix + name] = scalar(value)
        if len(out) >= 20:
            break
    return out


def scalar(value: Any) -> Value:
    """None/NaN → None (missing); bool → 'true'/'false'; numbers → float; anything else → str."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, np.integer, np.floating)):
        try:
            number = float(value)
        except OverflowError:  # an integer of hundreds of digits: counted as an unusable number downstream
            number = math.inf if value > 0 else -math.inf
        return None if math.isnan(number) else number
    if isinstance(value, str):
        stripped = value.strip()
        return stripped if stripped else None
    return str(value)[:64]

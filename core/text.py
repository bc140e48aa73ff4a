"""Text validation: empty, whitespace-only, over-long, non-UTF-8 and lone-surrogate inputs become ``InvalidInput``.

>>> validate_text("  great film ")
'great film'
"""
from __future__ import annotations

import unicodedata

from core.errors import InvalidInput, PayloadTooLarge
from core.schemas import TextLimits

_DEFAULT_LIMITS = TextLimits()


def decode_utf8(data: bytes) -> str:
    """Decode strict UTF-8; the error names the byte offset of the first bad sequence."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"text is not valid UTF-8 (bad byte 0x{data[exc.start]:02x} at offset {exc.start})",
            offset=exc.start,
        ) from exc


def validate_text(text: str | bytes, limits: TextLimits = _DEFAULT_LIMITS, *, field: str = "text") -> str:
    """Return the NFC-normalised, stripped text, or raise ``InvalidInput`` saying what is wrong."""
    if isinstance(text, (bytes, bytearray)):
        text = decode_utf8(bytes(text))
    if not isinstance(text, str):
        raise InvalidInput(f"{field} must be a string, got {type(text).__name__}", field=field)
    if "\x00" in text:
        raise InvalidInput(f"{field} contains a NUL character", field=field)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone UTF-16 surrogate, e.g. from the JSON escape \ud800
        raise InvalidInput(f"{field} contains a lone surrogate (U+{ord(text[exc.start]):04X} at position "
                           f"{exc.start}): not valid Unicode", field=field, offset=exc.start) from exc
    stripped = unicodedata.normalize("NFC", text).strip()
    if not stripped:
        raise InvalidInput(f"{field} is empty or whitespace only", field=field)
    if len(stripped) > limits.max_chars:
        raise PayloadTooLarge(
            f"{field} has {len(stripped):,} characters; the limit is {limits.max_chars:,}",
            field=field,
            limit=limits.max_chars,
        )
    return stripped


def validate_texts(texts: list[str] | tuple[str, ...], limits: TextLimits = _DEFAULT_LIMITS) -> list[str]:
    """Validate a batch; the error names the index of the first bad item."""
    if isinstance(texts, (str, bytes)):
        raise InvalidInput("expected a list of texts, got a single string")
    out = []
    for index, item in enumerate(texts):
        try:
            out.append(validate_text(item, limits))
        except InvalidInput as exc:
            raise type(exc)(f"item {index}: {exc.message}", index=index, **exc.detail) from exc
    return out

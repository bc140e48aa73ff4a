"""Text validation: empty, whitespace-only, over-long and invalid UTF-8 texts raise InvalidInput."""
from __future__ import annotations

import pytest

from core.errors import InvalidInput, PayloadTooLarge
from core.schemas import TextLimits
from core.text import validate_text, validate_texts


def test_valid_text_is_stripped_and_normalised() -> None:
    assert validate_text("  cafe\u0301 ") == "caf\u00e9"
    assert validate_text(b"ok") == "ok"


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_or_whitespace(text: str) -> None:
    with pytest.raises(InvalidInput, match="empty or whitespace"):
        validate_text(text)


def test_over_long() -> None:
    with pytest.raises(PayloadTooLarge, match="limit is 10"):
        validate_text("x" * 11, TextLimits(max_chars=10))


def test_invalid_utf8_names_the_offset() -> None:
    with pytest.raises(InvalidInput, match="not valid UTF-8.*offset 3"):
        validate_text(b"abc\xff\xfe")


def test_nul_and_non_string() -> None:
    with pytest.raises(InvalidInput, match="NUL"):
        validate_text("a\x00b")
    with pytest.raises(InvalidInput, match="must be a string"):
        validate_text(12)  # type: ignore[arg-type]


def test_batch_names_the_bad_index() -> None:
    with pytest.raises(InvalidInput, match="item 1: text is empty"):
        validate_texts(["fine", " "])
    with pytest.raises(InvalidInput, match="list of texts"):
        validate_texts("a single string")  # type: ignore[arg-type]


def test_lone_surrogate_is_invalid_input() -> None:
    # json.loads('"\\ud800 good"') gives such a string; it cannot be encoded (a 500 deep in the tokenizer before)
    with pytest.raises(InvalidInput, match="surrogate.*position 0"):
        validate_text("\ud800 good")
    assert validate_text("\U0001F600 good") == "\U0001F600 good"

"""Texts for the NLP command lines: given as arguments and/or a UTF-8 file with one text per line."""
from __future__ import annotations

from pathlib import Path

from core.errors import InvalidInput


def gather_texts(texts: list[str] | None, file: Path | None) -> list[str]:
    """Arguments first, then the file's non-blank lines; at least one text or ``InvalidInput``."""
    items = list(texts or [])
    if file is not None:
        if not file.is_file():
            raise InvalidInput(f"file {str(file)!r} does not exist")
        items += [line for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not items:
        raise InvalidInput("give texts as arguments or --file")
    return items

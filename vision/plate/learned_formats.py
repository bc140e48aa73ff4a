"""Plate formats learned from a client's labels: the letter/digit sequences their plates use, as templates.

The hand-written templates (``formats.py``) cover the countries we know; a client's plates (a US state,
Indonesia, the EU) may use others. Every labelled text gives its class sequence (``ABC123`` -> ``LLLDDD``);
sequences seen at least ``min_count`` times become templates of country ``CLIENT`` with a log-prior from
their share, so the constrained decoder prefers the client's common layouts. Rare sequences (vanity plates)
are not templates: free decoding reads them (``read.TemplateDecoder`` returns free text where no template
fits nearly as well).

>>> [(f.template, round(f.prior, 2)) for f in learn_formats(["ABC123", "XYZ789", "AB1C2D", "HELLO"])]
[('LLLDDD', 0.0)]
"""
from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from core.errors import DataFormatError, InvalidInput
from vision.plate.formats import LETTERS, PlateFormat, normalise

CLIENT = "CLIENT"
FILE_NAME = "formats.json"
MIN_LENGTH, MAX_LENGTH = 2, 10


def template_of(text: str) -> str:
    """The letter/digit class sequence of a normalised plate text (``ABC123`` -> ``LLLDDD``)."""
    return "".join("L" if c in LETTERS else "D" for c in normalise(text))


def learn_formats(texts: Iterable[str], min_count: int = 2, prior_scale: float = 0.5) -> list[PlateFormat]:
    """Templates of the class sequences seen at least ``min_count`` times, most frequent first; each with a
    log-prior ``prior_scale * log(count / most frequent count)`` (0 for the most frequent, negative below)."""
    if min_count < 1:
        raise InvalidInput("min_count must be at least 1")
    counts = Counter(template_of(t) for t in texts if MIN_LENGTH <= len(normalise(t)) <= MAX_LENGTH)
    kept = [(template, n) for template, n in counts.most_common() if n >= min_count]
    if not kept:
        return []
    top = kept[0][1]
    return [PlateFormat(f"client_{template}", CLIENT, template, prior=prior_scale * math.log(n / top))
            for template, n in kept]


def save_formats(formats: Sequence[PlateFormat], path: Path, counts: dict[str, int] | None = None) -> Path:
    """Write the templates as JSON (``[{name, country, template, prior}]``)."""
    rows = [{"name": f.name, "country": f.country, "template": f.template, "prior": round(f.prior, 4),
             **({"count": counts.get(f.template, 0)} if counts else {})} for f in formats]
    path.write_text(json.dumps({"formats": rows}, indent=2))
    return path


def load_formats(path: Path) -> list[PlateFormat]:
    """Read templates written by ``save_formats``; a malformed file raises ``DataFormatError``."""
    try:
        rows = json.loads(Path(path).read_text())["formats"]
        formats = [PlateFormat(str(r["name"]), str(r["country"]), str(r["template"]), float(r["prior"])) for r in rows]
    except (ValueError, KeyError, TypeError) as exc:
        raise DataFormatError(path, None, f"expected {{'formats': [{{name, country, template, prior}}]}}: {exc}") from exc
    for index, fmt in enumerate(formats):
        if not fmt.template or set(fmt.template) - {"L", "D"}:
            raise DataFormatError(path, None, f"format {index} has template {fmt.template!r}; use L and D only")
    return formats

"""The pip requirements a client's image needs: the project's own, plus the extras of its tasks.

Read from the installed distribution's metadata (``Requires-Dist`` with ``extra == "..."`` markers),
so the image installs the same pins this machine was tested with; extras that name other extras
(``ocr`` → ``ai-services[torch]``) are followed.
"""
from __future__ import annotations

import importlib.metadata

from packaging.requirements import Requirement

from core.errors import ConfigError

DISTRIBUTION = "ai-services"


def known_extras(distribution: str = DISTRIBUTION) -> set[str]:
    try:
        return set(importlib.metadata.metadata(distribution).get_all("Provides-Extra") or [])
    except importlib.metadata.PackageNotFoundError as exc:
        raise ConfigError(f"{distribution} is not installed: install it (scripts/install.sh) before building") from exc


def requirements_for(extras: set[str], distribution: str = DISTRIBUTION) -> list[str]:
    """Requirement strings (without markers) for the base install plus ``extras``, sorted, no duplicates."""
    try:
        meta = importlib.metadata.metadata(distribution)
        declared = [Requirement(text) for text in importlib.metadata.requires(distribution) or []]
    except importlib.metadata.PackageNotFoundError as exc:
        raise ConfigError(f"{distribution} is not installed: install it (scripts/install.sh) before building") from exc
    known = set(meta.get_all("Provides-Extra") or [])
    unknown = extras - known
    if unknown:
        raise ConfigError(f"unknown extra(s) {sorted(unknown)} of {distribution}; it has {sorted(known)}")
    out = {_plain(req) for req in declared if req.marker is None}
    done: set[str] = set()
    todo = set(extras)
    while todo:
        extra = todo.pop()
        done.add(extra)
        for req in declared:
            if req.marker is None or not req.marker.evaluate({"extra": extra}):
                continue
            if req.name == distribution:  # an extra that pulls in other extras: ocr -> ai-services[torch]
                todo |= set(req.extras) - done
            else:
                out.add(_plain(req))
    return sorted(out)


def _plain(req: Requirement) -> str:
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    return f"{req.name}{extras}{req.specifier}"

"""Planogram specs from YAML/JSON/dicts with clear validation errors, and a folder store keyed by fixture id.

>>> spec = parse_planogram({"fixture_id": "bay-1", "shelves": [[{"sku": "A", "facings": 2}]]})
>>> spec.shelves[0].sequence()
['A', 'A']
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from core.errors import InvalidInput, NotFound
from core.offline import state_dir
from vision.planogram.schemas import PlanogramSpec

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{where}: {err['msg']}")
    return "invalid planogram: " + "; ".join(parts)


def parse_planogram(source: PlanogramSpec | dict[str, Any] | str | Path) -> PlanogramSpec:
    """Accept a spec, a dict, a YAML/JSON string or a file path; raise InvalidInput naming the bad field."""
    if isinstance(source, PlanogramSpec):
        return source
    data: Any = source
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and source.endswith(
            (".yaml", ".yml", ".json"))):
        path = Path(source)
        if not path.is_file():
            raise InvalidInput(f"planogram file {str(path)!r} does not exist")
        data = path.read_text()
    if isinstance(data, str):
        try:
            data = yaml.safe_load(data)
        except yaml.YAMLError as exc:
            raise InvalidInput(f"planogram is not valid YAML/JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInput("planogram must be a mapping with 'fixture_id' and 'shelves' (a list, top to bottom)")
    try:
        return PlanogramSpec.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(_explain(exc), errors=json.loads(exc.json(include_url=False))) from exc


def checked_fixture_id(fixture_id: str) -> str:
    """A fixture id as every store accepts it (it names a file in the embedded store)."""
    if not _SAFE_ID.match(fixture_id):
        raise InvalidInput(f"fixture id {fixture_id!r} must be 1-128 letters, digits, '.', '_' or '-'")
    return fixture_id


class PlanogramStore:
    """Planograms saved as ``<root>/<fixture_id>.yaml`` (what ``/planogram/check`` looks up by id).

    The embedded backend; ``vision.planogram.store`` has the PostgreSQL one and picks between them.
    """

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else state_dir() / "planograms"

    def _path(self, fixture_id: str) -> Path:
        return self.root / f"{checked_fixture_id(fixture_id)}.yaml"

    def put(self, spec: PlanogramSpec | dict[str, Any] | str | Path) -> PlanogramSpec:
        parsed = parse_planogram(spec)
        path = self._path(parsed.fixture_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(parsed.model_dump(mode="json"), sort_keys=False))
        return parsed

    def get(self, fixture_id: str) -> PlanogramSpec:
        path = self._path(fixture_id)
        if not path.is_file():
            raise NotFound(f"no planogram for fixture {fixture_id!r}; known: {', '.join(self.ids()) or 'none'}")
        return parse_planogram(path)

    def ids(self) -> list[str]:
        return sorted(p.stem for p in self.root.glob("*.yaml")) if self.root.is_dir() else []

    def delete(self, fixture_id: str) -> None:
        path = self._path(fixture_id)
        if not path.is_file():
            raise NotFound(f"no planogram for fixture {fixture_id!r}")
        path.unlink()

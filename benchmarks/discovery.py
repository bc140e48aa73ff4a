"""Find the tasks to benchmark through the task registry, and which of them run on torch.

When the project is not pip-installed (a bare machine with only the repository, as in
``gpu.sh``), package metadata has no entry points; we then read the same ``ais.tasks`` table
from ``pyproject.toml``, so the list of tasks still has a single source of truth.
"""
from __future__ import annotations

import importlib.metadata
import logging
import os
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from core.registry import TASKS_GROUP, TaskSpec, get_spec, load_object, task_names

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
DIST = "ai-services"


@dataclass(frozen=True)
class Candidate:
    """A task to benchmark: its spec, or why it could not even be listed."""

    name: str
    spec: TaskSpec | None
    reason: str = ""
    ref: str = ""  # what a worker process resolves: the registered name or "module:ATTR"


def _pyproject() -> dict:
    path = REPO / "pyproject.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def registered_names() -> list[str]:
    names = task_names()
    if names:
        return names
    table = _pyproject().get("project", {}).get("entry-points", {}).get(TASKS_GROUP, {})
    if table:
        log.info("project not installed; reading task entry points from pyproject.toml")
    return sorted(table)


def _load_spec(name: str) -> TaskSpec:
    if task_names():
        return get_spec(name)
    table = _pyproject().get("project", {}).get("entry-points", {}).get(TASKS_GROUP, {})
    if name not in table:
        from core.errors import ModelNotFound

        raise ModelNotFound(f"unknown task {name!r}; registered tasks: {', '.join(sorted(table)) or 'none'}")
    spec = load_object(table[name])
    if not isinstance(spec, TaskSpec):
        raise TypeError(f"{table[name]} is not a TaskSpec")
    return spec


def candidates(names: list[str] | None = None, spec_paths: list[str] | None = None) -> list[Candidate]:
    """Specs for ``names`` (all registered when None) plus unregistered specs given as ``module:ATTR``.

    A task whose spec module cannot be imported is returned with the reason instead of failing the run.
    """
    found: list[Candidate] = []
    wanted = registered_names() if names is None else names
    for name in wanted:
        try:
            found.append(Candidate(name, _load_spec(name), ref=name))
        except Exception as exc:  # noqa: BLE001 - a broken task must not stop the others
            found.append(Candidate(name, None, f"spec not loadable: {type(exc).__name__}: {exc}", ref=name))
    if spec_paths and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # like `python -m`: a spec module may live in the current project
    for path in spec_paths or []:
        spec = load_object(path)
        if not isinstance(spec, TaskSpec):
            raise TypeError(f"{path} is not a TaskSpec")
        found.append(Candidate(spec.name, spec, ref=path))
    return found


_EXTRA_MARKER = re.compile(r"""extra\s*==\s*['"]([^'"]+)['"]""")


def _extra_requirements() -> dict[str, list[str]]:
    """extra -> requirement strings, from installed metadata or else pyproject.toml."""
    extras: dict[str, list[str]] = {}
    try:
        for req in importlib.metadata.requires(DIST) or []:
            spec, _, marker = req.partition(";")
            match = _EXTRA_MARKER.search(marker)
            if match:
                extras.setdefault(match.group(1), []).append(spec.strip())
    except importlib.metadata.PackageNotFoundError:
        pass
    if not extras:
        extras = {k: list(v) for k, v in _pyproject().get("project", {}).get("optional-dependencies", {}).items()}
    return extras


def torch_extras() -> set[str]:
    """Extras that install torch, directly or through another extra (``ai-services[torch]``)."""
    extras = _extra_requirements()
    uses: set[str] = set()
    changed = True
    while changed:
        changed = False
        for extra, reqs in extras.items():
            if extra in uses:
                continue
            for req in reqs:
                name = re.split(r"[\s\[<>=!~;]", req, maxsplit=1)[0].lower()
                nested = set(re.findall(r"\[([^\]]+)\]", req)[0].split(",")) if "[" in req else set()
                if name == "torch" or (name == DIST and nested & uses):
                    uses.add(extra)
                    changed = True
                    break
    return uses


def is_torch_task(spec: TaskSpec) -> bool:
    return spec.extra in torch_extras() or "torch" in spec.requires

"""The layering of ARCHITECTURE.md, checked: imports only point down.

core <- model packages (vision, nlp, tabular) <- serving <- benchmarks
core <- batch (reaches tasks through the registry only, never serving or benchmarks)
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# package -> top-level project packages it must never import
FORBIDDEN = {
    "core": {"vision", "nlp", "tabular", "serving", "benchmarks", "batch"},
    "vision": {"serving", "benchmarks", "nlp", "tabular", "batch"},
    "nlp": {"serving", "benchmarks", "vision", "tabular", "batch"},
    "tabular": {"serving", "benchmarks", "vision", "nlp", "batch"},
    "serving": {"benchmarks"},
    "batch": {"serving", "benchmarks", "vision", "nlp", "tabular"},
}


def _imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_down(package: str) -> None:
    violations = []
    for path in sorted((REPO / package).rglob("*.py")):
        bad = _imported_top_levels(path) & FORBIDDEN[package]
        if bad:
            violations.append(f"{path.relative_to(REPO)} imports {sorted(bad)}")
    assert not violations, "\n".join(violations)


def test_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from serving.gateway import app\nimport benchmarks.run\n")
    assert _imported_top_levels(bad) == {"serving", "benchmarks"}

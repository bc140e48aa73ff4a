"""Task discovery: the registry first, pyproject.toml when the project is not installed; torch-based tasks."""
from __future__ import annotations

import pytest

from benchmarks import discovery
from tests.benchmarks.toy import SPEC, UNAVAILABLE


def test_falls_back_to_pyproject_when_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = discovery.registered_names()
    monkeypatch.setattr(discovery, "task_names", list)
    assert discovery.registered_names() == installed  # same table, read from pyproject.toml
    [missing] = discovery.candidates(["no-such-task"])
    assert missing.spec is None and "no-such-task" in missing.reason


def test_torch_extras_follow_nested_extras() -> None:
    extras = discovery.torch_extras()
    assert {"torch", "ocr", "plate", "nlp"} <= extras  # plate -> ocr -> torch
    assert "tabular" not in extras and "bench" not in extras
    assert not discovery.is_torch_task(SPEC)
    assert discovery.is_torch_task(type(UNAVAILABLE)(**{**UNAVAILABLE.__dict__, "extra": "plate"}))

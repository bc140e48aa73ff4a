"""TaskSpec: reduced evaluation sets for quick benchmarks are declared per dataset name and checked."""
from __future__ import annotations

import pytest

from core.errors import ConfigError, ModelNotFound
from core.registry import TaskSpec
from tests.benchmarks.toy import SPEC


def test_quick_picks_the_reduced_set_and_falls_back_to_the_full_one() -> None:
    assert len(SPEC.dataset("tiny")) == 4
    assert len(SPEC.dataset("tiny", quick=True)) == 2
    no_quick = TaskSpec(name="t", summary="", task="x:y", extra="e", datasets=dict(SPEC.datasets))
    assert len(no_quick.dataset("tiny", quick=True)) == 4


def test_quick_set_for_an_unknown_dataset_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="quick_datasets"):
        TaskSpec(name="t", summary="", task="x:y", extra="e", datasets={"a": "m:f"}, quick_datasets={"b": "m:g"})


def test_unknown_dataset_name_is_not_found() -> None:
    with pytest.raises(ModelNotFound, match="no dataset 'nope'"):
        SPEC.dataset("nope", quick=True)

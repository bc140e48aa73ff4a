"""One contract test over every registered task (in the spirit of sklearn's parametrize_with_checks).

Construct without loading, load, predict a batch of 1 and of 3, reject a bad input with
InvalidInput, and return JSON-serialisable pydantic results. Loading real weights is slow, so these
run in the slow tier; construction and spec checks run in the fast tier.
"""
from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from core.errors import InvalidInput, ModelLoading
from core.registry import get_spec, task_names

TASKS = task_names()


@pytest.fixture(scope="module")
def loaded_tasks() -> dict[str, object]:
    return {}


def _spec_or_skip(name: str):
    spec = get_spec(name)
    missing = spec.missing_requirements()
    if missing:
        pytest.skip(f"{name} needs {missing} (extra '{spec.extra}')")
    return spec


@pytest.mark.parametrize("name", TASKS)
def test_spec_is_complete(name: str) -> None:
    spec = get_spec(name)
    assert spec.name == name
    assert spec.summary and spec.samples and spec.bad_input, "every task declares samples and a bad input"
    assert spec.task_class().name == name


@pytest.mark.parametrize("name", TASKS)
def test_construct_stores_only(name: str) -> None:
    task = _spec_or_skip(name).create(device="cpu")
    assert not task.loaded
    with pytest.raises(ModelLoading):
        task.predict([])  # predicting before load() is a clear error, not a silent load


@pytest.mark.slow
@pytest.mark.parametrize("name", TASKS)
def test_load_predict_reject(name: str) -> None:
    spec = _spec_or_skip(name)
    status = spec.weights_status()
    if not status.available:
        pytest.skip(f"{name}: default weights unavailable offline: {status.message}")
    task = spec.create(device="cpu").load()
    assert task.load() is task, "load() is idempotent and returns self"
    for n in (1, 3):
        inputs = spec.sample_inputs(n)
        results = task.predict(inputs)
        assert len(results) == n
        for result in results:
            assert isinstance(result, BaseModel)
            json.loads(result.model_dump_json())
    assert task.predict([]) == []
    with pytest.raises(InvalidInput):
        task.predict([spec.make_bad_input()])

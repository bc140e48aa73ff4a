"""Deployment files: validated, errors name the bad key, saved atomically."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from serving.config import DeploymentConfig, hash_key, load_config, parse_config, save_config

KEY = "0" * 64


def _config(**tasks: object) -> dict:
    return {"client": "acme", "tasks": tasks or {"sentiment": {}}, "keys": [{"tenant": "a", "sha256": KEY}]}


def test_minimal_config_gets_defaults() -> None:
    config = parse_config(_config())
    assert config.tasks["sentiment"].traffic.live == "default"
    assert config.limits.max_bytes > 0 and config.enabled_tasks() == ["sentiment"]


@pytest.mark.parametrize(
    ("tasks", "where"),
    [
        ({"nope": {}}, "tasks: Value error, unknown task"),
        ({"sentiment": {"traffic": {"canary_percent": 120, "canary": "x:1"}}}, "tasks.sentiment.traffic.canary_percent"),
        ({"sentiment": {"traffic": {"canary_percent": 10}}}, "needs a canary version"),
        ({"sentiment": {"colour": "red"}}, "tasks.sentiment.colour: Extra inputs"),
    ],
)
def test_errors_point_at_the_bad_key(tasks: dict, where: str) -> None:
    with pytest.raises(ConfigError, match=where.replace(".", r"\.").replace("(", r"\(")):
        parse_config(_config(**tasks))


def test_bad_key_hash_and_yaml(tmp_path: Path) -> None:
    bad = _config()
    bad["keys"][0]["sha256"] = "plain-text-key"
    with pytest.raises(ConfigError, match=r"keys\.0\.sha256"):
        parse_config(bad)
    path = tmp_path / "c.yaml"
    path.write_text("client: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    config = DeploymentConfig.model_validate(_config())
    path = tmp_path / "c.yaml"
    save_config(config, path)
    assert load_config(path) == config
    assert len(hash_key("k")) == 64


def test_a_mistyped_task_option_fails_the_config_naming_it() -> None:
    from core.errors import ConfigError
    from serving.config import parse_config

    with pytest.raises(ConfigError, match="neutral_bnad"):
        parse_config({"client": "c", "tasks": {"sentiment": {"options": {"neutral_bnad": 0.1}}}})
    assert parse_config({"client": "c", "tasks": {"sentiment": {"options": {"neutral_band": 0.1}}}})

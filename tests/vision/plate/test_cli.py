"""``ais plate``: help and the generate command (fast, no weights)."""
from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from vision.plate.cli import app

runner = CliRunner()


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("train", "train-reader", "evaluate", "evaluate-reader", "predict", "generate"):
        assert command in result.output


def test_generate_writes_a_yolo_dataset(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", str(tmp_path / "d"), "--n", "2", "--val", "1"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "d" / "data.yaml").exists()
    assert len(list((tmp_path / "d" / "images" / "train").glob("*.jpg"))) == 2


def test_generate_rejects_empty_sets(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", str(tmp_path / "d"), "--n", "0"])
    assert result.exit_code != 0

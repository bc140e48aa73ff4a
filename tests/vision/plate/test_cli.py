"""``ais plate``: help and the generate command (fast, no weights)."""
from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from vision.plate.cli import app

runner = CliRunner()


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("train", "train-reader", "evaluate", "evaluate-reader", "predict", "generate", "fine-tune"):
        assert command in result.output


def test_generate_writes_a_yolo_dataset(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", str(tmp_path / "d"), "--n", "2", "--val", "1"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "d" / "data.yaml").exists()
    assert len(list((tmp_path / "d" / "images" / "train").glob("*.jpg"))) == 2


def test_generate_rejects_empty_sets(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", str(tmp_path / "d"), "--n", "0"])
    assert result.exit_code != 0


def test_evaluate_rejects_an_unknown_split_and_a_malformed_label_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["evaluate", "--data", str(tmp_path), "--split", "dev"])
    assert result.exit_code != 0 and "--split" in result.output
    (tmp_path / "plates.csv").write_text("file,x,y,w,h\ncar.jpg,1,2,3,4\n")
    result = runner.invoke(app, ["evaluate", "--data", str(tmp_path / "plates.csv")])
    assert result.exit_code != 0
    assert "plates.csv:1" in str(result.exception)

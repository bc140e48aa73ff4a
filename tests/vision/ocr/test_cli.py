"""``ais ocr`` commands that fail before loading any model (fast)."""
from __future__ import annotations

from typer.testing import CliRunner

from core.errors import InvalidInput
from vision.ocr.cli import app

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("read", "evaluate", "compare", "predict"):
        assert command in result.output


def test_read_refuses_a_missing_file_before_loading(tmp_path) -> None:
    result = runner.invoke(app, ["read", str(tmp_path / "nope.png")])
    assert isinstance(result.exception, InvalidInput)

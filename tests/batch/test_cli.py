"""``ais batch`` as a command: its help, and bad arguments as one readable line (exit 2), before Ray starts."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _batch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "batch.cli", *args], capture_output=True, text=True, timeout=120,
                          cwd=REPO, check=False)


def test_help_names_the_options() -> None:
    out = _batch("--help")
    assert out.returncode == 0, out.stderr
    for option in ("--input", "--output", "--workers", "--batch-size", "--num-gpus", "--address"):
        assert option in out.stdout


def test_unknown_task_and_missing_input_are_one_line_errors(tmp_path: Path) -> None:
    out = _batch("no-such-task", "--input", str(tmp_path), "--output", str(tmp_path / "o.parquet"))
    assert out.returncode == 2 and "unknown task 'no-such-task'" in out.stderr
    out = _batch("sentiment", "--input", str(tmp_path / "gone.csv"), "--output", str(tmp_path / "o.parquet"))
    assert out.returncode == 2 and "does not exist" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_bad_task_option_is_refused_before_any_work(tmp_path: Path) -> None:
    texts = tmp_path / "t.csv"
    texts.write_text("text\nfine\n", encoding="utf-8")
    out = _batch("sentiment", "--input", str(texts), "--output", str(tmp_path / "o.parquet"), "--option", "nope=1")
    assert out.returncode == 2 and "invalid sentiment options" in out.stderr, out.stderr
    assert not (tmp_path / "o.parquet").exists()

"""The ``ais`` CLI: help lists every registered task; doctor reports environment and weights."""
from __future__ import annotations

import subprocess
import sys

from core.registry import task_names


def _ais(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core.cli", *args], check=False, capture_output=True, text=True, timeout=300)


def test_help_lists_every_task() -> None:
    out = _ais("--help")
    assert out.returncode == 0, out.stderr
    for name in task_names():
        assert name in out.stdout
    assert "doctor" in out.stdout


def test_every_command_has_help() -> None:
    from core.cli import command_names

    listing = _ais("--help").stdout
    for name in command_names():
        assert name in listing
        result = _ais(name, "--help")
        assert result.returncode == 0, f"ais {name} --help failed: {result.stderr}"
        assert "Usage" in result.stdout and len(result.stdout.splitlines()) > 3, result.stdout


def test_doctor_reports_versions_device_and_tasks() -> None:
    out = _ais("doctor")
    assert out.returncode == 0, out.stderr
    assert "python" in out.stdout and "device (auto)" in out.stdout
    for name in task_names():
        assert name in out.stdout


def test_unknown_command_is_a_clean_error() -> None:
    out = _ais("no-such-command")
    assert out.returncode != 0 and "Traceback" not in out.stderr

"""The ``ais`` CLI: help lists every registered task; doctor reports environment and weights."""
from __future__ import annotations

import subprocess
import sys

from core.registry import task_names


def _ais(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core.cli", *args], capture_output=True, text=True, timeout=300)


def test_help_lists_every_task() -> None:
    out = _ais("--help")
    assert out.returncode == 0, out.stderr
    for name in task_names():
        assert name in out.stdout
    assert "doctor" in out.stdout


def test_every_command_has_help() -> None:
    from click import Context

    from core.cli import root

    ctx = Context(root)
    for name in root.list_commands(ctx):
        command = root.get_command(ctx, name)
        assert command is not None and (command.help or command.short_help), f"{name} has no help"
        result = _ais(name, "--help")
        assert result.returncode == 0, f"ais {name} --help failed: {result.stderr}"


def test_doctor_reports_versions_device_and_tasks() -> None:
    out = _ais("doctor")
    assert out.returncode == 0, out.stderr
    assert "python" in out.stdout and "device (auto)" in out.stdout
    for name in task_names():
        assert name in out.stdout


def test_unknown_command_is_a_clean_error() -> None:
    out = _ais("no-such-command")
    assert out.returncode != 0 and "Traceback" not in out.stderr

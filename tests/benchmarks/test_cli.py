"""``ais bench`` on the toy spec writes the three outputs; ``ais bench compare`` prints ratios."""
from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from benchmarks.cli import app


def test_bench_then_compare(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["--spec", "tests.benchmarks.toy:SPEC", "--device", "cpu", "--precision", "fp32", "--in-process",
            "--batch-sizes", "1,2", "--quick", "--out", str(tmp_path)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    [run] = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert {"results.json", "report.md", "latency_vs_batch.png", "accuracy.png"} <= {p.name for p in run.iterdir()}
    assert "benchmark summary" in first.output and "toy" in first.output
    compared = runner.invoke(app, ["compare", str(run), str(run / "results.json")])
    assert compared.exit_code == 0, compared.output
    assert "| toy offline throughput | cpu/fp32 batch=2 | items/s |" in compared.output and "| 1 |" in compared.output


def test_bad_batch_sizes_are_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--spec", "tests.benchmarks.toy:SPEC", "--device", "cpu", "--batch-sizes", "1,x",
                                      "--out", str(tmp_path)])
    assert result.exit_code != 0 and "comma-separated integers" in result.output

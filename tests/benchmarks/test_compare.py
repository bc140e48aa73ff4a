"""``compare`` matches numbers measured under the same conditions and prints B/A."""
from __future__ import annotations

from benchmarks.compare import ratios, render
from benchmarks.machine import describe_machine
from benchmarks.schemas import AccuracyResult, Measurement, RunOptions, RunResult


def _run(run_id: str, p50: float, tput: float, acc: float) -> RunResult:
    common = {"task": "toy", "device": "cpu", "precision": "fp32", "n": 10}
    return RunResult(
        run_id=run_id, started_at="now", percentile_method="linear",
        options=RunOptions(tasks=["toy"], device="cpu", precisions=["fp32"], quick=True, batch_sizes=[1],
                           single_stream_runs=1, offline_runs=1, warmup=0, max_seconds_per_scenario=1,
                           isolate=False, accuracy=True, performance=True),
        machine=describe_machine(),
        accuracy=[AccuracyResult(task="toy", dataset="tiny", device="cpu", precision="fp32", n_samples=4,
                                 values={"accuracy": acc}, seconds=0.1)],
        measurements=[
            Measurement(scenario="single_stream", metric="latency_p50", value=p50, unit="ms", batch_size=1, **common),
            Measurement(scenario="offline", metric="throughput", value=tput, unit="items/s", batch_size=8, **common),
            Measurement(scenario="offline", metric="throughput", value=1.0, unit="items/s", batch_size=64 if run_id == "a"
                        else 32, **common),  # different batch: must not be matched
        ])


def test_ratios_match_only_identical_conditions() -> None:
    found = {(r.label, r.conditions): r for r in ratios(_run("a", 10.0, 100.0, 0.5), _run("b", 5.0, 300.0, 0.75))}
    assert len(found) == 3
    assert found[("toy single_stream latency_p50", "cpu/fp32 batch=1")].ratio == 0.5
    assert found[("toy offline throughput", "cpu/fp32 batch=8")].ratio == 3.0
    assert found[("toy accuracy accuracy", "tiny cpu/fp32")].ratio == 1.5


def test_render_is_a_table() -> None:
    text = render(_run("a", 10.0, 100.0, 0.5), _run("b", 5.0, 300.0, 0.75))
    assert "3 matching numbers" in text and "| toy offline throughput | cpu/fp32 batch=8 | items/s | 100 | 300 | 3 |" in text

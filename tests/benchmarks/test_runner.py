"""The harness on the toy task: results schema, labels on every number, skips with reasons, outputs written."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.inprocess import PerfPlan
from benchmarks.runner import BenchConfig, load_run, run_suite, run_task, write_run
from benchmarks.schemas import RunResult
from benchmarks.timing import TimingPlan
from core.errors import ConfigError
from tests.benchmarks.toy import SPEC

TINY = PerfPlan(batch_sizes=(1, 3), single_stream=TimingPlan(warmup=1, min_runs=4, max_runs=6, max_seconds=1),
                offline=TimingPlan(warmup=1, min_runs=3, max_runs=3, max_seconds=1), single_stream_pool=3)


def _config(**kw: object) -> BenchConfig:
    return BenchConfig(device="cpu", precisions=("fp32",), plan=TINY, isolate=False, **kw)


@pytest.fixture(scope="module")
def toy_run() -> RunResult:
    return run_suite([], _config(), spec_paths=["tests.benchmarks.toy:SPEC", "tests.benchmarks.toy:UNAVAILABLE"])


def test_toy_run_has_accuracy_as_returned(toy_run: RunResult) -> None:
    outcomes = {t.task: t for t in toy_run.tasks}
    assert outcomes["toy"].status == "ok", outcomes["toy"].reason
    [acc] = toy_run.accuracy
    assert (acc.task, acc.dataset, acc.n_samples, acc.values) == ("toy", "tiny", 4, {"accuracy": 0.75})
    assert acc.details["kept"] == [1, 2] and "not JSON" in acc.details["odd"]


def test_every_number_is_labelled(toy_run: RunResult) -> None:
    ms = toy_run.measurements
    assert {m.scenario for m in ms} == {"load", "single_stream", "offline"}
    for m in ms:
        assert m.device == "cpu" and m.precision == "fp32" and m.n >= 1 and m.unit
        if m.scenario in ("single_stream", "offline"):
            assert m.batch_size is not None
    single = {m.metric: m for m in ms if m.scenario == "single_stream"}
    assert single["latency_p50"].n == 6 and single["latency_p50"].value >= 1.0  # toy sleeps 1 ms per item
    assert single["latency_p50"].value <= single["latency_p90"].value <= single["latency_p99"].value
    offline = {(m.batch_size, m.metric): m for m in ms if m.scenario == "offline"}
    assert offline[(3, "latency_p50")].n == 3
    assert offline[(3, "latency_p50")].value >= 3.0
    assert offline[(3, "throughput")].unit == "items/s"


def test_unavailable_task_is_skipped_with_reason(toy_run: RunResult) -> None:
    outcome = next(t for t in toy_run.tasks if t.task == "toy_missing")
    assert outcome.status == "skipped" and "no_such_module_for_bench_tests" in outcome.reason
    assert "nonexistent" in outcome.reason


def test_unknown_registered_task_is_recorded_not_raised() -> None:
    run = run_suite(["no-such-task"], _config())
    assert run.tasks[0].status == "skipped" and "no-such-task" in run.tasks[0].reason


def test_fp16_on_cpu_is_a_skip_with_reason() -> None:
    config = BenchConfig(device="cpu", precisions=("fp16",), plan=TINY, isolate=False, accuracy=False)
    run = run_suite([], config, spec_paths=["tests.benchmarks.toy:SPEC"])
    assert run.tasks[0].status == "skipped" and "fp16" in run.tasks[0].reason


def test_outputs_written_and_json_round_trips(toy_run: RunResult, tmp_path: Path) -> None:
    folder = write_run(toy_run, tmp_path)
    data = json.loads((folder / "results.json").read_text())
    assert data["schema_version"] == 1 and data["machine"]["cpu_cores_logical"] >= 1
    assert data["percentile_method"].startswith("linear interpolation")
    assert set(data["measurements"][0]) >= {"task", "scenario", "metric", "value", "unit", "device", "precision",
                                            "batch_size", "concurrency", "n"}
    assert load_run(folder) == toy_run
    report = (folder / "report.md").read_text()
    assert "## Single-stream" in report and "| toy | cpu | fp32 | 3 |" in report and "0.75" in report
    for png in ("latency_vs_batch.png", "throughput_vs_batch.png", "accuracy.png"):
        assert (folder / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({png})" in report
    assert write_run(toy_run, tmp_path) != folder  # same second: a new folder, never an overwrite


def test_load_run_rejects_other_files(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text('{"hello": 1}')
    with pytest.raises(ConfigError):
        load_run(tmp_path)
    with pytest.raises(ConfigError):
        load_run(tmp_path / "missing")


def test_isolated_worker_runs_the_toy_task() -> None:
    config = BenchConfig(device="cpu", precisions=("fp32",), plan=TINY, isolate=True, task_timeout_s=120)
    run = run_suite([], config, spec_paths=["tests.benchmarks.toy:SPEC"])
    assert run.tasks[0].status == "ok", run.tasks[0].reason
    assert any(m.scenario == "offline" for m in run.measurements)
    peak = next(m for m in run.measurements if m.metric == "peak_rss" and m.scenario == "load")
    assert 10 < peak.value < 2000  # the worker's own memory, not the test process's


@pytest.mark.slow
def test_timeout_keeps_what_was_measured() -> None:
    """A worker stopped at its timeout (here: during a slow evaluation) still reports its speed numbers."""
    config = BenchConfig(device="cpu", precisions=("fp32",), plan=TINY, isolate=True, task_timeout_s=15)
    run = run_suite([], config, spec_paths=["tests.benchmarks.toy:SLOW"])
    [outcome] = run.tasks
    assert outcome.status == "partial" and "timed out after 15 s" in outcome.reason
    assert "evaluation on 'slow'" in outcome.reason
    assert {m.scenario for m in run.measurements} == {"load", "single_stream", "offline"}
    assert run.accuracy == []


def test_budget_shares_time_and_skips_when_spent() -> None:
    config = BenchConfig(device="cpu", precisions=("fp32",), plan=TINY, isolate=False, budget_s=5)
    run = run_suite([], config, spec_paths=["tests.benchmarks.toy:SPEC"])
    assert run.tasks[0].status == "skipped" and run.tasks[0].reason == "time budget exhausted"


def test_quick_measures_accuracy_first_on_the_reduced_set() -> None:
    quick = run_task(SPEC, "fp32", _config(quick=True))
    full = run_task(SPEC, "fp32", _config())
    assert [a.n_samples for a in quick.accuracy] == [2] and [a.n_samples for a in full.accuracy] == [4]
    order = [m.scenario for m in quick.measurements]
    assert order[0] == "load" and "offline" in order  # timed scenarios still run after accuracy


def test_offline_leaves_out_batch_sizes_that_cannot_fit_the_time_share() -> None:
    """1 ms per item: a batch of 20,000 needs ~40 s with warm-up and runs, far over a 6 s share."""
    plan = PerfPlan(batch_sizes=(1, 20_000), single_stream=TINY.single_stream, offline=TINY.offline,
                    single_stream_pool=3)
    config = BenchConfig(device="cpu", precisions=("fp32",), plan=plan, isolate=False)
    run = run_task(SPEC, "fp32", config, time_share_s=6.0)
    assert run.outcome.status == "ok", run.outcome.reason
    assert {m.batch_size for m in run.measurements if m.scenario == "offline"} == {1}
    assert len(run.outcome.notes) == 1 and "offline batch 20000 not run" in run.outcome.notes[0]
    assert run.accuracy  # accuracy still measured after the sweep


def test_outside_labelled_set_is_evaluated_and_reported_apart(tmp_path: Path) -> None:
    """``ais bench --data toy=PATH``: the outside set's numbers carry intervals and baselines, and the
    report keeps them in their own section, never in one table with the generated sets."""
    from benchmarks.report import render

    outside = tmp_path / "outside.tsv"
    outside.write_text("a long sentence\t1\nhi\t0\nanother long one\t1\nshort\t0\nlonger text\t0\n")
    run = run_suite([], _config(data={"toy": str(outside)}), spec_paths=["tests.benchmarks.toy:SPEC"])
    by_origin = {a.origin: a for a in run.accuracy}
    assert set(by_origin) == {"generated", "labelled"}
    real = by_origin["labelled"]
    assert real.source == str(outside) and real.n_samples == 5 and real.values == {"accuracy": 0.8}
    low, high = real.intervals["accuracy"]
    assert low < 0.8 < high and real.baselines["always-short"]["accuracy"] == 0.6
    report = render(run)
    labelled_part = report.split("## Accuracy on real data labelled by others")[1].split("## Accuracy on data we")[0]
    assert "| outside |" in labelled_part and "| tiny |" not in labelled_part and "always-short 0.6" in labelled_part
    assert run.options.data == {"toy": str(outside)}


def test_bad_data_option_names_the_problem() -> None:
    import typer

    from benchmarks.cli import parse_data

    with pytest.raises(typer.BadParameter, match="task=PATH"):
        parse_data(["sentiment"])
    with pytest.raises(typer.BadParameter, match="unknown task"):
        parse_data(["nosuchtask=/tmp"])

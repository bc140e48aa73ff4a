"""Timed runs honour the plan (warm-up, min/max runs, time limit); the memory probe reports a peak."""
from __future__ import annotations

import pytest

from benchmarks.timing import CpuClock, PeakRss, TimingPlan, clock_for, measure
from core.errors import InvalidInput


def test_measure_counts_warmup_and_runs() -> None:
    calls: list[int] = []
    samples = measure(lambda: calls.append(1), CpuClock(), TimingPlan(warmup=2, min_runs=3, max_runs=7, max_seconds=60))
    assert len(samples) == 7 and len(calls) == 9  # the time limit is far, so max_runs decides
    assert all(s >= 0 for s in samples)


def test_measure_stops_at_time_limit_but_keeps_minimum() -> None:
    import time

    samples = measure(lambda: time.sleep(0.01), CpuClock(), TimingPlan(warmup=0, min_runs=3, max_runs=1000,
                                                                       max_seconds=0.001))
    assert len(samples) == 3
    assert min(samples) >= 0.009


def test_bad_plan_is_rejected() -> None:
    with pytest.raises(InvalidInput):
        TimingPlan(min_runs=5, max_runs=2)


def test_cpu_clock_for_cpu_and_rss_peak_sees_an_allocation() -> None:
    assert isinstance(clock_for("cpu"), CpuClock)
    with PeakRss() as before:
        pass
    with PeakRss() as probe:
        block = bytearray(64 * 1024 * 1024)
        block[::4096] = b"x" * len(block[::4096])  # touch the pages so they are resident
    del block
    assert probe.peak_mib > 0
    if probe.scope == "phase":
        assert probe.peak_mib >= before.peak_mib + 50

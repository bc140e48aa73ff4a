"""Timed runs honour the plan (warm-up, min/max runs, time limit); the memory probe reports a peak."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


PROBE = """
from benchmarks.timing import PeakRss
with PeakRss() as before:
    pass
with PeakRss() as probe:
    block = bytearray(64 * 1024 * 1024)
    block[::4096] = b"x" * len(block[::4096])  # touch the pages so they are resident
print(probe.scope.replace(" ", "-"), before.peak_mib, probe.peak_mib)
"""


def test_cpu_clock_for_cpu_and_rss_peak_sees_an_allocation() -> None:
    assert isinstance(clock_for("cpu"), CpuClock)
    with PeakRss() as here:
        pass
    assert here.peak_mib > 0
    # The allocation is probed in a fresh interpreter: in this long-lived test process, a CI run saw the phase
    # peak unchanged by the 64 MiB block (1728.8 MiB before and after, after a hundred tests; not reproduced alone),
    # so the check depended on what earlier tests left in the process.
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=root, capture_output=True, text=True, check=True)
    scope, before, probe = out.stdout.split()
    assert float(probe) > 0
    if scope == "phase":
        assert float(probe) >= float(before) + 50

"""Hostile values never break the monitoring summary: huge numbers, old poisoned windows, 1 MB categories, ``since``."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from core.errors import InvalidInput
from serving.errors import status_for
from serving.monitoring import Monitor, MonitorSettings
from serving.monitoring.profile import reference_from_records
from serving.monitoring.sketch import MAX_CATEGORY_CHARS
from serving.monitoring.store import store_path
from serving.monitoring.summary import parse_duration
from tests.serving.monitoring.conftest import Clock, records


def _monitor(tmp_path: Path, clock: Clock) -> Monitor:
    settings = MonitorSettings(background=False, seed=0, sample_rates={"image": 1.0, "text": 1.0, "record": 1.0})
    return Monitor(tmp_path, "acme", settings, clock=clock)


@pytest.mark.parametrize("with_reference", [False, True])
def test_a_record_with_amount_1e308_leaves_the_summary_readable(tmp_path: Path, clock: Clock,
                                                                with_reference: bool) -> None:
    monitor = _monitor(tmp_path, clock)
    if with_reference:
        monitor.register_reference(reference_from_records(records(200, seed=1), task="propensity", version="v1"))
    hostile = [{**r, "income": value} for r, value in zip(records(4, seed=2), [1e308, -1e308, float("inf"), 1e200])]
    monitor.observe("propensity", "v1", "record", records(10, seed=3) + hostile, None, 200)
    monitor.observe("propensity", "v1", "record", [{**records(1, seed=4)[0], "income": 1e308}], None, 200)
    summary = monitor.summary("1d")  # a ValidationError (HTTP 500) before: sum_sq overflowed to inf, stored as null
    assert summary.unreadable == []
    (window,) = monitor.store.windows(0)
    income = window.features["income"]
    assert income.invalid == 5 and income.count == 10  # beyond 1e100 or infinite: unusable values, not summed
    assert window.items == 15


def test_a_window_poisoned_by_an_older_version_is_reported_and_then_repaired(tmp_path: Path, clock: Clock) -> None:
    monitor = _monitor(tmp_path, clock)
    monitor.observe("propensity", "v1", "record", records(5, seed=1), None, 200)
    monitor.observe("sentiment", "v1", "text", ["a fine film"], [{"label": "positive"}], 200)
    monitor.flush()
    with sqlite3.connect(store_path(tmp_path, "acme")) as db:  # what the old code wrote for a sum of squares of inf
        (body,) = db.execute("SELECT body FROM windows WHERE task = 'propensity'").fetchone()
        data = json.loads(body)
        data["features"]["income"]["numeric"]["sum_sq"] = None
        db.execute("UPDATE windows SET body = ? WHERE task = 'propensity'", (json.dumps(data),))
    summary = monitor.summary("1d")
    assert [w.task for w in summary.windows] == ["sentiment"]  # the other task still summarised
    (bad,) = summary.unreadable
    assert (bad.task, bad.version) == ("propensity", "v1") and "sum_sq" in bad.reason
    monitor.observe("propensity", "v1", "record", records(3, seed=2), None, 200)  # new traffic replaces it
    repaired = monitor.summary("1d")
    assert repaired.unreadable == [] and sorted(w.task for w in repaired.windows) == ["propensity", "sentiment"]


def test_a_1mb_category_value_is_not_stored(tmp_path: Path, clock: Clock) -> None:
    monitor = _monitor(tmp_path, clock)
    monitor.register_reference(reference_from_records(records(50, seed=1), task="propensity", version="v1"))
    long_value = "secret " + "y" * 1_000_000
    monitor.observe("propensity", "v1", "record", [{**records(1, seed=2)[0], "region": long_value}], None, 200)
    monitor.flush()
    raw = b"".join(p.read_bytes() for p in store_path(tmp_path, "acme").parent.glob("acme.sqlite*"))
    assert b"y" * 100 not in raw and b"secret" not in raw
    (window,) = monitor.store.windows(0)
    assert all(len(key) <= MAX_CATEGORY_CHARS for key in window.features["region"].categorical.counts)
    assert window.features["region"].out_of_range == 1


@pytest.mark.parametrize("since", ["99999999999999999999d", "1000000w", "1e9d", "-1d"])
def test_since_beyond_the_bound_is_a_400(since: str) -> None:
    with pytest.raises(InvalidInput, match="since|duration") as info:
        parse_duration(since)  # OverflowError (HTTP 500) before for the first two
    assert status_for(info.value) == 400


def test_since_within_the_bound_parses() -> None:
    assert parse_duration("3650d").days == 3650


def test_the_report_names_an_unreadable_window(tmp_path: Path, clock: Clock) -> None:
    from serving.monitoring.report import _quality_section
    from serving.monitoring.schemas import MonitoringSummary, UnreadableWindow

    summary = MonitoringSummary(client="acme", since=0, until=1, windows=[], unreadable=[
        UnreadableWindow(task="propensity", version="v1", window_start=0, length_s=3600, reason="sum_sq: null")])
    assert any("propensity:v1" in line and "cannot be summarised" in line for line in _quality_section(summary))

"""The end-to-end check: quality and drift of every stored window since a date, as one JSON-ready summary.

>>> parse_duration("7d").days, parse_duration("36h").total_seconds()
(7, 129600.0)
"""
from __future__ import annotations

import logging
import re
import time
from datetime import timedelta
from pathlib import Path

from core.errors import InvalidInput, NotFound
from serving.monitoring.drift import drift_report
from serving.monitoring.quality import quality_report
from serving.monitoring.schemas import (
    DriftThresholds,
    MonitoringSummary,
    ReferenceProfile,
    UnreadableWindow,
    WindowSummary,
)
from serving.monitoring.store import MonitorStorage, MonitorStore, store_path

log = logging.getLogger("ais.monitoring")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_SINCE = timedelta(days=3650)  # ten years: any longer `since` is a typo or an attack (it overflowed: 500)


def parse_duration(text: str | timedelta) -> timedelta:
    """``30m``, ``24h``, ``7d``, ``2w`` → timedelta."""
    if isinstance(text, timedelta):
        return text
    match = _DURATION.match(str(text)[:64].lower())
    if not match:
        raise InvalidInput(f"duration {str(text)[:64]!r} is not like 30m, 24h, 7d or 2w")
    seconds = float(match.group(1)) * _UNIT_S[match.group(2)]
    if not seconds <= MAX_SINCE.total_seconds():  # also inf, from a number of hundreds of digits
        raise InvalidInput(f"duration {match.group(0).strip()!r} is longer than the {MAX_SINCE.days} days kept "
                           "in mind here; ask for a shorter `since`", limit_days=MAX_SINCE.days)
    return timedelta(seconds=seconds)


def summarize(state_dir: str | Path, client: str, since: str | timedelta = "7d", *, now: float | None = None,
              thresholds: DriftThresholds | None = None, task: str | None = None,
              store: MonitorStorage | None = None) -> MonitoringSummary:
    """Quality and drift (against each version's reference) of every window of ``client`` in the period."""
    state_dir = Path(state_dir)
    until = now if now is not None else time.time()
    start = until - parse_duration(since).total_seconds()
    owned = store is None
    if store is None:
        path = store_path(state_dir, client)
        if not path.is_file():
            raise NotFound(f"no monitoring data for client {client!r} in {path.parent}")
        store = MonitorStore(path)
    try:
        windows, unreadable = store.read_windows(int(start), int(until) + 1, task=task)
        evaluations = store.evaluations(start)
        references: dict[tuple[str, str], ReferenceProfile | None] = {
            key: store.reference(*key) for key in dict.fromkeys((w.task, w.version) for w in windows)}
    finally:
        if owned:
            store.close()
    out: list[WindowSummary] = []
    for window in windows:
        key = (window.task, window.version)
        reference = references[key]
        try:
            drift = drift_report(reference, window, thresholds) if reference is not None and window.items else None
            out.append(WindowSummary(task=window.task, version=window.version, window_start=window.start,
                                     length_s=window.length_s, quality=quality_report(window), drift=drift))
        except (ArithmeticError, ValueError) as exc:  # one bad window is reported, the others still summarised
            log.warning("monitoring: window %s:%s at %s cannot be summarised: %s", *key, window.start, exc)
            unreadable.append(UnreadableWindow(task=window.task, version=window.version, window_start=window.start,
                                               length_s=window.length_s, reason=f"cannot be summarised: {exc}"))
    missing = sorted(f"{t}:{v}" for (t, v), ref in references.items() if ref is None)
    return MonitoringSummary(client=client, since=int(start), until=int(until), windows=out,
                             unreadable=unreadable, missing_references=missing, evaluations=evaluations)

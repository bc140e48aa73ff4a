"""Topics over time: document counts per topic and period, with each period's own top words.

>>> period_of(date(2024, 5, 17), "month"), period_of(date(2024, 5, 17), "week")
('2024-05', '2024-W20')
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal

import numpy as np
from scipy import sparse

from core.errors import InvalidInput
from nlp.topics.ctfidf import class_tfidf
from nlp.topics.schemas import TopicsOverTimeRow

Freq = Literal["auto", "day", "week", "month", "quarter", "year"]


def parse_dates(values: Sequence[str | date | datetime]) -> list[date]:
    """ISO dates or datetimes (``2024-05-17``, ``2024-05-17T10:00:00Z``); the error names the bad item."""
    out = []
    for index, value in enumerate(values):
        if isinstance(value, datetime):
            out.append(value.date())
        elif isinstance(value, date):
            out.append(value)
        else:
            try:
                out.append(datetime.fromisoformat(str(value).strip()).date())
            except ValueError as exc:
                raise InvalidInput(f"item {index}: date {value!r} is not an ISO date (YYYY-MM-DD)", index=index) from exc
    return out


def choose_freq(dates: Sequence[date]) -> str:
    """A bin size that gives a readable number of periods for the span covered."""
    span = (max(dates) - min(dates)).days
    if span <= 31:
        return "day"
    if span <= 366:
        return "week"
    if span <= 5 * 366:
        return "month"
    return "year"


def period_of(day: date, freq: str) -> str:
    if freq == "day":
        return day.isoformat()
    if freq == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if freq == "month":
        return f"{day.year}-{day.month:02d}"
    if freq == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if freq == "year":
        return str(day.year)
    raise InvalidInput(f"unknown frequency {freq!r}; use auto, day, week, month, quarter or year")


def topics_over_time(dates: Sequence[date], topics: np.ndarray, counts: sparse.csr_matrix, terms: list[str],
                     freq: str = "auto", n_words: int = 5) -> list[TopicsOverTimeRow]:
    """One row per (period, topic) that has documents; ``share`` is the topic's share of that period."""
    if len(dates) != len(topics):
        raise InvalidInput(f"{len(dates)} dates for {len(topics)} documents")
    if not dates:
        return []
    freq = choose_freq(dates) if freq == "auto" else freq
    periods = [period_of(d, freq) for d in dates]
    names = sorted(set(periods))
    k = int(topics.max()) + 1
    cell = np.array([names.index(p) * k + t for p, t in zip(periods, topics)])
    cells, cell_index = np.unique(cell, return_inverse=True)
    one_hot = sparse.csr_matrix((np.ones(len(cell)), (cell_index, np.arange(len(cell)))), shape=(len(cells), len(cell)))
    weights = class_tfidf(np.asarray((one_hot @ counts).todense()))
    per_period = {name: periods.count(name) for name in names}
    rows = []
    for row, code in enumerate(cells):
        period, topic = names[code // k], int(code % k)
        n = int((cell_index == row).sum())
        top = [terms[i] for i in np.argsort(-weights[row])[:n_words] if weights[row, i] > 0]
        rows.append(TopicsOverTimeRow(period=period, topic=topic, count=n, share=n / per_period[period], keywords=top))
    return rows

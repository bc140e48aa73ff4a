"""Calendar months as integers (year*12 + month-1) and the training/lead windows derived from them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import InvalidInput

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> int:
    """``"2021-03"`` -> month index; raises InvalidInput on anything else.

    >>> format_month(parse_month("2021-03") + 1)
    '2021-04'
    """
    match = _MONTH.match(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidInput(f"month {text!r} is not of the form YYYY-MM", field="month")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def format_month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_start(index: int) -> str:
    """ISO date of the first day of the month (DuckDB DATE literal)."""
    return f"{format_month(index)}-01"


@dataclass(frozen=True)
class Windows:
    """With current month M: label months M-train_months..M-1, split in time into fit/valid/test; leads for M+1.

    A training row is (customer, cutoff c) with features from data <= c and the label "bought in c+1",
    so label month t uses cutoff t-1. Validation and test are the latest label months: out of time.
    """

    current: int
    train_months: int = 18
    valid_months: int = 2
    test_months: int = 2

    def __post_init__(self) -> None:
        if self.train_months < self.valid_months + self.test_months + 2:
            raise InvalidInput("train_months must leave at least 2 fit months after validation and test")

    @property
    def label_months(self) -> list[int]:
        return list(range(self.current - self.train_months, self.current))

    @property
    def fit_label_months(self) -> list[int]:
        return self.label_months[: -(self.valid_months + self.test_months)]

    @property
    def valid_label_months(self) -> list[int]:
        return self.label_months[-(self.valid_months + self.test_months) : -self.test_months]

    @property
    def test_label_months(self) -> list[int]:
        return self.label_months[-self.test_months :]

    @property
    def lead_month(self) -> int:
        return self.current + 1

    def describe(self) -> dict[str, str]:
        fmt = format_month
        return {
            "current_month": fmt(self.current),
            "training_window": f"{fmt(self.label_months[0])}..{fmt(self.label_months[-1])}",
            "fit": f"{fmt(self.fit_label_months[0])}..{fmt(self.fit_label_months[-1])}",
            "valid": f"{fmt(self.valid_label_months[0])}..{fmt(self.valid_label_months[-1])}",
            "test": f"{fmt(self.test_label_months[0])}..{fmt(self.test_label_months[-1])}",
            "lead_month": fmt(self.lead_month),
        }

"""Training and lead windows from the current month."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput
from tabular.propensity.months import Windows, format_month, parse_month


def test_windows_of_march_2021() -> None:
    win = Windows(parse_month("2021-03"))
    d = win.describe()
    assert d["training_window"] == "2019-09..2021-02"
    assert d["lead_month"] == "2021-04"
    assert len(win.label_months) == 18
    # out of time: validation and test come after every fit month
    assert max(win.fit_label_months) < min(win.valid_label_months) < min(win.test_label_months)
    assert format_month(win.test_label_months[-1]) == "2021-02"


@pytest.mark.parametrize("bad", ["2021-13", "21-03", "March", ""])
def test_bad_month(bad: str) -> None:
    with pytest.raises(InvalidInput):
        parse_month(bad)

"""The generator: deterministic, the expected tables, a plausible conversion rate, dirty rows to quarantine."""

from __future__ import annotations

from tabular.propensity.synth import SynthConfig, generate, generic_frame
from tabular.propensity.tables import ALL_TABLES


def test_generate_tables_and_determinism() -> None:
    cfg = SynthConfig(n_customers=400, history_months=12, seed=3)
    a, b = generate(cfg), generate(cfg)
    assert set(a.tables) == set(ALL_TABLES)
    for name, table in ALL_TABLES.items():
        assert list(a.tables[name].columns) == table.column_names, name
        assert a.tables[name].equals(b.tables[name]), name
    tx = a.tables["transactions"]
    assert (tx["amount"] < 0).any(), "a few bad rows are planted for the quarantine"
    assert str(tx["month"].max())[:7] == "2021-03"
    new = a.tables["policies"]
    monthly = new[new["start_month"] >= "2020-06-01"].groupby("start_month").size().mean() / 400
    assert 0.002 < monthly < 0.05


def test_generic_frame_has_foreign_schema() -> None:
    frame = generic_frame(600, 6)
    assert {"acct_no", "period", "left_us"} <= set(frame.columns)
    assert "customer_id" not in frame.columns
    assert set(frame["left_us"].unique()) <= {0, 1}

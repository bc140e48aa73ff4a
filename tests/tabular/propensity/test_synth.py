"""The generator: deterministic, the expected tables, a plausible conversion rate, dirty rows to quarantine."""

from __future__ import annotations

from pathlib import Path

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


def test_drop_written_month_by_month_equals_the_in_memory_tables(tmp_path: Path) -> None:
    import pandas as pd

    from tabular.propensity.drop import drop_files, write_drop

    cfg = SynthConfig(n_customers=300, history_months=8, seed=4)
    tables = tmp_path / "tables"
    write_drop(cfg, tables, tmp_path / "stream", 2, tmp_path / "truth.parquet", "m")
    assert (tables / "_SUCCESS").exists()
    months = [p.stem for p in drop_files(tables, "transactions")]
    assert months == ["2020-08", "2020-09", "2020-10", "2020-11", "2020-12", "2021-01", "2021-02"]
    assert len(list((tmp_path / "stream").glob("tx-2021-03-*.jsonl"))) == 2  # month M arrives as the stream
    memory = generate(cfg)

    def same_units(frame: pd.DataFrame) -> pd.DataFrame:  # Parquet keeps dates in ms, pandas in s
        return frame.astype({c: "datetime64[ns]" for c in frame.columns if str(frame[c].dtype).startswith("datetime")})

    for name in ("customers", "holdings", "policies", "interactions", "promos"):
        written = pd.concat([pd.read_parquet(p) for p in drop_files(tables, name)], ignore_index=True)
        pd.testing.assert_frame_equal(same_units(written), same_units(memory.tables[name]), obj=name)
    tx = pd.concat([pd.read_parquet(p) for p in drop_files(tables, "transactions")], ignore_index=True)
    in_memory = memory.tables["transactions"]
    earlier = in_memory[in_memory["month"] < pd.Timestamp("2021-03-01")].reset_index(drop=True)
    pd.testing.assert_frame_equal(same_units(tx), same_units(earlier))

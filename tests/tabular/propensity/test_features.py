"""Point-in-time correctness of the features, and the fitted preprocessing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InvalidInput
from tabular.propensity.features import (
    FeaturePrep,
    build_features,
    conversion_labels,
    feature_columns,
    load_sources,
    sources_from_tables,
)
from tabular.propensity.ingest import Warehouse
from tabular.propensity.months import parse_month
from tabular.propensity.synth import SynthConfig, generate


@pytest.fixture(scope="module")
def data():
    return generate(SynthConfig(n_customers=500, end_month="2021-06", history_months=24, seed=1))


def _truncate(tables: dict[str, pd.DataFrame], month: str) -> dict[str, pd.DataFrame]:
    """Drop everything the bank could not have known at the end of ``month``, independently of our code."""
    cut = pd.Timestamp(f"{month}-01")
    t = {k: v.copy() for k, v in tables.items()}
    for name, col in (
        ("transactions", "month"),
        ("interactions", "month"),
        ("promos", "month"),
        ("policies", "start_month"),
        ("holdings", "open_month"),
        ("customers", "join_month"),
    ):
        t[name] = t[name][t[name][col] <= cut]
    late = t["holdings"]["close_month"] > cut
    t["holdings"].loc[late, "close_month"] = pd.NaT
    return t


def test_features_at_m_ignore_later_data(data) -> None:
    m = parse_month("2021-03")
    full = build_features(sources_from_tables(data.tables, parse_month("2021-06")), [m - 1, m])
    cut = build_features(sources_from_tables(_truncate(data.tables, "2021-03"), m), [m - 1, m])
    pd.testing.assert_frame_equal(full.reset_index(drop=True), cut.reset_index(drop=True))
    assert len(full) > 400


def test_warehouse_path_matches_memory_path(data, tmp_path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    for name, frame in data.tables.items():
        wh.load_frame(name, frame, f"{name}:test")
    m = parse_month("2021-03")
    from_db = build_features(load_sources(wh, parse_month("2021-06")), [m])
    from_mem = build_features(sources_from_tables(data.tables, parse_month("2021-06")), [m])
    cols = feature_columns(from_mem)
    pd.testing.assert_frame_equal(
        from_db[cols].reset_index(drop=True),
        from_mem[cols].reset_index(drop=True),
        check_dtype=False,
        rtol=1e-5,
    )


def test_cutoff_after_data_is_rejected(data) -> None:
    src = sources_from_tables(data.tables, parse_month("2021-01"))
    with pytest.raises(InvalidInput):
        build_features(src, [parse_month("2021-02")])


def test_labels_and_prep(data) -> None:
    src = sources_from_tables(data.tables, parse_month("2021-06"))
    frame = build_features(src, [parse_month("2021-01"), parse_month("2021-02")])
    frame["label"] = conversion_labels(src, frame)
    assert 0 < frame["label"].sum() < len(frame)
    cols = feature_columns(frame)
    frame.loc[frame.index[:5], "income"] = np.nan
    prep = FeaturePrep.for_frame(frame, cols).fit(frame)
    x = prep.transform(frame)
    assert x.shape == (len(frame), len(prep.output_names))
    assert np.isfinite(x).all()
    assert "income_missing" in prep.output_names and "sex=F" in prep.output_names
    assert "income" in prep.log_columns and "age" in prep.bin_columns

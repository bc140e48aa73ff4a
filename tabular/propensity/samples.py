"""Valid and invalid inputs for contract tests and benchmarks, and a small labelled evaluation set (generated)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from tabular.propensity.model import PropensityDataset

SAMPLE_MONTH = "2021-03"


@lru_cache(maxsize=4)
def _frame(n_customers: int, seed: int, n_cutoffs: int) -> pd.DataFrame:
    from tabular.propensity.features import build_features, conversion_labels, sources_from_tables
    from tabular.propensity.months import parse_month
    from tabular.propensity.synth import SynthConfig, generate

    month = parse_month(SAMPLE_MONTH)
    data = generate(
        SynthConfig(
            n_customers=n_customers, end_month=SAMPLE_MONTH, history_months=24, seed=seed, bad_row_rate=0.0
        )
    )
    src = sources_from_tables(data.tables, month)
    cutoffs = list(range(month - n_cutoffs, month))
    frame = build_features(src, cutoffs)
    frame["label"] = conversion_labels(src, frame)
    return frame


def sample_inputs(n: int) -> list[dict[str, Any]]:
    """``n`` customer feature records (dicts) as the bundled model expects them."""
    frame = _frame(max(50, n), 7, 1).drop(columns=["cutoff", "label"])
    records = frame.head(n).to_dict(orient="records")
    for r in records:
        r["customer_id"] = str(r["customer_id"])
    return records


def bad_input() -> dict[str, Any]:
    """A record with an unknown column, a missing required column and a NaN age."""
    return {"customer_id": "1", "age": float("nan"), "favourite_colour": "blue"}


def evaluation_dataset() -> PropensityDataset:
    """3,000 generated customers, two cutoff months, labelled with next-month conversions."""
    from tabular.propensity.model import PropensityDataset

    return PropensityDataset(_frame(3000, 11, 2).copy(), name="synthetic-3k")

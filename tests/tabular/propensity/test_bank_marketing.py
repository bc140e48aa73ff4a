"""Generic mode on the real UCI Bank Marketing file as shipped (needs ../shared/data; slow: 41,188 rows)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tabular.propensity.leads import run
from tabular.propensity.schemas import RunOptions

pytestmark = pytest.mark.slow


def test_bank_marketing_as_shipped_time_ordered(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "tabular" / "bank_marketing" / "bank-additional-full.csv.gz"
    if not path.exists():
        pytest.skip(f"{path} not found")
    result = run(
        RunOptions(
            month="generic", workdir=tmp_path / "w", models_dir=tmp_path / "m", data=path, target="y",
            drop_columns=["duration"], rows_in_time_order=True, test_fraction=0.3, n_trials=0,
        )
    )
    m = result.metrics
    assert "first 28,832 labelled rows" in m["split"] and "last 12,356" in m["split"]
    assert m["excluded"]["duration"].startswith("dropped") and "leakage suspect" in m["flags"]["duration"][0]
    for name in ("default", "emp.var.rate", "nr.employed"):
        assert f"`{name}` |" in result.report.read_text()
    chosen, reference = m["chosen_test"], m["reference_sklearn_logistic"]
    # the acceptance: at least the plain one-hot logistic regression on the same split
    assert chosen["pr_auc"] >= reference["pr_auc"] and chosen["lift_at_10pct"] >= reference["lift_at_10pct"]
    leads = pd.read_csv(result.leads)
    assert len(leads) == 12_356 and (leads["reason_1"].notna() == (leads["decile"] <= 3)).all()

"""The monthly job end to end on small data, its reuse of a saved model, generic mode, and the EDA report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from core.errors import InvalidInput
from tabular.propensity.leads import run
from tabular.propensity.model import PropensityModel
from tabular.propensity.schemas import RunOptions
from tabular.propensity.synth import generic_frame

pytestmark = pytest.mark.slow


def test_monthly_job_small(tmp_path: Path) -> None:
    opts = RunOptions(
        month="2021-03",
        customers=2000,
        workdir=tmp_path / "work",
        models_dir=tmp_path / "models",
        n_trials=2,
        tune_timeout_s=30,
        eda=True,
        stream_batches=2,
    )
    result = run(opts)
    text = result.report.read_text()
    assert "logistic baseline" in text and "LightGBM tuned" in text and "lift@10%" in text
    assert (result.report.parent / "eda" / "eda.md").exists()
    assert (result.report.parent / "lift_chart.png").exists()
    leads = pd.read_csv(result.leads)
    assert result.leads.name == "leads_2021-04.csv"
    assert {"customer_id", "score", "decile", "segment", "suggested_premium", "model_version"} <= set(
        leads.columns
    )
    assert leads["score"].is_monotonic_decreasing and len(leads) > 1800
    # reasons (SHAP) for the leads in deciles 1-3 only, the default; the report says so
    explained = leads["reason_1"].notna()
    assert explained.any() and (explained == (leads["decile"] <= 3)).all()
    assert leads.loc[explained, "reason_1"].str.match(r"\w+=.+ \([+-]\d").all()
    assert "deciles 1-3" in text
    assert (result.model.parent / "metadata.json").exists()
    # the same month again: ingestion is idempotent and the saved model is reused
    again = run(opts.model_copy(update={"eda": False}))
    assert again.model == result.model
    assert "reused" in again.report.read_text()


def test_generic_mode_on_unseen_csv(tmp_path: Path) -> None:
    path = tmp_path / "churn.csv"
    generic_frame(3000, 12, seed=2).to_csv(path, index=False)
    result = run(
        RunOptions(
            month="2022-12",
            workdir=tmp_path / "work",
            models_dir=tmp_path / "models",
            data=path,
            target="left_us",
            id_column="acct_no",
            month_column="period",
            n_trials=2,
            tune_timeout_s=30,
        )
    )
    assert "out-of-time" in result.metrics["split"]
    assert result.metrics["boosted"]["roc_auc"] > 0.6
    leads = pd.read_csv(result.leads)
    assert len(leads) == 250 and "suggested_premium" not in leads.columns
    # the saved generic model serves raw rows of the client's own schema
    task = PropensityModel(weights=result.model).load()
    rows = generic_frame(40, 4, seed=9).to_dict(orient="records")
    served = task.predict(rows)
    assert [lead.customer_id for lead in served] == [str(r["acct_no"]) for r in rows]
    assert all(lead.suggested_premium is None for lead in served)
    with pytest.raises(InvalidInput, match="nope"):
        run(
            RunOptions(
                month="2022-12", workdir=tmp_path / "work", data=path, target="nope", id_column="acct_no"
            )
        )

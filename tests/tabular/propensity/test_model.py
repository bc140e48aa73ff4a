"""The task class on the bundled default model: records in, leads out, clear errors for bad records."""

from __future__ import annotations

import math

import pytest

from core.errors import InvalidInput, ModelLoading, WeightsUnavailable
from tabular.propensity.model import DEFAULT_MODEL_DIR, PropensityModel
from tabular.propensity.samples import bad_input, evaluation_dataset, sample_inputs
from tabular.propensity.schemas import CustomerRecord, Lead

needs_default = pytest.mark.skipif(
    not (DEFAULT_MODEL_DIR / "model.joblib").exists(),
    reason="bundled model not built (ais propensity build-default)",
)


@pytest.fixture(scope="module")
def task() -> PropensityModel:
    return PropensityModel().load()


def test_missing_weights_says_what_to_run(tmp_path) -> None:
    with pytest.raises(WeightsUnavailable, match="ais propensity"):
        PropensityModel(weights=tmp_path / "nope.joblib").load()
    with pytest.raises(ModelLoading):
        PropensityModel().predict([{}])


@needs_default
def test_predict_records_and_pydantic(task: PropensityModel) -> None:
    records = sample_inputs(3)
    leads = task.predict(records)
    assert [lead.customer_id for lead in leads] == [r["customer_id"] for r in records]
    assert all(isinstance(lead, Lead) and 0 <= lead.score <= 1 and 1 <= lead.decile <= 10 for lead in leads)
    assert all(lead.segment_name and lead.suggested_premium and lead.suggested_premium > 0 for lead in leads)
    assert leads[0].model_version == task.version
    as_model = task.predict([CustomerRecord(**records[0])])
    assert as_model[0].score == pytest.approx(leads[0].score)


@needs_default
def test_bad_records_name_the_columns(task: PropensityModel) -> None:
    good = sample_inputs(1)[0]
    with pytest.raises(InvalidInput, match="favourite_colour"):
        task.predict([bad_input()])
    with pytest.raises(InvalidInput, match="unknown columns.*shoe_size"):
        task.predict([{**good, "shoe_size": 42}])
    missing = {k: v for k, v in good.items() if k != "amount_3m"}
    with pytest.raises(InvalidInput, match="missing columns.*amount_3m"):
        task.predict([missing])
    with pytest.raises(InvalidInput, match="required columns.*'age'"):
        task.predict([{**good, "age": math.nan}])
    with pytest.raises(InvalidInput, match="required columns.*'age'"):
        task.predict([{**good, "age": "nan"}])
    with pytest.raises(InvalidInput, match="non-numeric.*age"):
        task.predict([{**good, "age": "forty"}])
    # income may be missing: it is imputed as in training
    assert task.predict([{**good, "amount_1m": 1e12}])[0].score >= 0


@needs_default
@pytest.mark.parametrize("value", [math.inf, -math.inf, "inf", "Infinity", "-inf", 1e400, 1e308, 1e13, 10 ** 400,
                                   "9" * 400],
                         ids=["inf", "-inf", "str-inf", "Infinity", "str-minus-inf", "1e400", "1e308", "1e13",
                              "int-400-digits", "str-400-digits"])
def test_non_finite_and_out_of_range_numbers_are_rejected_like_nan(task: PropensityModel, value: object) -> None:
    # Infinity, 1e400 and "inf" were scored (0.0002 -> 0.19) and a 400-digit integer was an OverflowError (500)
    good = sample_inputs(1)[0]
    for column in ("amount_1m", "income"):  # required and nullable alike
        with pytest.raises(InvalidInput, match=f"out-of-range.*{column}") as info:
            task.predict([{**good, column: value}])
        assert info.value.detail["columns"] == [column]
# income may be missing: it is imputed as in training
    assert task.predict([{**good, "income": None}])[0].score >= 0
    with pytest.raises(InvalidInput):
        task.predict(["not a record"])


@needs_default
def test_score_csv_and_evaluate(task: PropensityModel) -> None:
    import pandas as pd

    data = pd.DataFrame(sample_inputs(5)).to_csv(index=False).encode()
    leads = task.score_csv(data)
    assert len(leads) == 5
    with pytest.raises(InvalidInput):
        task.score_csv(b"a,b\n1,2\n")
    metrics = task.evaluate(evaluation_dataset())
    assert metrics.values["roc_auc"] > 0.6 and metrics.values["lift_at_10pct"] > 1.5

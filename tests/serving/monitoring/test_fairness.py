"""A deliberately biased propensity model (trained on labels that favoured men) shows its gap."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import InvalidInput
from serving.monitoring.fairness import age_band, fairness_report


def _customers(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"age": rng.integers(18, 85, n), "sex": rng.choice(["F", "M"], n),
                          "region": rng.choice(["north", "south", "east"], n),
                          "income": rng.lognormal(10.4, 0.4, n)})
    logit = -2.2 + 0.8 * (np.log(frame.income) - 10.4) / 0.4 + 0.02 * (frame.age - 50)
    frame["converted"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)  # sex plays no part
    return frame


def biased_scores(seed: int = 0) -> pd.DataFrame:
    """Train on history whose labels favoured men; score new customers whose true outcomes ignore sex."""
    from sklearn.linear_model import LogisticRegression

    history = _customers(4000, seed)
    rng = np.random.default_rng(seed + 1)
    biased = history.converted.to_numpy() | ((history.sex == "M") & (rng.random(len(history)) < 0.25)).to_numpy()
    features = lambda f: np.c_[np.log(f.income), f.age, (f.sex == "M").astype(float)]
    model = LogisticRegression(max_iter=1000).fit(features(history), biased)
    scored = _customers(3000, seed + 2)
    scored["score"] = model.predict_proba(features(scored))[:, 1]
    scored["age_band"] = age_band(scored.age)
    return scored


@pytest.mark.slow  # trains a model
def test_biased_model_is_flagged_on_sex_not_region() -> None:
    report = fairness_report(biased_scores(), ["age_band", "sex", "region"], y_true="converted", score="score",
                             top_fraction=0.2, task="propensity", version="biased")
    by_name = {a.attribute: a for a in report.attributes}
    assert "sex" in report.flagged and "region" not in report.flagged  # age truly drives conversion
    sex = by_name["sex"]
    rates = {g.group: g.selection_rate for g in sex.groups}
    assert rates["M"] - rates["F"] == pytest.approx(sex.demographic_parity_difference, abs=1e-5)
    assert sex.demographic_parity_difference > 0.2 and sex.equal_opportunity_difference > 0.2
    assert by_name["region"].demographic_parity_difference < 0.08
    assert report.rule == "top 20% by score"


def test_age_band_and_bad_columns() -> None:
    assert list(age_band(np.array([18, 30, 70, np.nan]))) == ["0-24", "25-34", "65+", "unknown"]
    frame = pd.DataFrame({"sex": ["F", "M"], "y": [0, 1], "score": [0.1, 0.9]})
    with pytest.raises(InvalidInput, match="not in the data"):
        fairness_report(frame, ["region"], y_true="y", score="score")
    with pytest.raises(InvalidInput, match="at least two groups"):
        fairness_report(frame, ["sex"], y_true="y", score="score")


def scored_csv(tmp_path: Path) -> Path:
    path = tmp_path / "scored.csv"
    biased_scores().drop(columns=["age_band"]).to_csv(path, index=False)
    return path

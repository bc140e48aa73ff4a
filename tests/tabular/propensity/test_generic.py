"""Generic mode on client-shaped files: awkward column names, model choice, refit on all rows, reasons."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tabular.propensity.features import FeaturePrep
from tabular.propensity.generic import evaluate_file, prepare
from tabular.propensity.leads import run
from tabular.propensity.model import PropensityModel
from tabular.propensity.schemas import RunOptions
from tabular.propensity.selection import LIGHTGBM, LOGISTIC, select_and_refit
from tabular.propensity.synth import insurance_marketing_frame
from tabular.propensity.train import OneHotLogistic, TrainConfig

FAST = TrainConfig(n_trials=0, max_rounds=150, seed=0)


def _awkward_csv(path: Path, n: int = 800, seed: int = 0) -> pd.DataFrame:
    """Columns named like SQL keywords, with dots, spaces and umlauts; ';' and decimal commas; a BOM."""
    rng = np.random.default_rng(seed)
    rate = rng.normal(0, 1, n).round(1)
    size = rng.gamma(2, 10, n).round(2)
    default = rng.choice(["no", "yes", "unknown"], n, p=[0.7, 0.1, 0.2])
    select = rng.choice(["a", "b", "c"], n)
    logit = -2.2 + 1.2 * rate + 0.8 * (select == "a") - 0.7 * (default == "yes")
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    frame = pd.DataFrame(
        {
            "default": default,
            "emp.var.rate": rate,
            "order id": [f"ORD-{i:05d}" for i in range(n)],
            "Größe": size,
            "select": select,
            "y": y,
        }
    )
    text = frame.to_csv(sep=";", index=False, decimal=",")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    return frame


def test_generic_mode_on_keyword_dotted_spaced_umlaut_columns(tmp_path: Path) -> None:
    path = tmp_path / "client export.csv"
    _awkward_csv(path)
    result = run(
        RunOptions(
            month="generic", workdir=tmp_path / "work", models_dir=tmp_path / "models", data=path, target="y",
            rows_in_time_order=True, test_fraction=0.3, n_trials=0, drop_columns=["Größe"], reasons_deciles=10,
        )
    )
    report = result.report.read_text()
    for name in ("`default`", "`emp.var.rate`", "`order id`", "`Größe`", "`select`"):
        assert name in report
    assert "ID-like" in result.metrics["flags"]["order id"][0]
    assert result.metrics["excluded"]["order id"] == "ID-like"
    assert result.metrics["excluded"]["Größe"].startswith("dropped")
    assert "out-of-time" in result.metrics["split"] and result.metrics["chosen_model"] in (LOGISTIC, LIGHTGBM)
    assert result.metrics["baseline"]["roc_auc"] > 0.65
    leads = pd.read_csv(result.leads)
    assert len(leads) == 240 and leads["score"].is_monotonic_decreasing
    assert leads["reason_1"].str.match(r"(?:default|emp\.var\.rate|select)=").all()
    # the served model answers raw rows of the client's schema, with reasons
    task = PropensityModel(weights=result.model).load()
    rows = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig").drop(columns=["y", "order id", "Größe"])
    served = task.predict(rows.head(5).to_dict(orient="records"))
    assert all(len(lead.reasons) == 3 for lead in served)
    assert served[0].reasons[0].contribution >= served[0].reasons[1].contribution


_CACHE: dict[str, tuple[object, pd.DataFrame, pd.DataFrame]] = {}


def _selection(signal: str, seed: int = 0) -> tuple[object, pd.DataFrame, pd.DataFrame]:
    """Model choice on a 2,400-row look-alike of the insurance-marketing shape (computed once per signal)."""
    if signal not in _CACHE:
        _CACHE[signal] = _fresh_selection(signal, seed)
    return _CACHE[signal]


def _fresh_selection(signal: str, seed: int) -> tuple[object, pd.DataFrame, pd.DataFrame]:
    frame = insurance_marketing_frame(2400, seed=seed, signal=signal)
    train, test = frame.iloc[:1800].reset_index(drop=True), frame.iloc[1800:].reset_index(drop=True)
    train, test = train.rename(columns={"target": "label"}), test.rename(columns={"target": "label"})
    columns = [f"col_{i}" for i in range(1, 86)]
    sel = select_and_refit(train, test, columns, FAST, valid_mask=None, version="t", metadata={})
    return sel, train, test


def test_model_choice_keeps_the_baseline_unless_boosting_pays() -> None:
    linear, _, _ = _selection("linear")
    assert linear.chosen == LOGISTIC, linear.why
    assert "simpler model is kept" in linear.why and "cross-validation" in linear.protocol
    pocket, _, _ = _selection("interaction")
    assert pocket.chosen == LIGHTGBM, pocket.why
    assert pocket.validation[LIGHTGBM].pr_auc > 1.02 * pocket.validation[LOGISTIC].pr_auc
    # both candidates are reported on the test rows, whichever won
    assert set(pocket.test) == {LOGISTIC, LIGHTGBM} and pocket.test[LIGHTGBM].n == 600


def test_leads_model_is_refitted_on_all_labelled_rows() -> None:
    sel, train, test = _selection("linear")
    bundle = sel.bundle
    everything = pd.concat([train, test], ignore_index=True)
    assert bundle.metadata["rows"] == {"train": 1800, "test": 600, "final_fit": 2400}
    columns = bundle.feature_columns
    prep = FeaturePrep.for_frame(everything, columns, plain=True).fit(everything)
    on_all = OneHotLogistic(n_scaled=len(prep.numeric)).fit(prep.transform(everything), everything["label"])
    np.testing.assert_allclose(bundle.baseline.model.coef_, on_all.model.coef_, rtol=1e-6, atol=1e-8)
    prep_t = FeaturePrep.for_frame(train, columns, plain=True).fit(train)
    on_train = OneHotLogistic(n_scaled=len(prep_t.numeric)).fit(prep_t.transform(train), train["label"])
    assert not np.allclose(bundle.baseline.model.coef_, on_train.model.coef_)
    # the boosted model too: the same settings on all rows give the same trees
    import lightgbm as lgb

    again = lgb.LGBMClassifier(
        n_estimators=sel.best_rounds, random_state=0, n_jobs=1, verbose=-1, **sel.best_params
    ).fit(prep.transform(everything), everything["label"])
    np.testing.assert_allclose(
        bundle.booster.predict_proba(prep.transform(test))[:, 1], again.predict_proba(prep.transform(test))[:, 1]
    )


@pytest.mark.parametrize("chosen", [LOGISTIC, LIGHTGBM])
def test_reasons_sum_with_the_base_value_to_the_raw_score(chosen: str) -> None:
    sel, _, test = _selection("interaction")
    bundle = copy.copy(sel.bundle)
    bundle.chosen = chosen
    contrib, base, names = bundle.contributions(test)
    assert names[:3] == ["col_1", "col_2", "col_3"] and contrib.shape == (600, 85)
    np.testing.assert_allclose(contrib.sum(axis=1) + base, bundle.raw_log_odds(test), rtol=1e-5, atol=1e-5)
    raw = 1 / (1 + np.exp(-bundle.raw_log_odds(test)))
    np.testing.assert_allclose(raw, bundle.raw_scores(test), rtol=1e-5, atol=1e-7)
    from tabular.propensity.reasons import top_reasons

    reasons = top_reasons(bundle, test.head(20), 3)
    for i, row in enumerate(reasons):
        assert [r.feature for r in row] == [names[j] for j in np.argsort(-contrib[i], kind="stable")[:3]]
        assert row[0].value == str(test[row[0].feature].iloc[i])


def test_evaluate_command_on_coil_tables(tmp_path: Path) -> None:
    frame = insurance_marketing_frame(1500, seed=3, signal="linear")
    train, test = frame.iloc[:1000], frame.iloc[1000:]
    (tmp_path / "tic.txt").write_text(train.to_csv(sep=" ", header=False, index=False))
    (tmp_path / "eval.txt").write_text(test.drop(columns="target").to_csv(sep="\t", header=False, index=False))
    (tmp_path / "tgts.txt").write_text("\n".join(str(v) for v in test["target"]) + "\n")
    options = RunOptions(
        month="generic", workdir=tmp_path / "w", data=tmp_path / "tic.txt", data_format="coil",
        target="target", n_trials=0, capacity=100,
    )
    # the train file alone first, in the same warehouse: the later train + test load must not reuse it
    assert len(prepare(options, tmp_path / "w").frame) == 1000
    metrics, _ = evaluate_file(options, tmp_path / "eval.txt", tmp_path / "tgts.txt", origin="generated")
    assert metrics.origin == "generated" and metrics.n_samples == 500
    assert metrics.details["train_rows"] == 1000 and "cross-validation" in metrics.details["split"]
    assert set(metrics.baselines) == {"logistic regression", "lightgbm", "sklearn one-hot logistic (defaults)"}
    low, high = metrics.intervals["pr_auc"]
    assert low <= metrics.values["pr_auc"] <= high and high - low > 0
    assert metrics.values["buyers_in_top10pct"] <= metrics.details["positives"]
    assert metrics.values["buyers_at_capacity"] <= 100 and "buyers_at_capacity" in metrics.baselines["lightgbm"]
    assert "| pr_auc |" in metrics.table()


def test_evaluate_cli_prints_intervals_and_baselines(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tabular.propensity.cli import app

    path = tmp_path / "client.csv"
    _awkward_csv(path, n=600, seed=4)
    out = tmp_path / "metrics.json"
    result = CliRunner().invoke(
        app,
        ["evaluate", "--data", str(path), "--target", "y", "--trials", "0", "--workdir", str(tmp_path / "w"),
         "--out", str(out), "--generated"],
    )
    assert result.exit_code == 0, result.output
    assert "generated by us" in result.output and "95% interval" in result.output
    assert "sklearn one-hot logistic (defaults)" in result.output and "NO time order" in result.output
    assert '"origin": "generated"' in out.read_text()

"""Generic mode's honest model choice: the plain logistic baseline first, LightGBM only when it pays.

1. **Validation** (never the test rows): out of time when the rows have an order (fit on the earlier
   rows, validate on the later ones), otherwise 5-fold stratified cross-validation (out-of-fold
   scores). LightGBM's settings are tuned by Optuna on the same validation data; the logistic
   regression is the plain one (sklearn defaults). LightGBM is chosen only when its validation
   PR-AUC beats the logistic's by more than ``margin`` (relative); both are Platt-calibrated on
   their validation scores.
2. **Test**: both models refitted on every training row (fit + validation) with the chosen settings
   and scored on the held-out test rows: both are reported.
3. **Leads**: both refitted on *all* labelled rows (train + test); the chosen one scores the leads.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from tabular.propensity.evaluate import LiftReport, lift_report
from tabular.propensity.features import FeaturePrep
from tabular.propensity.train import (
    DEFAULT_LGBM,
    Calibrator,
    ModelBundle,
    OneHotLogistic,
    TrainConfig,
    fit_lightgbm,
    tune_lightgbm,
)

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)
LOGISTIC, LIGHTGBM = "logistic", "lightgbm"
DISPLAY = {LOGISTIC: "logistic regression (plain one-hot)", LIGHTGBM: "LightGBM (tuned)"}


@dataclass
class Selection:
    """The chosen model (refitted on all labelled rows) and the evidence for the choice."""

    bundle: ModelBundle
    chosen: str
    why: str
    protocol: str
    validation: dict[str, LiftReport]
    test: dict[str, LiftReport]
    test_scores: dict[str, np.ndarray]  # calibrated scores on the test rows, models fitted on train rows
    best_params: dict[str, Any]
    best_rounds: int
    trials: list[dict[str, Any]] = field(default_factory=list)
    importances: list[tuple[str, float]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def _fixed_lightgbm(x: np.ndarray, y: np.ndarray, params: dict[str, Any], rounds: int, cfg: TrainConfig) -> Any:
    import lightgbm as lgb

    return lgb.LGBMClassifier(
        n_estimators=max(1, rounds), random_state=cfg.seed, n_jobs=cfg.threads, verbose=-1, **params
    ).fit(x, y)


def _prep(frame: pd.DataFrame, columns: list[str]) -> FeaturePrep:
    return FeaturePrep.for_frame(frame, columns, plain=True).fit(frame)


def _logistic(prep: FeaturePrep, x: np.ndarray, y: np.ndarray, seed: int) -> OneHotLogistic:
    return OneHotLogistic(n_scaled=len(prep.numeric), seed=seed).fit(x, y)


def _validate_out_of_time(
    fit: pd.DataFrame, valid: pd.DataFrame, columns: list[str], cfg: TrainConfig
) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, Any], int, list[dict[str, Any]]]:
    prep = _prep(fit, columns)
    x, y = prep.transform(fit), fit["label"].to_numpy()
    xv, yv = prep.transform(valid), valid["label"].to_numpy()
    scores = {LOGISTIC: _logistic(prep, x, y, cfg.seed).predict_proba(xv)[:, 1]}
    if cfg.n_trials > 0:
        params, trials = tune_lightgbm(x, y, xv, yv, cfg)
    else:
        params, trials = dict(DEFAULT_LGBM), []
    model = fit_lightgbm(x, y, xv, yv, params, cfg)
    scores[LIGHTGBM] = model.predict_proba(xv)[:, 1]
    return scores, yv, params, int(model.best_iteration_ or cfg.max_rounds), trials


def _validate_cross(
    train: pd.DataFrame, columns: list[str], cfg: TrainConfig, folds: int = 5
) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, Any], int, list[dict[str, Any]]]:
    from sklearn.model_selection import StratifiedKFold

    y = train["label"].to_numpy()
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=cfg.seed).split(np.zeros(len(y)), y))
    # settings (and the number of rounds) tuned on the first fold, then scored out of fold on all folds
    first_fit, first_valid = splits[0]
    prep = _prep(train.iloc[first_fit], columns)
    x, xv = prep.transform(train.iloc[first_fit]), prep.transform(train.iloc[first_valid])
    if cfg.n_trials > 0:
        params, trials = tune_lightgbm(x, y[first_fit], xv, y[first_valid], cfg)
    else:
        params, trials = dict(DEFAULT_LGBM), []
    tuned = fit_lightgbm(x, y[first_fit], xv, y[first_valid], params, cfg)
    rounds = int(tuned.best_iteration_ or cfg.max_rounds)
    oof = {LOGISTIC: np.zeros(len(y)), LIGHTGBM: np.zeros(len(y))}
    for fit_idx, valid_idx in splits:
        part, held = train.iloc[fit_idx], train.iloc[valid_idx]
        prep = _prep(part, columns)
        x, xv = prep.transform(part), prep.transform(held)
        oof[LOGISTIC][valid_idx] = _logistic(prep, x, y[fit_idx], cfg.seed).predict_proba(xv)[:, 1]
        oof[LIGHTGBM][valid_idx] = _fixed_lightgbm(x, y[fit_idx], params, rounds, cfg).predict_proba(xv)[:, 1]
    return oof, y, params, rounds, trials


def choose(validation: dict[str, LiftReport], margin: float) -> tuple[str, str]:
    """The deck's rule in code: the baseline, unless the boosted model's validation PR-AUC beats it by
    more than ``margin`` (relative)."""
    lr, gb = validation[LOGISTIC].pr_auc, validation[LIGHTGBM].pr_auc
    if gb > lr * (1 + margin):
        return LIGHTGBM, (
            f"LightGBM's validation PR-AUC {gb:.4f} beats the logistic baseline's {lr:.4f} by "
            f"{(gb / lr - 1) * 100:.1f}% (> {margin:.0%} needed): the complexity pays"
        )
    return LOGISTIC, (
        f"the logistic baseline's validation PR-AUC is {lr:.4f} and LightGBM's {gb:.4f} "
        f"(it must beat the baseline by more than {margin:.0%}): the simpler model is kept"
    )


def select_and_refit(
    train: pd.DataFrame,
    test: pd.DataFrame,
    columns: list[str],
    cfg: TrainConfig,
    *,
    valid_mask: np.ndarray | None,
    version: str,
    metadata: dict[str, Any],
    margin: float = 0.02,
) -> Selection:
    """Validate (out of time when ``valid_mask`` marks the later training rows, else cross-validated),
    choose, report both on ``test``, then refit both on train + test; the bundle scores with the chosen."""
    import pandas as pd

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if valid_mask is not None:
        scores_v, y_v, params, rounds, trials = _validate_out_of_time(
            train[~valid_mask], train[valid_mask], columns, cfg
        )
        protocol = (
            f"out-of-time: fitted on the earliest {int((~valid_mask).sum()):,} training rows, validated on "
            f"the next {int(valid_mask.sum()):,}"
        )
    else:
        scores_v, y_v, params, rounds, trials = _validate_cross(train, columns, cfg)
        protocol = f"5-fold stratified cross-validation on the {len(train):,} training rows (no time order)"
    timings["validation_s"] = round(time.perf_counter() - t0, 2)
    validation = {k: lift_report(y_v, v) for k, v in scores_v.items()}
    calibrators = {k: Calibrator().fit(v, y_v) for k, v in scores_v.items()}
    chosen, why = choose(validation, margin)
    log.info("model choice: %s (%s)", chosen, why)

    t0 = time.perf_counter()
    prep = _prep(train, columns)
    x, y = prep.transform(train), train["label"].to_numpy()
    xt, yt = prep.transform(test), test["label"].to_numpy()
    logistic = _logistic(prep, x, y, cfg.seed)
    booster = _fixed_lightgbm(x, y, params, rounds, cfg)
    test_scores = {
        LOGISTIC: calibrators[LOGISTIC](logistic.predict_proba(xt)[:, 1]),
        LIGHTGBM: calibrators[LIGHTGBM](booster.predict_proba(xt)[:, 1]),
    }
    test_reports = {k: lift_report(yt, v) for k, v in test_scores.items()}
    timings["test_refit_s"] = round(time.perf_counter() - t0, 2)

    t0 = time.perf_counter()
    labelled = pd.concat([train, test], ignore_index=True)
    prep_all = _prep(labelled, columns)
    x_all, y_all = prep_all.transform(labelled), labelled["label"].to_numpy()
    logistic_all = _logistic(prep_all, x_all, y_all, cfg.seed)
    booster_all = _fixed_lightgbm(x_all, y_all, params, rounds, cfg)
    timings["final_refit_s"] = round(time.perf_counter() - t0, 2)

    calibrator = calibrators[chosen]
    edges = [float(e) for e in np.quantile(calibrator(scores_v[chosen]), np.linspace(0.1, 0.9, 9))]
    gains = booster_all.booster_.feature_importance(importance_type="gain")
    importances = sorted(
        zip(prep_all.output_names, (gains / max(gains.sum(), 1e-12)).tolist()), key=lambda t: -t[1]
    )
    nullable = [c for c in columns if labelled[c].isna().any()]
    meta = dict(metadata)
    meta.update(
        {
            "version": version,
            "mode": "generic",
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "features": columns,
            "nullable_features": nullable,
            "prepared_features": prep_all.output_names,
            "chosen_model": chosen,
            "why": why,
            "validation_protocol": protocol,
            "rows": {"train": len(train), "test": len(test), "final_fit": len(labelled)},
            "positives": {"train": int(y.sum()), "test": int(yt.sum()), "final_fit": int(y_all.sum())},
            "best_params": params,
            "best_rounds": rounds,
            "metrics_validation": {k: v.as_dict() for k, v in validation.items()},
            "metrics_test": {k: v.as_dict() for k, v in test_reports.items()},
            "calibration": {"a": calibrator.a, "b": calibrator.b, "fitted_on": "validation scores"},
            "top_features": importances[:20],
            "timings": timings,
        }
    )
    bundle = ModelBundle(
        version=version,
        mode="generic",
        feature_columns=columns,
        nullable_columns=nullable,
        categorical_columns=list(prep_all.categorical),
        prep=prep_all,
        baseline=logistic_all,
        booster=booster_all,
        calibrator=calibrator,
        decile_edges=edges,
        metadata=meta,
        chosen=chosen,
    )
    return Selection(
        bundle, chosen, why, protocol, validation, test_reports, test_scores, params, rounds, trials,
        importances, timings,
    )


def reference_logistic_scores(train: pd.DataFrame, test: pd.DataFrame, columns: list[str], seed: int = 0) -> np.ndarray:
    """The textbook baseline the issue compares against, built from scikit-learn parts only: one-hot
    encoded text columns, median-imputed and standardised numbers, ``LogisticRegression()`` with its
    defaults (lbfgs, tol 1e-4), fitted on ``train`` and scored on ``test``. Reported beside the chosen model."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(train[c]) and not pd.api.types.is_bool_dtype(train[c])]
    text = [c for c in columns if c not in numeric]

    def as_text(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame[numeric + text].copy()
        for c in text:
            out[c] = out[c].astype(str)
        return out

    encode = ColumnTransformer(
        [
            ("text", OneHotEncoder(handle_unknown="ignore"), text),
            ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ]
    )
    model = make_pipeline(encode, LogisticRegression(max_iter=1000, random_state=seed))
    model.fit(as_text(train), train["label"].to_numpy())
    return model.predict_proba(as_text(test))[:, 1]

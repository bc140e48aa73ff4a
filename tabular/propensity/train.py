"""Training: logistic-regression baseline -> LightGBM -> Optuna tuning on the out-of-time validation months,
Platt calibration, feature importances; every model saved with version, features, window and metrics."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import WeightsUnavailable
from tabular.propensity.evaluate import LiftReport, lift_report
from tabular.propensity.features import FeaturePrep

if TYPE_CHECKING:
    import pandas as pd

    from tabular.propensity.premium import PremiumModel
    from tabular.propensity.segment import Segmenter

log = logging.getLogger(__name__)
BUNDLE_FILE = "model.joblib"
META_FILE = "metadata.json"


@dataclass(frozen=True)
class TrainConfig:
    """Model budget: Optuna trials/timeout, LightGBM threads, seed."""

    n_trials: int = 10
    tune_timeout_s: float = 180.0
    threads: int = 1  # the shared 2-core machine: more threads only add contention
    seed: int = 0
    max_rounds: int = 600


@dataclass
class Calibrator:
    """Platt scaling on the log-odds of the raw score, fitted on validation months (monotone: ranks unchanged)."""

    a: float = 1.0
    b: float = 0.0

    @staticmethod
    def _logit(p: np.ndarray) -> np.ndarray:
        p = np.clip(p, 1e-6, 1 - 1e-6)
        return np.log(p / (1 - p))

    def fit(self, raw: np.ndarray, y: np.ndarray) -> Calibrator:
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=1e4, max_iter=500).fit(self._logit(raw)[:, None], y)
        self.a, self.b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        if self.a <= 0:  # a useless validation fit must never reverse the ranking
            log.warning("Platt fit has slope %.3g <= 0; keeping the slope at 1 and refitting the offset", self.a)
            rate = float(np.clip(np.mean(y), 1e-6, 1 - 1e-6))
            self.a, self.b = 1.0, float(np.log(rate / (1 - rate)) - np.mean(self._logit(raw)))
        return self

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.a * self._logit(raw) + self.b)))


@dataclass
class OneHotLogistic:
    """The plain one-hot logistic regression: the first ``n_scaled`` prepared columns (numbers) standardised,
    one-hot and flag columns left as 0/1 (scaling them changes what the L2 penalty does to rare categories),
    L2 with C=1 as scikit-learn's default, solved to convergence (Newton-Cholesky: scikit-learn's default
    lbfgs stops at tol=1e-4 short of the optimum, which on the bank-marketing test rows costs 0.01 PR-AUC)."""

    n_scaled: int
    c: float = 1.0
    seed: int = 0
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    model: Any = None

    def _scaled(self, x: np.ndarray) -> np.ndarray:
        out = np.asarray(x, dtype=np.float64).copy()
        out[:, : self.n_scaled] = (out[:, : self.n_scaled] - self.mean) / self.scale
        return out

    def fit(self, x: np.ndarray, y: np.ndarray) -> OneHotLogistic:
        from sklearn.linear_model import LogisticRegression

        num = np.asarray(x[:, : self.n_scaled], dtype=np.float64)
        self.mean = num.mean(axis=0)
        self.scale = np.where(num.std(axis=0) > 0, num.std(axis=0), 1.0)
        self.model = LogisticRegression(
            C=self.c, solver="newton-cholesky", max_iter=500, random_state=self.seed
        ).fit(self._scaled(x), y)
        return self

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        return self.model.decision_function(self._scaled(x))

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(self._scaled(x))

    def contributions(self, x: np.ndarray) -> tuple[np.ndarray, float]:
        """Per-feature log-odds terms (coefficient x standardised value) and the intercept."""
        return self._scaled(x) * self.model.coef_[0][None, :], float(self.model.intercept_[0])


@dataclass
class ModelBundle:
    """Everything needed to score a customer record, saved as one joblib file plus JSON metadata."""

    version: str
    mode: str  # "bancassurance" or "generic"
    feature_columns: list[str]  # raw input columns a record must carry
    nullable_columns: list[str]  # of those, the ones that may be missing/NaN (imputed)
    categorical_columns: list[str]
    prep: FeaturePrep
    baseline: Any
    booster: Any
    calibrator: Calibrator
    decile_edges: list[float]  # calibrated-score cut points (validation months) for deciles 1..10
    segmenter: Segmenter | None = None
    premium: PremiumModel | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    chosen: str = "lightgbm"  # the model that scores leads: "lightgbm" or "logistic" (generic mode's selection)

    def _scorer(self) -> Any:
        return self.baseline if self.chosen == "logistic" else self.booster

    def raw_scores(self, frame: pd.DataFrame) -> np.ndarray:
        return self._scorer().predict_proba(self.prep.transform(frame))[:, 1]

    def contributions(
        self, frame: pd.DataFrame, threads: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(per input column log-odds contributions (rows x columns), base value per row, the column names).

        LightGBM: its own SHAP values (``pred_contrib``, exact TreeSHAP: the costly part of scoring a
        population, about 0.6 ms of CPU per customer; ``threads`` > 1 splits the rows over cores, same
        values), bias last; logistic: coefficient x standardised value, intercept as base. Contributions of
        a column's prepared features (one-hot levels, missing flag) are summed, so base + row sum = the
        model's raw log-odds score."""
        x = self.prep.transform(frame)
        if self.chosen == "logistic":
            if not hasattr(self.baseline, "contributions"):
                raise TypeError("this bundle's logistic model does not expose contributions")
            per_feature, intercept = self.baseline.contributions(x)
            base = np.full(len(x), intercept)
        else:
            extra = {"num_threads": threads} if threads else {}
            raw = np.asarray(self.booster.predict(x, pred_contrib=True, **extra), dtype=np.float64)
            per_feature, base = raw[:, :-1], raw[:, -1]
        sources = self.prep.sources()
        names = list(dict.fromkeys(sources))
        index = {n: i for i, n in enumerate(names)}
        agg = np.zeros((len(x), len(names)))
        for j, src in enumerate(sources):
            agg[:, index[src]] += per_feature[:, j]
        return agg, base, names

    def raw_log_odds(self, frame: pd.DataFrame) -> np.ndarray:
        """The chosen model's raw score in log-odds (what contributions sum to)."""
        x = self.prep.transform(frame)
        if self.chosen == "logistic":
            return self.baseline.decision_function(x)
        return np.asarray(self.booster.predict(x, raw_score=True), dtype=np.float64)

    def scores(self, frame: pd.DataFrame) -> np.ndarray:
        return self.calibrator(self.raw_scores(frame))

    def baseline_scores(self, frame: pd.DataFrame) -> np.ndarray:
        return self.baseline.predict_proba(self.prep.transform(frame))[:, 1]

    def deciles(self, scores: np.ndarray) -> np.ndarray:
        """1 = top 10% of customers by score (relative to the validation months' score distribution)."""
        return 10 - np.searchsorted(np.asarray(self.decile_edges), scores, side="right")


def fit_baseline(x: np.ndarray, y: np.ndarray, seed: int = 0) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=400, random_state=seed)).fit(
        x, y
    )


def fit_lightgbm(
    x: np.ndarray, y: np.ndarray, xv: np.ndarray, yv: np.ndarray, params: dict[str, Any], cfg: TrainConfig
) -> Any:
    import lightgbm as lgb

    model = lgb.LGBMClassifier(
        n_estimators=cfg.max_rounds, random_state=cfg.seed, n_jobs=cfg.threads, verbose=-1, **params
    )
    model.fit(
        x,
        y,
        eval_X=(xv,),
        eval_y=(yv,),
        eval_metric="binary_logloss",
        callbacks=[lgb.early_stopping(60, verbose=False)],
    )
    return model


DEFAULT_LGBM = {
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_child_samples": 100,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
}


def tune_lightgbm(
    x: np.ndarray, y: np.ndarray, xv: np.ndarray, yv: np.ndarray, cfg: TrainConfig
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Optuna TPE search maximising validation PR-AUC; returns the best params and the trial log."""
    import optuna
    from sklearn.metrics import average_precision_score

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial: optuna.Trial) -> float:
        params = {
            "learning_rate": trial.suggest_float("learning_rate", 0.02, 0.2, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 7, 63, log=True),
            "min_child_samples": trial.suggest_int("min_child_samples", 20, 400, log=True),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
            "subsample_freq": 1,
            "colsample_bytree": trial.suggest_float("colsample_bytree", 0.4, 1.0),
            "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 10.0, log=True),
        }
        model = fit_lightgbm(x, y, xv, yv, params, cfg)
        trial.set_user_attr("rounds", int(model.best_iteration_ or cfg.max_rounds))
        return float(average_precision_score(yv, model.predict_proba(xv)[:, 1]))

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=cfg.seed))
    study.enqueue_trial({k: v for k, v in DEFAULT_LGBM.items() if k != "subsample_freq"})
    study.optimize(objective, n_trials=max(1, cfg.n_trials), timeout=cfg.tune_timeout_s)
    best = dict(study.best_params, subsample_freq=1)
    trials = [
        {"number": t.number, "pr_auc": t.value, **t.params} for t in study.trials if t.value is not None
    ]
    return best, trials


@dataclass
class TrainResult:
    bundle: ModelBundle
    baseline_report: LiftReport
    default_report: LiftReport
    boosted_report: LiftReport
    importances: list[tuple[str, float]]
    trials: list[dict[str, Any]]
    timings: dict[str, float]


def train_propensity(
    fit: pd.DataFrame,
    valid: pd.DataFrame,
    test: pd.DataFrame,
    columns: list[str],
    cfg: TrainConfig,
    mode: str,
    version: str,
    metadata: dict[str, Any],
) -> TrainResult:
    """Fit prep on fit months, tune on valid months, calibrate on valid, report on test months (all out of time)."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    prep = FeaturePrep.for_frame(fit, columns).fit(fit)
    x, y = prep.transform(fit), fit["label"].to_numpy()
    xv, yv = prep.transform(valid), valid["label"].to_numpy()
    xt, yt = prep.transform(test), test["label"].to_numpy()
    timings["prep_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    baseline = fit_baseline(x, y, cfg.seed)
    baseline_report = lift_report(yt, baseline.predict_proba(xt)[:, 1])
    timings["baseline_s"] = time.perf_counter() - t0
    log.info(
        "baseline test PR-AUC %.4f lift@10%% %.2f", baseline_report.pr_auc, baseline_report.lift_at_10pct
    )

    t0 = time.perf_counter()
    default_model = fit_lightgbm(x, y, xv, yv, dict(DEFAULT_LGBM), cfg)
    default_report = lift_report(yt, default_model.predict_proba(xt)[:, 1])
    timings["lightgbm_default_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    if cfg.n_trials > 0:
        best, trials = tune_lightgbm(x, y, xv, yv, cfg)
        booster = fit_lightgbm(x, y, xv, yv, best, cfg)
    else:
        best, trials, booster = dict(DEFAULT_LGBM), [], default_model
    timings["tuning_s"] = time.perf_counter() - t0

    raw_valid = booster.predict_proba(xv)[:, 1]
    calibrator = Calibrator().fit(raw_valid, yv)
    calibrated_valid = calibrator(raw_valid)
    edges = [float(e) for e in np.quantile(calibrated_valid, np.linspace(0.1, 0.9, 9))]
    boosted_report = lift_report(yt, calibrator(booster.predict_proba(xt)[:, 1]))
    log.info("boosted test PR-AUC %.4f lift@10%% %.2f", boosted_report.pr_auc, boosted_report.lift_at_10pct)
    gains = booster.booster_.feature_importance(importance_type="gain")
    importances = sorted(
        zip(prep.output_names, (gains / max(gains.sum(), 1e-12)).tolist()), key=lambda t: -t[1]
    )
    nullable = [c for c in columns if fit[c].isna().any() or valid[c].isna().any()]
    categorical = list(prep.categorical)
    meta = dict(metadata)
    meta.update(
        {
            "version": version,
            "mode": mode,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "features": columns,
            "nullable_features": nullable,
            "prepared_features": prep.output_names,
            "rows": {"fit": len(fit), "valid": len(valid), "test": len(test)},
            "positives": {"fit": int(y.sum()), "valid": int(yv.sum()), "test": int(yt.sum())},
            "best_params": best,
            "best_rounds": int(booster.best_iteration_ or cfg.max_rounds),
            "metrics_test": {
                "baseline_logistic": baseline_report.as_dict(),
                "lightgbm_default": default_report.as_dict(),
                "lightgbm_tuned_calibrated": boosted_report.as_dict(),
            },
            "calibration": {"a": calibrator.a, "b": calibrator.b},
            "top_features": importances[:20],
            "timings": timings,
        }
    )
    bundle = ModelBundle(
        version=version,
        mode=mode,
        feature_columns=columns,
        nullable_columns=nullable,
        categorical_columns=categorical,
        prep=prep,
        baseline=baseline,
        booster=booster,
        calibrator=calibrator,
        decile_edges=edges,
        metadata=meta,
    )
    return TrainResult(bundle, baseline_report, default_report, boosted_report, importances, trials, timings)


def models_root(models_dir: str | Path | None = None) -> Path:
    from core.offline import state_dir

    return Path(models_dir) if models_dir else state_dir() / "propensity" / "models"


def save_bundle(bundle: ModelBundle, models_dir: str | Path | None = None) -> Path:
    """Write ``<models_dir>/<version>/model.joblib`` and ``metadata.json``; returns the joblib path."""
    import joblib

    folder = models_root(models_dir) / bundle.version
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / BUNDLE_FILE
    joblib.dump(bundle, path, compress=3)
    (folder / META_FILE).write_text(json.dumps(bundle.metadata, indent=2, default=str))
    return path


def load_bundle(path: str | Path) -> ModelBundle:
    import joblib

    path = Path(path)
    if path.is_dir():
        path = path / BUNDLE_FILE
    if not path.exists():
        raise WeightsUnavailable(
            f"no propensity model at {str(path)!r}; run `ais propensity run --month YYYY-MM` or "
            "`ais propensity train` to build one",
            path=str(path),
        )
    bundle = joblib.load(path)
    if not isinstance(bundle, ModelBundle):
        raise WeightsUnavailable(f"{str(path)!r} is not a propensity model bundle", path=str(path))
    return bundle


def find_model(models_dir: str | Path | None, prefix: str) -> Path | None:
    """The newest saved model whose version starts with ``prefix`` (e.g. the same month and window)."""
    root = models_root(models_dir)
    if not root.is_dir():
        return None
    found = sorted(p for p in root.glob(f"{prefix}*/{BUNDLE_FILE}"))
    return found[-1] if found else None

"""Premium suggestion: a regression of the annual premium of policies bought, on age, income, holdings and q_x."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

PREMIUM_COLUMNS = (
    "age",
    "income",
    "qx",
    "has_mortgage",
    "mortgage_amount",
    "has_credit_card",
    "has_auto_finance",
    "n_policies",
    "has_life_policy",
    "n_children",
    "amount_travel_12m",
    "amount_health_12m",
    "amount_home_3m",
    "months_since_mortgage",
    "digital_user",
)


@dataclass
class PremiumModel:
    """LightGBM regressor on log premium; metrics are measured out of time by the caller."""

    columns: list[str] = field(default_factory=lambda: list(PREMIUM_COLUMNS))
    seed: int = 0
    model: Any = None
    metrics: dict[str, float] = field(default_factory=dict)

    def _x(self, frame: pd.DataFrame) -> np.ndarray:
        return np.column_stack([frame[c].to_numpy(dtype=np.float64) for c in self.columns]).astype(np.float32)

    def fit(self, frame: pd.DataFrame, premium: np.ndarray) -> PremiumModel:
        import lightgbm as lgb

        self.model = lgb.LGBMRegressor(
            n_estimators=300,
            learning_rate=0.05,
            num_leaves=15,
            min_child_samples=20,
            subsample=0.8,
            subsample_freq=1,
            random_state=self.seed,
            n_jobs=2,
            verbose=-1,
        )
        self.model.fit(self._x(frame), np.log(np.maximum(premium, 1.0)))
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return np.round(np.exp(self.model.predict(self._x(frame))), 2)

    def evaluate(
        self, frame: pd.DataFrame, premium: np.ndarray, train_premium: np.ndarray
    ) -> dict[str, float]:
        pred = self.predict(frame)
        base = np.full(len(premium), float(np.median(train_premium)))
        self.metrics = {
            "n": float(len(premium)),
            "rmse": float(np.sqrt(np.mean((pred - premium) ** 2))),
            "mae": float(np.mean(np.abs(pred - premium))),
            "baseline_median_rmse": float(np.sqrt(np.mean((base - premium) ** 2))),
            "baseline_median_mae": float(np.mean(np.abs(base - premium))),
        }
        return self.metrics


def premium_targets(policies: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
    """Total annual premium bought in the month after each row's cutoff (NaN where nothing was bought)."""
    import pandas as pd

    p = policies.groupby(["customer_id", "start_m"], as_index=False)["annual_premium"].sum()
    keys = pd.DataFrame(
        {
            "customer_id": frame["customer_id"].to_numpy(dtype=np.int64),
            "start_m": frame["cutoff"].to_numpy(dtype=np.int64) + 1,
        }
    )
    merged = keys.merge(
        p.astype({"customer_id": np.int64, "start_m": np.int64}), how="left", on=["customer_id", "start_m"]
    )
    return merged["annual_premium"].to_numpy(dtype=np.float64)

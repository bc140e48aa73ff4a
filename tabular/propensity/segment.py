"""Customer segments: k-means on a few scaled, readable features, with a profile and a name per segment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

BANCASSURANCE_COLUMNS = (
    "age",
    "income",
    "amount_12m",
    "n_policies",
    "has_mortgage",
    "digital_user",
    "inquiries_12m",
    "tenure_months",
    "n_children",
)


@dataclass
class Segmenter:
    """Scales (log for skewed columns, then z-score), clusters, and describes each cluster in words."""

    columns: list[str]
    k: int = 5
    seed: int = 0
    log_columns: list[str] = field(default_factory=list)
    medians: dict[str, float] = field(default_factory=dict)
    mean: np.ndarray | None = None
    std: np.ndarray | None = None
    model: Any = None
    names: list[str] = field(default_factory=list)
    profiles: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def for_frame(cls, frame: pd.DataFrame, k: int = 5, seed: int = 0) -> Segmenter:
        import pandas as pd

        cols = [c for c in BANCASSURANCE_COLUMNS if c in frame.columns]
        if len(cols) < 3:  # generic data: its numeric columns
            cols = [
                c
                for c in frame.columns
                if pd.api.types.is_numeric_dtype(frame[c]) and c not in ("customer_id", "cutoff", "label")
            ][:10]
        return cls(columns=cols, k=k, seed=seed)

    def _matrix(self, frame: pd.DataFrame) -> np.ndarray:
        x = np.column_stack([frame[c].to_numpy(dtype=np.float64) for c in self.columns])
        for j, c in enumerate(self.columns):
            bad = ~np.isfinite(x[:, j])
            x[bad, j] = self.medians.get(c, 0.0)
            if c in self.log_columns:
                x[:, j] = np.log1p(np.maximum(x[:, j], 0))
        return x

    def fit(self, frame: pd.DataFrame, labels: np.ndarray | None = None, max_rows: int = 50_000) -> Segmenter:
        from sklearn.cluster import KMeans

        rng = np.random.default_rng(self.seed)
        if len(frame) > max_rows:
            keep = rng.choice(len(frame), max_rows, replace=False)
            frame = frame.iloc[keep]
            labels = labels[keep] if labels is not None else None
        for c in self.columns:
            v = frame[c].to_numpy(dtype=np.float64)
            self.medians[c] = float(np.nanmedian(v)) if np.isfinite(v).any() else 0.0
            if np.nanmin(v) >= 0 and np.nanquantile(v, 0.99) > 20 * max(np.nanmedian(v), 1):
                self.log_columns.append(c)
        x = self._matrix(frame)
        self.mean, self.std = x.mean(axis=0), x.std(axis=0) + 1e-9
        z = (x - self.mean) / self.std
        self.model = KMeans(n_clusters=self.k, n_init=3, random_state=self.seed).fit(z)
        assigned = self.model.labels_
        centers = self.model.cluster_centers_
        self.names, self.profiles = [], []
        for s in range(self.k):
            order = np.argsort(-np.abs(centers[s]))[:2]
            name = ", ".join(f"{'high' if centers[s, j] > 0 else 'low'} {self.columns[j]}" for j in order)
            self.names.append(name)
            members = assigned == s
            profile: dict[str, Any] = {"segment": s, "name": name, "share": float(members.mean())}
            profile.update(
                {c: float(np.nanmean(frame[c].to_numpy(dtype=np.float64)[members])) for c in self.columns}
            )
            if labels is not None:
                profile["conversion_rate"] = float(np.mean(labels[members])) if members.any() else 0.0
            self.profiles.append(profile)
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        z = (self._matrix(frame) - self.mean) / self.std
        return self.model.predict(z)

    def profile_markdown(self) -> str:
        if not self.profiles:
            return ""
        keys = (
            ["segment", "name", "share"]
            + self.columns
            + (["conversion_rate"] if "conversion_rate" in self.profiles[0] else [])
        )
        lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        for p in self.profiles:
            lines.append(
                "| "
                + " | ".join(f"{p[k]:.3g}" if isinstance(p[k], float) else str(p[k]) for k in keys)
                + " |"
            )
        return "\n".join(lines)

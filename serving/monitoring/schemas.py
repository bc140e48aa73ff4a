"""Pydantic models of monitoring: reference and live profiles, drift, data-quality and summary reports (JSON)."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from serving.monitoring.sketch import CategoryCounts, NumericSketch

Kind = Literal["image", "text", "record"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class FeatureStats(BaseModel):
    """One feature over many items: its distribution and how often it was missing, invalid or out of range."""

    type: Literal["numeric", "categorical"]
    missing: int = 0
    invalid: int = Field(0, description="values of the wrong type (e.g. text in a numeric column)")
    out_of_range: int = Field(0, description="outside the reference [min, max], or a category never seen")
    numeric: NumericSketch | None = None
    categorical: CategoryCounts | None = None

    @property
    def count(self) -> int:
        part = self.numeric if self.type == "numeric" else self.categorical
        return part.count if part is not None else 0

    def merge(self, other: FeatureStats) -> None:
        self.missing += other.missing
        self.invalid += other.invalid
        self.out_of_range += other.out_of_range
        if other.numeric is not None:
            if self.numeric is None:
                self.numeric = NumericSketch()
            self.numeric.merge(other.numeric)
        if other.categorical is not None:
            if self.categorical is None:
                self.categorical = CategoryCounts()
            self.categorical.merge(other.categorical)


class Profile(BaseModel):
    """Summary features of many items; never the items themselves."""

    kind: Kind
    items: int = 0
    features: dict[str, FeatureStats] = Field(default_factory=dict)
    schema_violations: int = Field(0, description="items with an unknown or missing column, or a wrongly typed value")
    unknown_columns: dict[str, int] = Field(default_factory=dict)
    embeddings: list[list[float]] | None = Field(None, description="a bounded sample of projected embeddings")
    embedding_dim: int | None = None

    def merge(self, other: Profile, max_embeddings: int = 512) -> None:
        self.items += other.items
        self.schema_violations += other.schema_violations
        for name, n in other.unknown_columns.items():
            self.unknown_columns[name] = self.unknown_columns.get(name, 0) + n
        for name, stats in other.features.items():
            if name in self.features:
                self.features[name].merge(stats)
            else:
                self.features[name] = stats.model_copy(deep=True)
        if other.embeddings:
            self.embedding_dim = other.embedding_dim
            room = max_embeddings - len(self.embeddings or [])
            if room > 0:
                self.embeddings = (self.embeddings or []) + other.embeddings[:room]


class ReferenceProfile(Profile):
    """The training-time distribution of a model version's inputs, saved next to the model as JSON."""

    task: str
    version: str
    source: str = ""
    created: datetime = Field(default_factory=utcnow)
    projection_seed: int = 0


class WindowProfile(Profile):
    """Served traffic of one task version in one time window (e.g. one hour)."""

    task: str
    version: str
    start: int = Field(description="window start, Unix seconds (UTC)")
    length_s: int
    requests: int = 0
    rejected: int = Field(0, description="requests answered with status >= 400")
    item_errors: int = Field(0, description="sampled items the model answered with an error")
    sampled: int = Field(0, description="requests whose inputs were profiled")


class DriftThresholds(BaseModel):
    """When a feature counts as drifted: a significant test (KS or chi-square) AND a real effect
    (PSI at or above ``psi``, or KS statistic / Cramér's V at or above ``min_effect``)."""

    psi: float = Field(0.2, gt=0, description="0.1 = watch, 0.2 = act (the usual rule of thumb)")
    p_value: float = Field(0.01, gt=0, lt=1)
    min_effect: float = Field(0.1, ge=0, description="KS statistic or Cramér's V that counts as a real effect")
    min_count: int = Field(30, ge=1, description="fewer sampled values than this: no verdict")
    mmd_p_value: float = Field(0.01, gt=0, lt=1)
    mmd_permutations: int = Field(200, ge=20)


class FeatureDrift(BaseModel):
    feature: str
    type: Literal["numeric", "categorical"]
    test: Literal["ks", "chi2", "none"]
    statistic: float | None = None
    p_value: float | None = None
    psi: float | None = None
    n_reference: int
    n_current: int
    drifted: bool
    note: str = ""


class EmbeddingDrift(BaseModel):
    test: Literal["mmd"] = "mmd"
    mmd2: float
    p_value: float
    n_reference: int
    n_current: int
    drifted: bool


class DriftReport(BaseModel):
    task: str
    version: str
    window_start: int
    length_s: int
    features: list[FeatureDrift]
    embeddings: EmbeddingDrift | None = None
    drifted_features: list[str]
    drifted: bool


class QualityReport(BaseModel):
    """Data quality of one window; every rate is in [0, 1]."""

    task: str
    version: str
    window_start: int
    length_s: int
    requests: int
    rejected_rate: float
    items: int
    item_error_rate: float
    missing_rate: float
    out_of_range_rate: float
    schema_violation_rate: float
    missing: dict[str, int] = Field(default_factory=dict)
    out_of_range: dict[str, int] = Field(default_factory=dict)
    unknown_columns: dict[str, int] = Field(default_factory=dict)


class WindowSummary(BaseModel):
    task: str
    version: str
    window_start: int
    length_s: int
    quality: QualityReport
    drift: DriftReport | None = Field(None, description="None when no reference profile is registered")


class UnreadableWindow(BaseModel):
    """A stored window that cannot be summarised (e.g. written by an older version); the others still are."""

    task: str
    version: str
    window_start: int
    length_s: int
    reason: str


class MonitoringSummary(BaseModel):
    """Everything the report shows, as JSON: what an HTTP endpoint can return."""

    client: str
    since: int
    until: int
    windows: list[WindowSummary]
    unreadable: list[UnreadableWindow] = Field(default_factory=list,
                                               description="windows in the period that cannot be summarised")
    missing_references: list[str] = Field(default_factory=list, description="task:version seen without a reference")
    evaluations: list[dict] = Field(default_factory=list, description="stored fairness and target-drift reports")

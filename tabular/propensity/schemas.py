"""Pydantic models at the boundaries: a customer record to score, the lead returned, the monthly job's options."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class CustomerRecord(BaseModel):
    """One customer's feature values (as built by ``features.build_features`` at a cutoff month).

    The fields a model needs are listed in its metadata (``PropensityModel.feature_columns``);
    they are passed as extra fields, e.g. ``CustomerRecord(customer_id="42", age=40, income=51000, ...)``.
    """

    model_config = ConfigDict(extra="allow")

    customer_id: str | int | None = None


class Reason(BaseModel):
    """One reason behind a score: an input column, the customer's value and its push on the log-odds."""

    model_config = ConfigDict(frozen=True)

    feature: str
    value: str | None = Field(None, description="the customer's value of that column, as text")
    contribution: float = Field(description="log-odds added to the model's base value (SHAP / coefficient x value)")


class Lead(BaseModel):
    """The score of one customer: probability to buy next month, its decile, segment and a premium."""

    model_config = ConfigDict(frozen=True)

    customer_id: str | None = None
    score: float = Field(ge=0.0, le=1.0, description="calibrated probability of buying a policy next month")
    decile: int = Field(ge=1, le=10, description="1 = top 10% of customers by score")
    segment: int | None = None
    segment_name: str | None = None
    suggested_premium: float | None = Field(None, description="annual premium suggestion (currency units)")
    model_version: str
    reasons: list[Reason] = Field(
        default_factory=list, description="top reasons (largest contributions to the score), best first"
    )


class RunOptions(BaseModel):
    """Options of the monthly job (``ais propensity run``)."""

    month: str = Field(description="current month M (YYYY-MM): train on 18 months to M-1, leads for M+1")
    customers: int = Field(
        20_000, ge=100, description="synthetic customers to generate when no data is given"
    )
    workdir: Path
    models_dir: Path | None = None
    data: Path | None = Field(None, description="generic mode: a CSV/Parquet file")
    data_format: str = Field("auto", pattern="^(auto|csv|parquet|excel|coil)$")
    target: str | None = None
    id_column: str | None = Field(None, description="generic mode: id column (default: the row number)")
    month_column: str | None = None
    order_column: str | None = Field(
        None, description="generic mode: a column whose order is time order (a date, a sequence number)"
    )
    rows_in_time_order: bool = Field(False, description="generic mode: the file's row order is time order")
    test_fraction: float = Field(
        0.2, gt=0.0, lt=0.9, description="generic mode: share of the latest labelled rows kept for the test"
    )
    drop_columns: list[str] = Field(default_factory=list, description="generic mode: columns never used")
    seed: int = 0
    n_trials: int = Field(10, ge=0)
    tune_timeout_s: float = 180.0
    reuse: bool = Field(True, description="reuse a saved model for the same month and data")
    capacity: int | None = Field(None, description="sales contacts available next month (default: top 10%)")
    train_months: int = Field(18, ge=6)
    max_negatives_per_month: int = Field(20_000, ge=100)
    max_eval_rows_per_month: int = Field(100_000, ge=100)
    stream_batches: int = Field(
        4, ge=0, description="month M's transactions arrive as this many JSONL batches"
    )
    leads_format: str = Field("csv", pattern="^(csv|parquet)$")
    eda: bool = True
    engine: str = Field("local", pattern="^(local|ray)$", description="where the customer shards run")
    shards: int | None = Field(
        None, ge=1, description="customer shards (default: one per 100,000 customers); never changes the leads"
    )
    address: str | None = Field(None, description="Ray cluster address (default: RAY_ADDRESS, else embedded)")
    workers: int | None = Field(None, ge=1, description="embedded Ray: CPU slots (default: every core)")
    reasons_deciles: int = Field(
        3, ge=0, le=10,
        description=(
            "write the top 3 reasons (SHAP) for the leads in score deciles 1..N (10: every customer, 0: none); "
            "they are most of the cost of scoring a population"
        ),
    )

"""The propensity task: score customer feature records into leads (probability, decile, segment, premium)."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from core.device import Placement
from core.errors import InvalidInput, PayloadTooLarge, WeightsUnavailable
from core.schemas import Metrics
from core.task import BaseTask
from tabular.propensity.schemas import CustomerRecord, Lead

if TYPE_CHECKING:
    import pandas as pd

    from tabular.propensity.train import ModelBundle

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default_model"
_BOOKKEEPING = {"customer_id", "cutoff", "label"}
MAX_CSV_BYTES = 50 * 1024 * 1024
# |feature| above this is refused like NaN: no amount, count, age or ratio of a customer is that large,
# and inf or 1e308 moved a score from 0.0002 to 0.19 (trees treat inf as missing; the premium model extrapolates)
MAX_ABS_FEATURE = 1e12


@dataclass
class PropensityDataset:
    """Labelled feature rows (one per customer and cutoff) with a binary ``label`` column."""

    frame: pd.DataFrame
    name: str = "dataset"
    origin: str = "generated"  # "labelled" for real data labelled by others (core.schemas.Metrics.origin)


class PropensityModel(BaseTask[CustomerRecord | dict, Lead]):
    """Scores customers' point-in-time features with a saved model bundle.

    >>> task = PropensityModel().load()                         # the bundled default model
    >>> task.predict([record])[0].score                          # doctest: +SKIP
    """

    name: ClassVar[str] = "propensity"
    default_weights: ClassVar[str] = "package:tabular/propensity/default_model/model.joblib"
    max_batch_items: ClassVar[int] = 10_000

    def __init__(
        self, weights: Any = None, device: str = "auto", precision: str = "auto", **options: Any
    ) -> None:
        super().__init__(weights, device, precision, **options)
        self.bundle: ModelBundle | None = None

    def resolve_weights_path(self) -> Path | None:
        try:
            return super().resolve_weights_path()
        except WeightsUnavailable as exc:
            raise WeightsUnavailable(
                f"{exc.message}. Build a model with `ais propensity run --month YYYY-MM` or `ais propensity train` "
                "(then pass its models/<version>/model.joblib), or rebuild the bundled default with "
                "`ais propensity build-default`",
                **exc.detail,
            ) from exc

    def _load(self, weights_path: Path | None, placement: Placement) -> None:
        from tabular.propensity.train import load_bundle

        if weights_path is None:
            raise WeightsUnavailable("no propensity model path resolved")
        self.bundle = load_bundle(weights_path)

    @property
    def version(self) -> str:
        return self.bundle.version if self.bundle is not None else super().version

    @property
    def feature_columns(self) -> list[str]:
        return list(self._bundle().feature_columns)

    def _bundle(self) -> ModelBundle:
        if self.bundle is None:
            raise WeightsUnavailable("the propensity model is not loaded; call .load() first")
        return self.bundle

    # -- input validation ---------------------------------------------------------------------------
    def records_frame(self, batch: Sequence[CustomerRecord | dict[str, Any]]) -> pd.DataFrame:
        """Validate records against the model's features and return them as a DataFrame (input order)."""
        import pandas as pd

        bundle = self._bundle()
        features = bundle.feature_columns
        id_column = bundle.metadata.get("id_column")
        # A generic model's own id/target/month columns may come along in an upload; they are not features.
        extra = {bundle.metadata.get(k) for k in ("id_column", "target", "month_column")} - {None}
        known = set(features) | _BOOKKEEPING | extra
        nullable, categorical = set(bundle.nullable_columns), set(bundle.categorical_columns)
        rows: list[dict[str, Any]] = []
        for i, item in enumerate(batch):
            if isinstance(item, CustomerRecord):
                row = item.model_dump()
            elif isinstance(item, dict):
                row = dict(item)
            else:
                raise InvalidInput(
                    f"record {i}: expected a CustomerRecord or a dict, got {type(item).__name__}"
                )
            unknown = sorted(str(k) for k in row if k not in known)
            missing = sorted(c for c in features if c not in row and c not in nullable)
            if unknown or missing:
                parts = ([f"unknown columns {unknown}"] if unknown else []) + (
                    [f"missing columns {missing}"] if missing else []
                )
                raise InvalidInput(
                    f"record {i}: " + "; ".join(parts), unknown=unknown, missing=missing, record=i
                )
            empty, wrong, huge = [], [], []
            for c in features:
                v = row.get(c)
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    if c not in nullable:
                        empty.append(c)
                    row[c] = None if c in categorical else math.nan
                elif c in categorical:
                    row[c] = str(v)
                else:
                    try:
                        row[c] = float(v)
                    except OverflowError:  # an integer of hundreds of digits
                        huge.append(c)
                        continue
                    except (TypeError, ValueError):
                        wrong.append(c)
                        continue
                    if math.isnan(row[c]):
                        if c not in nullable:  # e.g. the string "nan"
                            empty.append(c)
                    elif not abs(row[c]) <= MAX_ABS_FEATURE:  # inf, "Infinity", 1e400 (parsed as inf), 1e308
                        huge.append(c)
            if empty or wrong or huge:
                msg = ([f"missing values (null/NaN) in required columns {empty}"] if empty else []) + (
                    [f"non-numeric values in columns {wrong}"] if wrong else []) + (
                    [f"out-of-range values (infinite or beyond ±{MAX_ABS_FEATURE:g}) in columns {huge}"]
                    if huge else [])
                raise InvalidInput(f"record {i}: " + "; ".join(msg), columns=empty + wrong + huge, record=i)
            if id_column and id_column in row and "customer_id" not in row:
                row["customer_id"] = row[id_column]
            rows.append(row)
        frame = pd.DataFrame(rows)
        if "customer_id" not in frame.columns:
            frame["customer_id"] = None
        return frame

    def _predict(self, batch: Sequence[CustomerRecord | dict[str, Any]]) -> list[Lead]:
        return self._leads(self.records_frame(batch))

    def _leads(self, frame: pd.DataFrame) -> list[Lead]:
        bundle = self._bundle()
        scores = bundle.scores(frame)
        deciles = bundle.deciles(scores)
        segments = bundle.segmenter.predict(frame) if bundle.segmenter is not None else None
        premiums = bundle.premium.predict(frame) if bundle.premium is not None else None
        from tabular.propensity.reasons import top_reasons

        reasons = top_reasons(bundle, frame, 3)
        ids = frame["customer_id"].tolist()
        return [
            Lead(
                customer_id=None
                if ids[i] is None or (isinstance(ids[i], float) and math.isnan(ids[i]))
                else str(ids[i]),
                score=float(min(max(scores[i], 0.0), 1.0)),
                decile=int(deciles[i]),
                segment=None if segments is None else int(segments[i]),
                segment_name=None if segments is None else bundle.segmenter.names[int(segments[i])],
                suggested_premium=None if premiums is None else float(premiums[i]),
                model_version=bundle.version,
                reasons=reasons[i],
            )
            for i in range(len(frame))
        ]

    def score_csv(self, data: bytes) -> list[Lead]:
        """Score an uploaded CSV (bytes, header row = feature names, optional customer_id column)."""
        import pandas as pd

        if not isinstance(data, (bytes, bytearray)):
            raise InvalidInput("score_csv expects the CSV file's bytes")
        if len(data) > MAX_CSV_BYTES:
            raise PayloadTooLarge(f"CSV is {len(data)} bytes; the limit is {MAX_CSV_BYTES}")
        try:
            frame = pd.read_csv(io.BytesIO(data))
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise InvalidInput(f"cannot read the CSV: {exc}") from exc
        if frame.empty:
            return []
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        out: list[Lead] = []
        for start in range(0, len(records), self.max_batch_items):
            out += self.predict(records[start : start + self.max_batch_items])
        return out

    def evaluate(self, dataset: PropensityDataset | Any) -> Metrics:
        """PR-AUC, ROC-AUC, lift at 10% and expected vs actual converters in the top 10%, with 95% intervals
        (bootstrap for PR-AUC/ROC-AUC/lift, Wilson for the base rate) and the bundle's logistic baseline on
        the same rows. ``dataset.origin`` says whether the rows were generated or labelled by others."""
        import numpy as np

        from tabular.propensity.evaluate import bucket_size, lift_report

        if not isinstance(dataset, PropensityDataset):
            raise InvalidInput("evaluate expects a PropensityDataset (feature rows with a 'label' column)")
        bundle = self._bundle()
        frame = dataset.frame
        if "label" not in frame.columns:
            raise InvalidInput("the dataset has no 'label' column")
        missing = [c for c in bundle.feature_columns if c not in frame.columns]
        if missing:
            raise InvalidInput(f"the dataset lacks feature columns {missing}", missing=missing)
        y = frame["label"].to_numpy()
        scores = bundle.scores(frame)
        report = lift_report(y, scores)
        k = bucket_size(len(y), 0.1)
        top = np.argsort(-scores, kind="stable")[:k]
        values = {
            **{f: float(v) for f, v in report.as_dict().items() if f not in ("n",)},
            "expected_conversions_top10pct": float(scores[top].sum()),
            "actual_conversions_top10pct": float(y[top].sum()),
        }
        from tabular.propensity.evaluate import metric_intervals

        baseline = lift_report(y, bundle.baseline_scores(frame)).as_dict()
        return Metrics(
            task=self.name,
            dataset=dataset.name,
            n_samples=len(y),
            values=values,
            details={"model_version": bundle.version, "positives": int(np.sum(y)), "scored_by": bundle.chosen},
            intervals=metric_intervals(y, scores, n_resamples=200),
            origin=dataset.origin,
            baselines={"logistic regression": {k: float(v) for k, v in baseline.items() if k in values}},
        )

"""Building profiles from item features, and reference profiles from a model's training data (saved as JSON).

>>> ref = reference_from_texts(["a good film", "a bad film"] * 20, task="sentiment", version="v1")
>>> ref.items, ref.features["tokens"].numeric.mean
(40, 3.0)
"""
from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import InvalidInput, NotFound
from serving.monitoring.features import (
    Value,
    image_features,
    is_id_column,
    record_features,
    scalar,
    text_features,
)
from serving.monitoring.schemas import FeatureStats, Kind, Profile, ReferenceProfile
from serving.monitoring.sketch import OTHER, CategoryCounts, NumericSketch, category_key, is_summable

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

PROJECTION_DIM = 16
MAX_EMBEDDINGS = 512
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
OUTPUT_PREFIX = "output."
REFERENCE_FILE = "reference_profile.json"  # the name a reference has when saved next to model weights


def project(embeddings: np.ndarray, seed: int, dim: int = PROJECTION_DIM) -> np.ndarray:
    """A fixed random projection to ``dim`` columns: the same seed gives the same map for reference and live."""
    x = np.asarray(embeddings, dtype=np.float32)
    if x.ndim != 2:
        raise InvalidInput(f"embeddings must be a 2-D array (items x dims), got shape {x.shape}")
    if x.shape[1] <= dim:
        return x
    rng = np.random.default_rng([seed, x.shape[1]])
    matrix = rng.standard_normal((x.shape[1], dim)).astype(np.float32) / math.sqrt(dim)
    return x @ matrix


def _as_number(value: Value) -> float | None:
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _infer_types(rows: Sequence[dict[str, Value]]) -> dict[str, str]:
    types: dict[str, str] = {}
    for row in rows:
        for name, value in row.items():
            if value is None or types.get(name) == "categorical":
                continue
            types[name] = "numeric" if _as_number(value) is not None else "categorical"
    for row in rows:  # a column never seen with a value still needs a type for its missing count
        for name in row:
            types.setdefault(name, "numeric")
    return types


def build_profile(kind: Kind, rows: Sequence[dict[str, Value]], reference: Profile | None = None, *,
                  embeddings: np.ndarray | None = None, projection_seed: int = 0,
                  profile: Profile | None = None) -> Profile:
    """Summarise item feature rows into ``profile`` (a new ``Profile`` by default).

    With a ``reference``, column types come from it and every item is checked against it: unknown or
    missing columns and wrongly typed values are schema violations; numbers outside the reference
    range and never-seen categories are out of range. Output fields (``output.*``) are never checked.
    """
    out = profile if profile is not None else Profile(kind=kind)
    if reference is not None:
        types = {name: stats.type for name, stats in reference.features.items()}
        for name, value in _infer_types(rows).items():
            types.setdefault(name, value)
    else:
        types = _infer_types(rows)
    expected = {n for n in (reference.features if reference is not None else {}) if not n.startswith(OUTPUT_PREFIX)}
    numeric: dict[str, list[float]] = {n: [] for n, t in types.items() if t == "numeric"}
    categories: dict[str, list[str]] = {n: [] for n, t in types.items() if t == "categorical"}
    for name, kind_of in types.items():
        if name not in out.features:
            out.features[name] = FeatureStats(type=kind_of)  # type: ignore[arg-type]
    for row in rows:
        violated = False
        if reference is not None and kind == "record":
            for name in row:
                if name not in expected and not name.startswith(OUTPUT_PREFIX):
                    out.unknown_columns[name] = out.unknown_columns.get(name, 0) + 1
                    violated = True
            for name in expected - row.keys():
                out.features[name].missing += 1
                violated = True
        for name, value in row.items():
            stats = out.features[name]
            if value is None:
                stats.missing += 1
                continue
            if stats.type == "numeric":
                number = _as_number(value)
                if number is None or not is_summable(number):  # 1e308 or inf: unusable, like text here
                    stats.invalid += 1
                    violated = violated or name in expected
                    continue
                numeric[name].append(number)
                ref = reference.features.get(name) if reference is not None else None
                if ref is not None and ref.numeric is not None and ref.numeric.min is not None \
                        and not ref.numeric.min <= number <= ref.numeric.max:  # type: ignore[operator]
                    stats.out_of_range += 1
            else:
                text = category_key(value if isinstance(value, str) else f"{value:g}")
                categories[name].append(text)
                ref = reference.features.get(name) if reference is not None else None
                if ref is not None and ref.categorical is not None and OTHER not in ref.categorical.counts \
                        and text not in ref.categorical.counts:
                    stats.out_of_range += 1
        out.schema_violations += int(violated)
        out.items += 1
    for name, values in numeric.items():
        if values:
            stats = out.features[name]
            stats.numeric = stats.numeric or NumericSketch()
            stats.numeric.add(values)
    for name, values in categories.items():
        if values:
            stats = out.features[name]
            stats.categorical = stats.categorical or CategoryCounts()
            stats.categorical.add(values)
    if embeddings is not None and len(embeddings):
        projected = project(embeddings, projection_seed)
        room = MAX_EMBEDDINGS - len(out.embeddings or [])
        if room > 0:
            out.embeddings = (out.embeddings or []) + projected[:room].round(5).tolist()
            out.embedding_dim = int(np.asarray(embeddings).shape[1])
    return out


def _reference(kind: Kind, rows: Sequence[dict[str, Value]], task: str, version: str, source: str,
               embeddings: np.ndarray | None, seed: int) -> ReferenceProfile:
    if not rows:
        raise InvalidInput(f"no items to build a {kind} reference profile from ({source or 'empty input'})")
    base = build_profile(kind, rows, embeddings=embeddings, projection_seed=seed)
    if embeddings is not None and len(embeddings) > MAX_EMBEDDINGS:
        # a uniform sample of the reference, not its first rows
        pick = np.random.default_rng(seed).choice(len(embeddings), MAX_EMBEDDINGS, replace=False)
        base.embeddings = project(np.asarray(embeddings)[np.sort(pick)], seed).round(5).tolist()
    return ReferenceProfile(task=task, version=version, source=source, projection_seed=seed,
                            **base.model_dump(exclude={"schema_violations", "unknown_columns"}))


def _with_outputs(rows: list[dict[str, Value]], outputs: Sequence[Any] | None) -> list[dict[str, Value]]:
    """Add the model's answers on the reference items as ``output.*`` features (prediction drift)."""
    from serving.monitoring.features import output_features

    if outputs is not None:
        if len(outputs) != len(rows):
            raise InvalidInput(f"{len(outputs)} outputs for {len(rows)} reference items")
        for row, result in zip(rows, outputs, strict=True):
            row.update(output_features(result))
    return rows


def reference_from_texts(texts: Iterable[str], *, task: str, version: str, source: str = "",
                         embeddings: np.ndarray | None = None, seed: int = 0,
                         outputs: Sequence[Any] | None = None) -> ReferenceProfile:
    rows: list[dict[str, Value]] = [dict(text_features(t)) for t in texts]
    return _reference("text", _with_outputs(rows, outputs), task, version, source, embeddings, seed)


def reference_from_images(images: Iterable[bytes | Path], *, task: str, version: str, source: str = "",
                          embeddings: np.ndarray | None = None, seed: int = 0) -> ReferenceProfile:
    """Unreadable files are skipped (logged), so image references take no ``outputs``."""
    rows: list[dict[str, Value]] = []
    for item in images:
        data = item.read_bytes() if isinstance(item, Path) else item
        try:
            rows.append(image_features(data))
        except Exception as exc:  # noqa: BLE001 - a corrupt file in a folder is skipped, not fatal
            log.warning("skipping unreadable image %s: %s", item if isinstance(item, Path) else "(bytes)", exc)
    return _reference("image", rows, task, version, source, embeddings, seed)


def reference_from_records(records: Iterable[dict[str, Any]], *, task: str, version: str, source: str = "",
                           outputs: Sequence[dict[str, Any]] | None = None) -> ReferenceProfile:
    """Records as the gateway receives them; ``outputs`` (the model's answers on them) add ``output.*`` features."""
    rows = [record_features(r) for r in records]
    return _reference("record", _with_outputs(rows, outputs), task, version, source, None, 0)


def reference_from_frame(frame: pd.DataFrame, *, task: str, version: str, source: str = "",
                         drop: Sequence[str] = ()) -> ReferenceProfile:
    """A DataFrame's columns (identifiers and ``drop`` removed), column by column (fast on large tables)."""
    import pandas as pd

    profile = ReferenceProfile(kind="record", task=task, version=version, source=source, items=len(frame))
    if len(frame) == 0:
        raise InvalidInput(f"no rows to build a reference profile from ({source or 'empty frame'})")
    for name in frame.columns:
        column = frame[name]
        if not isinstance(name, str) or is_id_column(name) or name in drop:
            continue
        missing = int(column.isna().sum())
        present = column.dropna()
        if pd.api.types.is_bool_dtype(column):
            stats = FeatureStats(type="categorical", missing=missing, categorical=CategoryCounts())
            stats.categorical.add(scalar(v) for v in present)  # type: ignore[union-attr,misc]
        elif pd.api.types.is_numeric_dtype(column):
            stats = FeatureStats(type="numeric", missing=missing, numeric=NumericSketch())
            stats.numeric.add(present.to_numpy(dtype=np.float64))  # type: ignore[union-attr]
        else:
            stats = FeatureStats(type="categorical", missing=missing, categorical=CategoryCounts())
            stats.categorical.add(str(v).strip() for v in present)  # type: ignore[union-attr]
        profile.features[name] = stats
    return profile


def reference_from_path(path: Path, *, task: str, version: str, text_column: int = 0) -> ReferenceProfile:
    """A CSV/Parquet table (records), a folder of images, or a text file with one text per line.

    A ``.tsv`` file takes its ``text_column``-th tab-separated field as the text.
    """
    source = str(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise InvalidInput(f"no images ({', '.join(IMAGE_SUFFIXES)}) under {source}")
        return reference_from_images(files, task=task, version=version, source=source)
    if not path.is_file():
        raise NotFound(f"{source} does not exist")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".parquet", ".pq"):
        import pandas as pd

        frame = pd.read_parquet(path) if suffix != ".csv" else pd.read_csv(path)
        return reference_from_frame(frame, task=task, version=version, source=source)
    if suffix in (".txt", ".tsv"):
        lines = path.read_text(encoding="utf-8").splitlines()
        texts = [ln.split("\t")[text_column] if suffix == ".tsv" else ln for ln in lines]
        return reference_from_texts([t.strip() for t in texts if t.strip()], task=task, version=version,
                                    source=source)
    raise InvalidInput(f"cannot build a reference from {source}: expected .csv, .parquet, .txt, .tsv or a folder")


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def safe_name(text: str) -> str:
    """A file-name-safe form of a task, version or client (``sentiment:v3`` → ``sentiment_v3``)."""
    return _UNSAFE.sub("_", text)


def reference_path(state_dir: Path, task: str, version: str) -> Path:
    """Where the reference of ``task`` at ``version`` lives: ``<state>/monitoring/references/<task>/<version>.json``."""
    return Path(state_dir) / "monitoring" / "references" / safe_name(task) / f"{safe_name(version)}.json"


def save_reference(profile: ReferenceProfile, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(profile.model_dump_json(), encoding="utf-8")
    tmp.replace(path)  # atomic: a running monitor never reads half a file
    return path


def load_reference(path: Path) -> ReferenceProfile:
    if not path.is_file():
        raise NotFound(f"no reference profile at {path}")
    return ReferenceProfile.model_validate_json(path.read_text(encoding="utf-8"))

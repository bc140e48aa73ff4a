"""Agreement between live and shadow outputs, task-aware but generic: labels, texts, boxes, embeddings."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from pydantic import BaseModel

LABEL_KEYS = ("label", "text", "sku", "topic", "person_id", "segment", "decision")


def _boxes(value: Any) -> list[dict[str, float]]:
    found: list[dict[str, float]] = []
    if isinstance(value, dict):
        if {"x1", "y1", "x2", "y2"} <= set(value):
            found.append(value)
        for v in value.values():
            found.extend(_boxes(v))
    elif isinstance(value, list):
        for v in value:
            found.extend(_boxes(v))
    return found


def _iou(a: dict[str, float], b: dict[str, float]) -> float:
    ix = max(0.0, min(a["x2"], b["x2"]) - max(a["x1"], b["x1"]))
    iy = max(0.0, min(a["y2"], b["y2"]) - max(a["y1"], b["y1"]))
    inter = ix * iy
    union = (a["x2"] - a["x1"]) * (a["y2"] - a["y1"]) + (b["x2"] - b["x1"]) * (b["y2"] - b["y1"]) - inter
    return inter / union if union > 0 else 0.0


def _labels(value: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, v in value.items():
            if key in LABEL_KEYS and isinstance(v, (str, int, bool)):
                out[prefix + key] = v
            else:
                out.update(_labels(v, f"{prefix}{key}."))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.update(_labels(v, f"{prefix}{i}."))
    return out


def _vectors(value: Any) -> list[list[float]]:
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == "embedding" and isinstance(v, list)] + [
            x for v in value.values() for x in _vectors(v)]
    if isinstance(value, list):
        return [x for v in value for x in _vectors(v)]
    return []


def agreement(live: Any, shadow: Any) -> dict[str, float]:
    """Per-pair measures: label agreement (same labels/texts), mean best box IoU, embedding distance."""
    out: dict[str, float] = {}
    a, b = _labels(live), _labels(shadow)
    keys = set(a) | set(b)
    if keys:
        out["label_agreement"] = sum(a.get(k) == b.get(k) for k in keys) / len(keys)
    boxes_a, boxes_b = _boxes(live), _boxes(shadow)
    if boxes_a and boxes_b:
        out["box_iou"] = sum(max(_iou(x, y) for y in boxes_b) for x in boxes_a) / len(boxes_a)
    vec_a, vec_b = _vectors(live), _vectors(shadow)
    if vec_a and vec_b and len(vec_a[0]) == len(vec_b[0]):
        out["embedding_distance"] = math.dist(vec_a[0], vec_b[0])
    return out


class ComparisonReport(BaseModel):
    task: str
    pairs: int
    errors: int
    live_versions: list[str]
    shadow_versions: list[str]
    means: dict[str, float]


def compare_log(path: Path, task: str) -> ComparisonReport:
    """Agreement in a ``<task>.jsonl`` shadow log file (the embedded backend)."""
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    return compare_entries(entries, task)


def compare_entries(entries: list[dict[str, Any]], task: str) -> ComparisonReport:
    """Agreement over shadow log entries, from any backend (``serving.shadow.ShadowLog.entries``)."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    pairs = errors = 0
    live_versions: set[str] = set()
    shadow_versions: set[str] = set()
    for entry in entries:
        live_versions.add(entry["live_version"])
        shadow_versions.add(entry["shadow_version"])
        if entry.get("error"):
            errors += 1
            continue
        for live, shadow in zip(entry["live"], entry["shadow"], strict=False):
            pairs += 1
            for key, value in agreement(live, shadow).items():
                sums[key] = sums.get(key, 0.0) + value
                counts[key] = counts.get(key, 0) + 1
    return ComparisonReport(task=task, pairs=pairs, errors=errors, live_versions=sorted(live_versions),
                            shadow_versions=sorted(shadow_versions),
                            means={k: sums[k] / counts[k] for k in sorted(sums)})

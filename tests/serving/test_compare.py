"""Live vs shadow agreement: labels, texts, boxes and embeddings, read from a shadow log."""
from __future__ import annotations

import json
from pathlib import Path

from serving.compare import agreement, compare_log


def test_agreement_measures() -> None:
    live = {"label": "positive", "plates": [{"text": "ABC1D23", "box": {"x1": 0, "y1": 0, "x2": 10, "y2": 10}}]}
    shadow = {"label": "negative", "plates": [{"text": "ABC1D23", "box": {"x1": 0, "y1": 0, "x2": 10, "y2": 5}}]}
    out = agreement(live, shadow)
    assert out["label_agreement"] == 0.5
    assert abs(out["box_iou"] - 0.5) < 1e-9
    assert agreement({"embedding": [0, 0]}, {"embedding": [3, 4]})["embedding_distance"] == 5


def test_compare_log(tmp_path: Path) -> None:
    path = tmp_path / "sentiment.jsonl"
    rows = [
        {"live_version": "a", "shadow_version": "b", "live": [{"label": "x"}], "shadow": [{"label": "x"}]},
        {"live_version": "a", "shadow_version": "b", "live": [{"label": "x"}], "shadow": [{"label": "y"}]},
        {"live_version": "a", "shadow_version": "b", "live": [], "shadow": [], "error": "boom"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    report = compare_log(path, "sentiment")
    assert (report.pairs, report.errors, report.means["label_agreement"]) == (2, 1, 0.5)

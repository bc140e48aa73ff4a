from __future__ import annotations

import math

from serving.monitoring.features import (
    TEXT_FEATURES,
    image_features,
    output_features,
    record_features,
    text_features,
)
from tests.serving.monitoring.conftest import images


def test_image_features_see_darker_and_blurrier() -> None:
    normal = [image_features(b) for b in images(5, seed=0)]
    shifted = [image_features(b) for b in images(5, seed=0, shifted=True)]
    for a, b in zip(normal, shifted):
        assert (a["width"], a["height"]) == (b["width"], b["height"]) == (160.0, 120.0)
        assert b["brightness"] < 0.6 * a["brightness"]
        assert b["blur"] < 0.2 * a["blur"]


def test_text_features() -> None:
    out = text_features("Café OPEN 24h!")
    assert set(out) == set(TEXT_FEATURES)
    assert out["chars"] == 14 and out["tokens"] == 3
    assert out["non_ascii_share"] == 1 / 14 and out["digit_share"] == 2 / 14 and out["upper_share"] == 5 / 14


def test_record_features_drop_identifiers_and_normalise_values() -> None:
    out = record_features({"customer_id": "42", "id": 1, "age": 40, "income": math.nan, "vip": True,
                           "region": " north ", "note": ""})
    assert out == {"age": 40.0, "income": None, "vip": "true", "region": "north", "note": None}


def test_output_features_keep_scalars_only() -> None:
    out = output_features({"label": "positive", "score": 0.9, "boxes": [[1, 2, 3, 4]], "request_id": "x"})
    assert out == {"output.label": "positive", "output.score": 0.9}
    assert output_features("not a dict") == {}

"""The learned word-boundary decision (``vision.ocr.boundary``) on tiny generated lines."""
from __future__ import annotations

import numpy as np
import pytest

from tests.vision.ocr.test_spacing import _cells
from vision.ocr.boundary import FEATURES, BoundaryModel, kept_spans, pair_features
from vision.ocr.ppocr import CtcChar, PpLine, line_words
from vision.ocr.spacing import ink_gaps, word_spans

SPACING = {"min_gap": 0.35, "min_ratio": 3.0, "min_pitches": 2.5, "digit_pitches": 1.4}


def _model(bias: float, mode: str = "all", **weights: float) -> BoundaryModel:
    return BoundaryModel(weights=tuple(weights.get(f.replace(" ", "_"), 0.0) for f in FEATURES), bias=bias, mode=mode)


def _line(printed: str, read: str) -> tuple[PpLine, np.ndarray]:
    """A fixed-pitch crop of ``printed`` and a reading ``read`` of it (same characters, spaces dropped or not)."""
    crop, centres = _cells(printed)
    height, width = crop.shape
    kept = [centres[k] for k, t in enumerate(printed) if t != " "]
    chars, j = [], 0
    for t in read:
        if t == " ":  # a read space: between its neighbours
            chars.append(CtcChar(t, (kept[j - 1] + kept[j]) / 2 / width, 0.9))
            continue
        chars.append(CtcChar(t, kept[j] / width, 0.99))
        j += 1
    quad = ((0.0, 0.0), (float(width), 0.0), (float(width), float(height)), (0.0, float(height)))
    return PpLine(quad=quad, text=read, confidence=0.99, chars=tuple(chars)), crop


def test_features_follow_the_ink_the_pitch_and_the_rules() -> None:
    line, crop = _line("AB CD:E", "ABCD:E")
    texts = [c.text for c in line.chars]
    centres = [c.centre * crop.shape[1] for c in line.chars]
    pairs = pair_features(texts, centres, crop, **SPACING)
    assert pairs.right == [1, 2, 3, 4, 5] and pairs.features.shape == (5, len(FEATURES))
    column = {f: pairs.features[:, k] for k, f in enumerate(FEATURES)}
    assert column["gap_height"][1] > 0.5 > column["gap_height"][0]  # the printed space between B and C
    assert column["pitches"][1] == pytest.approx(2.0) and column["pitches"][0] == pytest.approx(1.0)
    rule_words = word_spans(texts, centres, ink_gaps(crop, 0.35, 3.0), 2.5, 1.4)
    assert kept_spans(texts, {b for b, r in zip(pairs.right, pairs.rule) if r}) == rule_words
    assert list(column["right :"]) == [0, 0, 0, 1, 0] and list(column["left :"]) == [0, 0, 0, 0, 1]
    assert list(column["left_run"]) == pytest.approx(np.log1p([1, 2, 3, 4, 0]))  # runs of the reading
    assert list(column["right_run"]) == pytest.approx(np.log1p([3, 2, 1, 0, 1]))


def test_a_model_that_follows_the_rules_gives_the_rules_words() -> None:
    line, crop = _line("TOTAL QTY 1.00", "TOTALQTY 1.00")
    plain = [w.text for w in line_words(line, crop, 1, **SPACING)]
    assert plain == ["TOTAL", "QTY", "1.00"]
    learned = line_words(line, crop, 1, boundary=_model(-5.0, rule=10.0), **SPACING)
    assert [w.text for w in learned] == plain


def test_a_model_sets_a_colon_apart_where_the_rules_glue_it() -> None:
    line, crop = _line("TOTAL: 9.00", "TOTAL: 9.00")
    assert [w.text for w in line_words(line, crop, 1, **SPACING)] == ["TOTAL:", "9.00"]
    colon = BoundaryModel(weights=tuple(10.0 if f in ("rule", "right :") else 0.0 for f in FEATURES), bias=-5.0)
    assert [w.text for w in line_words(line, crop, 1, boundary=colon, **SPACING)] == ["TOTAL", ":", "9.00"]


def test_a_model_may_join_across_a_read_space() -> None:
    line, crop = _line("JOINT", "JOI NT")
    assert [w.text for w in line_words(line, crop, 1, **SPACING)] == ["JOI", "NT"]
    never = _model(-5.0)
    assert [w.text for w in line_words(line, crop, 1, boundary=never, **SPACING)] == ["JOINT"]
    kept = BoundaryModel(weights=never.weights, bias=never.bias, keep_read_spaces=True)
    assert [w.text for w in line_words(line, crop, 1, boundary=kept, **SPACING)] == ["JOI", "NT"]
    assert kept_spans(list("JOI NT"), set()) == [(0, 6)]


def test_modes_decide_only_beside_punctuation_or_only_when_sure() -> None:
    line, crop = _line("AB:CD EF", "AB:CDEF")
    texts = [c.text for c in line.chars]
    centres = [c.centre * crop.shape[1] for c in line.chars]
    pairs = pair_features(texts, centres, crop, **SPACING)
    rules = {b for b, r in zip(pairs.right, pairs.rule) if r}
    assert rules == {5}
    always = _model(5.0)
    assert always.breaks(pairs, texts) == {1, 2, 3, 4, 5, 6}
    assert _model(5.0, mode="punctuation").breaks(pairs, texts) == {2, 3, 5}
    assert _model(0.0, mode="confident").breaks(pairs, texts) == rules  # p = 0.5: not sure, the rules stay
    assert _model(-5.0, mode="confident").breaks(pairs, texts) == set()


def test_the_model_round_trips_through_json_and_checks_its_features() -> None:
    model = BoundaryModel(weights=_model(0.0, rule=2.0, gap_height=3.0).weights, bias=-1.5, mode="confident",
                          keep_read_spaces=True)
    assert BoundaryModel.from_json(model.to_json()) == model
    with pytest.raises(ValueError, match="weights"):
        BoundaryModel(weights=(1.0, 2.0), bias=0.0)
    with pytest.raises(ValueError, match="mode"):
        _model(0.0, mode="sometimes")


def test_the_bundled_model_keeps_the_rules_words_on_plain_print() -> None:
    from vision.ocr.ppocr import BOUNDARY_MODEL

    bundled = BoundaryModel.load(BOUNDARY_MODEL)
    for printed, read, words in [("GST SUMMARY", "GSTSUMMARY", ["GST", "SUMMARY"]),
                                 ("TEL:07-3507405", "TEL:07-3507405", ["TEL:07-3507405"]),
                                 ("TOTAL QTY 1.00", "TOTALQTY 1.00", ["TOTAL", "QTY", "1.00"])]:
        line, crop = _line(printed, read)
        assert [w.text for w in line_words(line, crop, 1, boundary=bundled, **SPACING)] == words


def test_the_engine_takes_the_bundled_model_its_own_or_none() -> None:
    pytest.importorskip("rapidocr_onnxruntime")
    from vision.ocr.ppocr import PpOcrEngine

    with pytest.raises(ValueError, match="boundary"):
        PpOcrEngine(boundary="rules")  # type: ignore[arg-type]

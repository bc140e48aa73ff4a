"""The PP-OCR engine's detector settings (``DetectorSettings``): line crops cut from the input page rather than
from the page shrunk to ``max_side``, the post-processing taken from the settings, the input-size checks."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.vision.ocr.drawing import mono_font

LINES = ["TOTAL QTY : 2", "CASH 60.30", "THANK YOU"]


def _page(height: int, width: int = 900, size: int = 40) -> np.ndarray:
    """Black fixed-pitch lines on a white page ``height`` px tall, spread down it."""
    font = mono_font(size)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for k, line in enumerate(LINES):
        draw.text((60, 80 + k * (height - 200) // len(LINES)), line, font=font, fill="black")
    return np.asarray(image)


def _engine(**settings: object):  # type: ignore[no-untyped-def]
    pytest.importorskip("rapidocr_onnxruntime", reason="pip install rapidocr-onnxruntime (the ocr extra)")
    from vision.ocr.ppocr import DetectorSettings, PpOcrEngine

    return PpOcrEngine(threads=1, recogniser="ppocrv4", read_marks=False,
                       detector=DetectorSettings(**settings))  # type: ignore[arg-type]


def test_full_resolution_crops_keep_the_pixels_of_a_page_larger_than_max_side() -> None:
    """A 2,600 px page is shrunk to 2,000 px for the detector; its line crops are cut from the input page, at
    its resolution (~1.3 x the shrunken crop), and are the input's pixels under the line's quad."""
    from vision.ocr.ppocr import crop_quad

    rgb = _page(2600)
    engine = _engine(full_resolution_crops=True)
    scaled = engine.scale(rgb)
    assert max(scaled.image.shape[:2]) <= 2000 and scaled.fy > 1.25  # 2,000 rounded to a multiple of 32
    boxes = engine.boxes(engine.probability_map(scaled), scaled)
    assert len(boxes) >= len(LINES)
    quads, full = engine.line_crops(rgb, scaled, boxes)
    _, shrunk = engine.line_crops(rgb, scaled, boxes, full_resolution_crops=False)
    for quad, big, small in zip(quads, full, shrunk):
        assert big.shape[0] == pytest.approx(scaled.fy * small.shape[0], abs=2)
        assert big.shape[1] == pytest.approx(scaled.fx * small.shape[1], abs=3)
        grey = crop_quad(rgb[:, :, 0], [tuple(p) for p in quad])
        assert grey.shape == big.shape[:2]
    # the read lines' quads are in input pixels either way, and the text is read
    read = " ".join(line.text for line in engine.read(rgb)).replace(" ", "").upper()
    assert all(line.replace(" ", "") in read for line in LINES), read


def test_crops_of_a_page_not_shrunk_are_the_same_either_way() -> None:
    rgb = _page(1200)
    engine = _engine()
    scaled = engine.scale(rgb)
    assert scaled.image.shape[:2] == rgb.shape[:2]
    boxes = engine.boxes(engine.probability_map(scaled), scaled)
    _, full = engine.line_crops(rgb, scaled, boxes, full_resolution_crops=True)
    _, same = engine.line_crops(rgb, scaled, boxes, full_resolution_crops=False)
    assert len(full) == len(same) > 0 and all(np.array_equal(a, b) for a, b in zip(full, same))


def test_the_unclip_ratio_of_the_settings_sets_the_quads_margin() -> None:
    from vision.ocr.ppocr import DetectorSettings

    rgb = _page(1200)
    engine = _engine()
    scaled = engine.scale(rgb)
    probabilities = engine.probability_map(scaled)

    def heights(ratio: float) -> list[float]:
        boxes = engine.boxes(probabilities, scaled, DetectorSettings(unclip_ratio=ratio))
        return [float(b[3][1] - b[0][1]) for b in boxes]

    tight, default, loose = heights(1.2), heights(1.6), heights(2.2)
    assert len(tight) == len(default) == len(loose) == len(LINES)
    assert all(a < b < c for a, b, c in zip(tight, default, loose))
    # the engine's own setting is used when none is given
    assert heights(1.6) == [float(b[3][1] - b[0][1]) for b in engine.boxes(probabilities, scaled)]


def test_an_unknown_limit_type_is_refused() -> None:
    with pytest.raises(ValueError, match="limit_type"):
        _engine(limit_type="middle")


def test_a_second_reading_from_a_grown_crop_keeps_the_more_confident_reading() -> None:
    from vision.ocr.ppocr import DetectorSettings

    rgb = _page(1200)
    engine = _engine()
    once = engine.read(rgb)
    scaled = engine.scale(rgb)
    boxes = engine.boxes(engine.probability_map(scaled), scaled)
    twice = engine.read_boxes(rgb, scaled, boxes, DetectorSettings(second_crop_grow=0.4))
    assert [line.quad for line in twice] == [line.quad for line in once]  # the quads stay the detected ones
    assert all(b.confidence >= a.confidence for a, b in zip(once, twice))
    read = " ".join(line.text for line in twice).replace(" ", "").upper()
    assert all(line.replace(" ", "") in read for line in LINES), read

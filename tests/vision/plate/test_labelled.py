"""Readers of labelled plate sets in others' formats (openalpr, YOLO + CSV of texts, CSV of boxes, CCPD names),
each on a fixture written here, malformed files included (DataFormatError naming the file and line)."""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from core.errors import DataFormatError, InvalidInput
from vision.plate.labelled import detect_format, load_labelled, parse_ccpd_name


def _image(path: Path, size: tuple[int, int] = (100, 50)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (120, 120, 120)).save(path)


def test_openalpr_folder_and_a_malformed_line(tmp_path: Path) -> None:
    _image(tmp_path / "car.jpg")
    (tmp_path / "car.txt").write_text("car.jpg\t10\t12\t30\t10\tABC-123\n")
    assert detect_format(tmp_path) == "openalpr"
    plate = load_labelled(tmp_path).samples[0].plates[0]
    assert (plate.box, plate.text) == ((10.0, 12.0, 40.0, 22.0), "ABC123")
    (tmp_path / "car.txt").write_text("car.jpg 10 12 30 10 ABC123\ncar.jpg 1 2 x 4 DEF456\n")
    with pytest.raises(DataFormatError, match=r"car\.txt:2"):
        load_labelled(tmp_path, "openalpr")


def test_yolo_labels_with_a_csv_of_texts(tmp_path: Path) -> None:
    _image(tmp_path / "images" / "a.png")
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n0 0.2 0.2 0.1 0.1\n")
    (tmp_path / "texts.csv").write_text("file,plate,text\na.png,1,XY 12\na.png,0,ABC-123\n")
    assert detect_format(tmp_path) == "yolo"
    plates = load_labelled(tmp_path).samples[0].plates
    assert [p.text for p in plates] == ["ABC123", "XY12"]
    assert plates[0].box == pytest.approx((40.0, 20.0, 60.0, 30.0))
    (tmp_path / "texts.csv").write_text("file,plate,text\na.png,0,ABC123\na.png,first,XY12\n")
    with pytest.raises(DataFormatError, match=r"texts\.csv:3"):
        load_labelled(tmp_path)
    (tmp_path / "texts.csv").write_text("file,text\nb.png,ABC123\n")
    with pytest.raises(DataFormatError, match=r"texts\.csv:2.*'b'"):
        load_labelled(tmp_path)
    (tmp_path / "texts.csv").write_text("image,label\na.png,ABC123\n")
    with pytest.raises(DataFormatError, match=r"texts\.csv:1.*lacks"):
        load_labelled(tmp_path)


def test_csv_of_file_box_text(tmp_path: Path) -> None:
    _image(tmp_path / "one.jpg")
    _image(tmp_path / "two.jpg")
    labels = tmp_path / "plates.csv"
    labels.write_text("file,x,y,w,h,text\none.jpg,10,12,30,10,ABC123\ntwo.jpg,0,0,20,8,7ABC123\n"
                      "one.jpg,50,20,30,10,XYZ789\n")
    dataset = load_labelled(labels)
    assert [(s.name, [p.text for p in s.plates]) for s in dataset] == [("one", ["ABC123", "XYZ789"]),
                                                                      ("two", ["7ABC123"])]
    corners = tmp_path / "corners.csv"
    corners.write_text("file,x1,y1,x2,y2,text\none.jpg,10,12,40,22,ABC123\n")
    assert load_labelled(corners, "csv").samples[0].plates[0].box == (10.0, 12.0, 40.0, 22.0)
    labels.write_text("file,x,y,w,h,text\none.jpg,10,12,30,10,ABC123\none.jpg,10,12,wide,10,ABC123\n")
    with pytest.raises(DataFormatError, match=r"plates\.csv:3"):
        load_labelled(labels)
    labels.write_text("file,x,y,w,h,text\nmissing.jpg,10,12,30,10,ABC123\n")
    with pytest.raises(DataFormatError, match=r"plates\.csv:2.*missing\.jpg"):
        load_labelled(labels)


def test_ccpd_names_report_the_characters_the_reader_does_not_know(tmp_path: Path) -> None:
    name = "025-95_113-154&383_386&473-386&473_177&454_154&383_363&402-0_0_22_27_27_33_16-37-15"
    box, text = parse_ccpd_name(name)
    assert box == (154.0, 383.0, 386.0, 473.0)
    assert text == "皖AY339S"
    _image(tmp_path / f"{name}.jpg", (720, 1160))
    assert detect_format(tmp_path) == "ccpd"
    dataset = load_labelled(tmp_path)
    assert dataset.samples[0].plates[0].text == "皖AY339S"  # kept: an unreadable character is not dropped
    assert dataset.notes["unsupported_characters"] == {"皖": 1}
    assert dataset.notes["plates_with_unsupported_characters"] == 1
    _image(tmp_path / "not-a-ccpd-name.jpg")
    with pytest.raises(DataFormatError, match="not-a-ccpd-name"):
        load_labelled(tmp_path, "ccpd")


def test_unknown_formats_and_folders(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown plate label format"):
        load_labelled(tmp_path, "voc")
    _image(tmp_path / "plain.jpg")
    with pytest.raises(InvalidInput, match="cannot tell"):
        load_labelled(tmp_path)

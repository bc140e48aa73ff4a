"""Dataset readers: openalpr-style folders, YOLO folders, held-out generated sets, and their errors."""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from core.errors import InvalidInput, NotFound
from vision.plate.datasets import load_folder, read_openalpr_folder, subset, synthetic


def _image(path: Path, size: tuple[int, int] = (64, 48)) -> None:
    Image.new("RGB", size, (120, 120, 120)).save(path)


def test_openalpr_folder(tmp_path: Path) -> None:
    _image(tmp_path / "car1.jpg")
    (tmp_path / "car1.txt").write_text("car1.jpg\t10\t12\t30\t10\tABC-1234\n")
    dataset = load_folder(tmp_path)
    assert len(dataset) == 1
    plate = dataset.samples[0].plates[0]
    assert plate.box == (10.0, 12.0, 40.0, 22.0)
    assert plate.text == "ABC1234"
    assert dataset.samples[0].image.size == (64, 48)


def test_yolo_folder_with_optional_text(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    _image(tmp_path / "images" / "a.png", (100, 50))
    (tmp_path / "labels" / "a.txt").write_text("0 0.5 0.5 0.2 0.2 ABC1D23\n")
    sample = load_folder(tmp_path).samples[0]
    assert sample.plates[0].box == pytest.approx((40.0, 20.0, 60.0, 30.0))
    assert sample.plates[0].text == "ABC1D23"


def test_bad_label_lines_and_missing_folders(tmp_path: Path) -> None:
    _image(tmp_path / "x.jpg")
    (tmp_path / "x.txt").write_text("x.jpg 1 2 three 4 ABC\n")
    with pytest.raises(InvalidInput, match="must be numbers"):
        read_openalpr_folder(tmp_path)
    with pytest.raises(NotFound):
        load_folder(tmp_path / "nope")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InvalidInput, match="no openalpr-style labels"):
        load_folder(empty)


def test_synthetic_held_out_is_reproducible_and_subsettable() -> None:
    a, b = synthetic(2, seed=99), synthetic(2, seed=99)
    assert [p.text for s in a for p in s.plates] == [p.text for s in b for p in s.plates]
    assert len(subset(a, [a.samples[1].name])) == 1
    with pytest.raises(NotFound):
        subset(a, ["missing"])
    with pytest.raises(InvalidInput):
        synthetic(0)


def test_br_label_fixes_apply_only_to_the_wrong_published_label(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vision.plate.datasets import BR_LABEL_FIXES, br_real

    folder = tmp_path / "plates" / "br"
    folder.mkdir(parents=True)
    [(stem, (published, shown))] = BR_LABEL_FIXES.items()
    _image(folder / f"{stem}.jpg")
    (folder / f"{stem}.txt").write_text(f"{stem}.jpg\t1\t2\t30\t10\t{published}\n")
    _image(folder / "ABC1234.jpg")
    (folder / "ABC1234.txt").write_text("ABC1234.jpg\t1\t2\t30\t10\tABC1234\n")
    monkeypatch.setenv("AIS_SHARED_DATA", str(tmp_path))
    texts = {s.name: s.plates[0].text for s in br_real().samples}
    assert texts == {stem: shown, "ABC1234": "ABC1234"}
    assert {s.name: s.plates[0].text for s in br_real(fix_labels=False).samples}[stem] == published
    # Once the source is corrected (or labels something else), the fix no longer applies.
    (folder / f"{stem}.txt").write_text(f"{stem}.jpg\t1\t2\t30\t10\tXYZ9999\n")
    assert {s.name: s.plates[0].text for s in br_real().samples}[stem] == "XYZ9999"

"""Outside face sets: the format is told from the path, and a wrong one is a clear error."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InvalidInput
from vision.face.outside import detect_format, read_data


def test_formats_are_told_from_the_path(tmp_path: Path) -> None:
    (tmp_path / "lfw").mkdir()
    (tmp_path / "lfw" / "pairs.txt").write_text("1\t1\n")
    (tmp_path / "people" / "ann").mkdir(parents=True)
    assert detect_format(tmp_path / "lfw") == "lfw-pairs"
    assert detect_format(tmp_path / "people") == "folders"
    assert detect_format(tmp_path / "pairs.csv") == "csv-pairs"
    with pytest.raises(InvalidInput, match="cannot tell"):
        detect_format(tmp_path / "x.bin")
    with pytest.raises(InvalidInput, match="unknown face data format"):
        detect_format(tmp_path / "people", "coco")


def test_a_missing_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        read_data(tmp_path / "nope")

"""Loaders for client data: identity folders, probe and pair CSVs."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InvalidInput
from vision.face.datasets import identity_folders, pairs_from_folders, read_pairs, read_probes


def _tree(root: Path) -> Path:
    for person, n in (("ann", 2), ("bob", 1)):
        (root / person).mkdir(parents=True)
        for i in range(n):
            (root / person / f"{i}.jpg").write_bytes(b"x")
    return root


def test_identity_folders_and_pairs(tmp_path: Path) -> None:
    root = _tree(tmp_path / "people")
    assert {k: len(v) for k, v in identity_folders(root).items()} == {"ann": 2, "bob": 1}
    pairs = pairs_from_folders(root)
    assert len(pairs) == 3 and sum(p.same for p in pairs) == 1
    (root / "empty").mkdir()
    from core.errors import DataFormatError

    with pytest.raises(DataFormatError) as err:
        identity_folders(root)
    assert str(root / "empty") in err.value.message


def test_csv_readers(tmp_path: Path) -> None:
    (tmp_path / "pairs.csv").write_text("image_a,image_b,same\na.jpg,b.jpg,1\na.jpg,c.jpg,0\n")
    pairs = read_pairs(tmp_path / "pairs.csv")
    assert [p.same for p in pairs] == [True, False] and pairs[0].a == tmp_path / "a.jpg"
    (tmp_path / "bad.csv").write_text("image_a,image_b,same\na.jpg,b.jpg,yes\n")
    with pytest.raises(InvalidInput):
        read_pairs(tmp_path / "bad.csv")
    (tmp_path / "probes.csv").write_text("image,persons\ng.jpg,ann;bob\ns.jpg,\n")
    probes = read_probes(tmp_path / "probes.csv")
    assert probes[0].persons == {"ann", "bob"} and probes[1].persons == frozenset()


def test_csv_pairs_malformed_names_file_and_line(tmp_path: Path) -> None:
    from core.errors import DataFormatError

    bad = tmp_path / "pairs.csv"
    bad.write_text("image_a,image_b,same\na.jpg,b.jpg,1\na.jpg,c.jpg,maybe\n")
    with pytest.raises(DataFormatError) as err:
        read_pairs(bad)
    assert err.value.detail["line"] == 3 and str(bad) in err.value.message
    (tmp_path / "short.csv").write_text("image_a,image_b,same\na.jpg,1\n")
    with pytest.raises(DataFormatError) as err:
        read_pairs(tmp_path / "short.csv")
    assert err.value.detail["line"] == 2
    (tmp_path / "header.csv").write_text("a,b,c\nx,y,1\n")
    with pytest.raises(DataFormatError) as err:
        read_pairs(tmp_path / "header.csv")
    assert err.value.detail["line"] == 1


def _lfw(root: Path) -> Path:
    for name, n in (("Ann_Smith", 3), ("Bob_Jones", 1)):
        (root / name).mkdir(parents=True)
        for i in range(1, n + 1):
            (root / name / f"{name}_{i:04d}.jpg").write_bytes(b"x")
    (root / "pairs.txt").write_text("1\t2\nAnn_Smith\t1\t2\nAnn_Smith\t3\tBob_Jones\t1\n")
    return root / "pairs.txt"


def test_lfw_pairs_layout(tmp_path: Path) -> None:
    from vision.face.datasets import read_lfw_pairs

    pairs = read_lfw_pairs(_lfw(tmp_path))
    assert [p.same for p in pairs] == [True, False]
    assert pairs[0].a == tmp_path / "Ann_Smith" / "Ann_Smith_0001.jpg" and pairs[0].b.name == "Ann_Smith_0002.jpg"
    assert pairs[1].b == tmp_path / "Bob_Jones" / "Bob_Jones_0001.jpg"
    assert all(p.a.is_file() and p.b.is_file() for p in pairs)


def test_lfw_pairs_malformed_names_file_and_line(tmp_path: Path) -> None:
    from core.errors import DataFormatError
    from vision.face.datasets import read_lfw_pairs

    bad = tmp_path / "pairs.txt"
    bad.write_text("10\t300\nAnn_Smith\t1\t2\nAnn_Smith\tone\t2\n")
    with pytest.raises(DataFormatError) as err:
        read_lfw_pairs(bad)
    assert err.value.detail["line"] == 3 and "pairs.txt:3" in err.value.message
    bad.write_text("Ann_Smith\t1\t2\nAnn_Smith\t1\t2\tBob\t1\tx\n")
    with pytest.raises(DataFormatError) as err:
        read_lfw_pairs(bad)
    assert err.value.detail["line"] == 2


def test_open_set_split_holds_out_strangers(tmp_path: Path) -> None:
    from vision.face.datasets import open_set_split

    root = tmp_path / "people"
    for person, n in (("ann", 4), ("bob", 2), ("cid", 3), ("dan", 1)):
        (root / person).mkdir(parents=True)
        for i in range(n):
            (root / person / f"{i}.jpg").write_bytes(b"x")
    split = open_set_split(identity_folders(root), stranger_share=0.5, seed=0)
    enrolled = set(split.enroll)
    strangers = {p.path.parent.name for p in split.probes if not p.persons}
    assert enrolled and strangers and not enrolled & strangers
    assert "dan" not in enrolled  # one photo: cannot be both enrolled and probed
    for probe in split.probes:
        if probe.persons:
            (person,) = probe.persons
            assert probe.path not in split.enroll[person]
    assert split == open_set_split(identity_folders(root), stranger_share=0.5, seed=0)  # seeded


def test_evaluate_format_auto_detection(tmp_path: Path) -> None:
    import typer

    from vision.face.cli import _data_format

    people = _tree(tmp_path / "people")
    assert _data_format(people, "auto") == "folders"
    lfw = tmp_path / "lfw_root"
    _lfw(lfw)
    assert _data_format(lfw, "auto") == "lfw-pairs" and _data_format(lfw / "pairs.txt", "auto") == "lfw-pairs"
    assert _data_format(tmp_path / "x.csv", "auto") == "csv-pairs"
    assert _data_format(tmp_path / "x.csv", "folders") == "folders"  # explicit wins
    with pytest.raises(typer.BadParameter):
        _data_format(tmp_path / "x.parquet", "auto")

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
    with pytest.raises(InvalidInput):
        identity_folders(root)


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

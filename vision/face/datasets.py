"""Labelled face data: identity folders to enroll, probe photos with who is in them, and verification pairs.

Layouts a client can bring:

- enroll folder: ``<root>/<person>/*.jpg`` (one folder per person);
- probes CSV: ``image,persons`` where ``persons`` is ``;``-separated (empty: nobody enrolled is in it);
- pairs CSV: ``image_a,image_b,same`` with ``same`` 1 or 0 (paths relative to the CSV's folder);
- LFW ``pairs.txt``: an optional header (``300`` or ``10 300``), then ``name n1 n2`` (same person) or
  ``name1 n1 name2 n2`` (different people), images at ``<root>/<name>/<name>_<nnnn>.jpg``.

A malformed file raises ``core.errors.DataFormatError`` naming the file and the line.
"""
from __future__ import annotations

import csv
import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import DataFormatError, InvalidInput, NotFound

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})


@dataclass(frozen=True)
class Probe:
    """A photo to identify and the enrolled persons it shows (empty: only strangers)."""

    path: Path
    persons: frozenset[str]


@dataclass(frozen=True)
class IdentityDataset:
    name: str
    enroll: dict[str, list[Path]]
    probes: list[Probe] = field(default_factory=list)


@dataclass(frozen=True)
class Pair:
    a: Path
    b: Path
    same: bool


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def identity_folders(root: str | Path) -> dict[str, list[Path]]:
    """``{person: [images]}`` from ``<root>/<person>/*``; a folder without images is an error."""
    root = Path(root)
    if not root.is_dir():
        raise InvalidInput(f"{root} is not a folder of per-person folders")
    people = {d.name: _images(d) for d in sorted(root.iterdir()) if d.is_dir()}
    empty = [name for name, images in people.items() if not images]
    if not people:
        raise DataFormatError(root, None, "expected <person>/<image> folders; found no person folder")
    if empty:
        raise DataFormatError(root / empty[0], None, f"a person folder without images ({len(empty)} such: {empty[:5]})")
    return people


def read_probes(csv_path: str | Path) -> list[Probe]:
    csv_path = Path(csv_path)
    with csv_path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or not {"image", "persons"} <= set(rows[0]):
        raise InvalidInput(f"{csv_path}: expected a header 'image,persons'")
    return [Probe(csv_path.parent / r["image"], frozenset(p for p in r["persons"].split(";") if p)) for r in rows]


def read_pairs(csv_path: str | Path) -> list[Pair]:
    """``image_a,image_b,same`` rows (``same`` 1/0), paths relative to the CSV's folder."""
    csv_path = Path(csv_path)
    with csv_path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"image_a", "image_b", "same"} <= set(reader.fieldnames):
            raise DataFormatError(csv_path, 1, f"expected a header 'image_a,image_b,same', got {reader.fieldnames}")
        pairs = []
        for r in reader:
            line = reader.line_num
            if None in r or any(r.get(k) is None for k in ("image_a", "image_b", "same")):
                raise DataFormatError(csv_path, line, "expected 3 fields: image_a,image_b,same")
            same = r["same"].strip()
            if same not in {"0", "1"}:
                raise DataFormatError(csv_path, line, f"'same' must be 0 or 1, got {r['same']!r}")
            if not r["image_a"].strip() or not r["image_b"].strip():
                raise DataFormatError(csv_path, line, "empty image path")
            pairs.append(Pair(csv_path.parent / r["image_a"].strip(), csv_path.parent / r["image_b"].strip(),
                              same == "1"))
    if not pairs:
        raise DataFormatError(csv_path, None, "no pairs")
    return pairs


def lfw_image(root: Path, name: str, number: int) -> Path:
    return root / name / f"{name}_{number:04d}.jpg"


def read_lfw_pairs(pairs_path: str | Path, images_root: str | Path | None = None) -> list[Pair]:
    """LFW's ``pairs.txt`` (also ``pairsDevTrain.txt``/``pairsDevTest.txt``); images under ``images_root``
    (default: the file's folder, or its ``lfw`` subfolder when that exists)."""
    pairs_path = Path(pairs_path)
    if images_root is None:
        images_root = pairs_path.parent / "lfw" if (pairs_path.parent / "lfw").is_dir() else pairs_path.parent
    root = Path(images_root)
    pairs: list[Pair] = []
    with pairs_path.open() as handle:
        for line, text in enumerate(handle, start=1):
            fields = text.split()
            if not fields:
                continue
            try:
                if len(fields) == 3:
                    name, a, b = fields[0], int(fields[1]), int(fields[2])
                    pairs.append(Pair(lfw_image(root, name, a), lfw_image(root, name, b), True))
                elif len(fields) == 4:
                    pairs.append(Pair(lfw_image(root, fields[0], int(fields[1])),
                                      lfw_image(root, fields[2], int(fields[3])), False))
                elif line == 1 and len(fields) <= 2 and all(f.isdigit() for f in fields):
                    continue  # header: number of pairs (per set), optionally preceded by the number of folds
                else:
                    raise DataFormatError(pairs_path, line, f"expected 'name n1 n2' or 'name1 n1 name2 n2', got "
                                                            f"{len(fields)} fields")
            except ValueError as exc:
                raise DataFormatError(pairs_path, line, f"image numbers must be integers: {text.strip()!r}") from exc
    if not pairs:
        raise DataFormatError(pairs_path, None, "no pairs")
    return pairs


def open_set_split(people: dict[str, list[Path]], *, stranger_share: float = 0.5,
                   seed: int = 0) -> IdentityDataset:
    """An enrolled/stranger split of identity folders: persons with two or more photos are enrolled
    (a seeded ``1 - stranger_share`` of them) from the first half of their photos and probed with the
    rest; every photo of the other persons is a stranger probe (a face that must come back unknown)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    names = sorted(people)
    order = rng.permutation(len(names))
    n_strangers = round(stranger_share * len(names))
    strangers = {names[i] for i in order[:n_strangers]}
    enroll: dict[str, list[Path]] = {}
    probes: list[Probe] = []
    for name in names:
        paths = people[name]
        if name in strangers or len(paths) < 2:
            probes += [Probe(p, frozenset()) for p in paths]
            continue
        half = max(1, len(paths) // 2)
        enroll[name] = paths[:half]
        probes += [Probe(p, frozenset({name})) for p in paths[half:]]
    if not enroll:
        raise InvalidInput("an open-set split needs at least one person with two or more photos")
    return IdentityDataset("folders", enroll, probes)


def pairs_from_folders(*roots: str | Path) -> list[Pair]:
    """Every pair of images under identity folders: same-person pairs and different-person pairs."""
    labelled = [(person, path) for root in roots for person, paths in identity_folders(root).items()
                for path in paths]
    return [Pair(a, b, pa == pb) for (pa, a), (pb, b) in itertools.combinations(labelled, 2)]


def shared_faces_root() -> Path:
    """The development data (``../shared/data/faces``); only for our own evaluation, never at run time."""
    root = Path(os.environ.get("AIS_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")) / "faces"
    if not root.is_dir():
        raise NotFound(f"development face data not found at {root} (set AIS_SHARED_DATA)")
    return root


# Ground truth of the knn example photos: their file names say who is in them.
KNN_TEST_PERSONS: dict[str, frozenset[str]] = {
    "alex_lacamoire1.jpg": frozenset({"alex_lacamoire"}),
    "johnsnow_test1.jpg": frozenset({"kit_harington"}),
    "kit_with_rose.jpg": frozenset({"kit_harington", "rose_leslie"}),
    "obama1.jpg": frozenset({"obama"}),
    "obama_and_biden.jpg": frozenset({"obama", "biden"}),
}


def knn_faces() -> IdentityDataset:
    """Enroll ``knn/train``; probes are ``knn/test`` plus the facenet photos of people NOT enrolled."""
    root = shared_faces_root()
    probes = [Probe(root / "knn" / "test" / name, persons) for name, persons in KNN_TEST_PERSONS.items()]
    strangers = sorted((root / "facenet" / "test_images").glob("*/*.jpg")) + [root / "facenet" / "multiface.jpg"]
    probes += [Probe(path, frozenset()) for path in strangers]
    return IdentityDataset("knn", identity_folders(root / "knn" / "train"), probes)

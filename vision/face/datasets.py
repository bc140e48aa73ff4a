"""Labelled face data: identity folders to enroll, probe photos with who is in them, and verification pairs.

Layouts a client can bring:

- enroll folder: ``<root>/<person>/*.jpg`` (one folder per person);
- probes CSV: ``image,persons`` where ``persons`` is ``;``-separated (empty: nobody enrolled is in it);
- pairs CSV: ``image_a,image_b,same`` with ``same`` 1 or 0 (paths relative to the CSV's folder).
"""
from __future__ import annotations

import csv
import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import InvalidInput, NotFound

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
    if not people or empty:
        raise InvalidInput(f"{root}: expected <person>/<image> folders; without images: {empty or 'all'}")
    return people


def read_probes(csv_path: str | Path) -> list[Probe]:
    csv_path = Path(csv_path)
    with csv_path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or not {"image", "persons"} <= set(rows[0]):
        raise InvalidInput(f"{csv_path}: expected a header 'image,persons'")
    return [Probe(csv_path.parent / r["image"], frozenset(p for p in r["persons"].split(";") if p)) for r in rows]


def read_pairs(csv_path: str | Path) -> list[Pair]:
    csv_path = Path(csv_path)
    with csv_path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or not {"image_a", "image_b", "same"} <= set(rows[0]):
        raise InvalidInput(f"{csv_path}: expected a header 'image_a,image_b,same'")
    pairs = []
    for line, r in enumerate(rows, start=2):
        if r["same"].strip() not in {"0", "1"}:
            raise InvalidInput(f"{csv_path}:{line}: 'same' must be 0 or 1, got {r['same']!r}")
        pairs.append(Pair(csv_path.parent / r["image_a"], csv_path.parent / r["image_b"], r["same"].strip() == "1"))
    return pairs


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

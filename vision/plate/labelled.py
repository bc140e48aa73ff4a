"""Labelled plate sets in the formats others publish them in, read into a ``PlateDataset``.

- ``openalpr``: a folder of images, each with ``<stem>.txt`` lines ``file x y w h text`` (openalpr benchmarks);
- ``yolo``: ``images/`` + ``labels/`` (``cls cx cy w h`` normalised, optional 6th column = text), the texts
  otherwise from a CSV (``texts.csv`` in the folder or ``--texts``) with columns ``file,text`` and optionally
  ``plate`` (0-based line of the label file; without it an image's texts follow its label lines in order);
- ``csv``: one CSV file with a header ``file,x,y,w,h,text`` (or ``file,x1,y1,x2,y2,text``), images beside it;
- ``ccpd``: CCPD-style file names ``area-tilt-x1&y1_x2&y2-corners-indices-brightness-blur.jpg``; the
  province character (Chinese) is not in the reader's alphabet: it stays in the label (the plate can then not
  be read exactly) and ``dataset.notes["unsupported_characters"]`` counts it, nothing is dropped silently.

A malformed file raises ``core.errors.DataFormatError`` naming the file and the line.
"""
from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

from core.errors import DataFormatError, InvalidInput, NotFound
from vision.plate.datasets import (
    IMAGE_SUFFIXES,
    LabelledPlate,
    PlateDataset,
    PlateSample,
    read_openalpr_folder,
    read_yolo_folder,
)
from vision.plate.formats import ALPHABET, normalise

FORMATS = ("auto", "openalpr", "yolo", "csv", "ccpd")
TEXTS_CSV = "texts.csv"

# CCPD (Xu et al., ECCV 2018) encodes the plate as indices: the province, then the city letter, then 5 (or 6,
# CCPD-Green) characters.
CCPD_PROVINCES = ("皖", "沪", "津", "渝", "冀", "晋", "蒙", "辽", "吉", "黑", "苏", "浙", "京", "闽", "赣", "鲁", "豫",
                  "鄂", "湘", "粤", "桂", "琼", "川", "贵", "云", "藏", "陕", "甘", "青", "宁", "新", "警", "学", "O")
CCPD_LETTERS = tuple("ABCDEFGHJKLMNPQRSTUVWXYZO")
CCPD_CHARS = tuple("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789O")
CCPD_NAME = re.compile(r"^\d+-\d+_\d+-(\d+)&(\d+)_(\d+)&(\d+)-[\d&_]+-([\d_]+)-\d+-\d+$")


def detect_format(path: Path) -> str:
    """``csv`` for a file; ``yolo`` for a folder with ``labels/``; ``openalpr`` for a folder with ``*.txt``;
    ``ccpd`` for a folder whose image names follow the CCPD pattern."""
    path = Path(path)
    if path.is_file():
        if path.suffix.lower() == ".csv":
            return "csv"
        raise InvalidInput(f"{path}: a labelled plate set is a folder or a .csv file")
    if not path.is_dir():
        raise NotFound(f"plate data {str(path)!r} does not exist")
    if (path / "labels").is_dir():
        return "yolo"
    if any(path.glob("*.txt")):
        return "openalpr"
    if any(CCPD_NAME.match(p.stem) for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        return "ccpd"
    raise InvalidInput(f"{path}: cannot tell the label format (no labels/, no *.txt, no CCPD-style names); "
                       f"pass --format with one of {', '.join(FORMATS[1:])}")


def read_data(path: str | Path, format: str = "auto") -> PlateDataset:
    """``TaskSpec.read_data``: an outside labelled set for ``evaluate`` and ``ais bench --data plate=PATH``."""
    return load_labelled(Path(path), format)


def load_labelled(path: Path, fmt: str = "auto", texts: Path | None = None) -> PlateDataset:
    """Read a labelled plate set in ``fmt`` (``auto`` detects it, ``detect_format``)."""
    path = Path(path)
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown plate label format {fmt!r}; expected one of {', '.join(FORMATS)}")
    kind = detect_format(path) if fmt == "auto" else fmt
    if kind == "openalpr":
        return read_openalpr_folder(path)
    if kind == "yolo":
        return read_yolo_with_texts(path, texts)
    if kind == "csv":
        return read_box_csv(path)
    return read_ccpd_folder(path)


def _csv_rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV with a header, each with its line number; a missing column is a ``DataFormatError``."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        missing = [c for c in required if c not in header]
        if missing:
            raise DataFormatError(path, 1, f"header {header} lacks the column(s) {missing}")
        rows = []
        for row in reader:
            clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            if any(clean.values()):
                rows.append((reader.line_num, clean))
    return rows


def read_yolo_with_texts(folder: Path, texts: Path | None = None) -> PlateDataset:
    """A YOLO folder (``datasets.read_yolo_folder``) whose texts come from its 6th column or from a CSV."""
    dataset = read_yolo_folder(folder)
    texts = texts or (Path(folder) / TEXTS_CSV)
    if not texts.exists():
        return dataset
    by_image: dict[str, list[tuple[int | None, str, int]]] = {}
    for line, row in _csv_rows(texts, ("file", "text")):
        plate_index = None
        if row.get("plate"):
            try:
                plate_index = int(row["plate"])
            except ValueError as exc:
                raise DataFormatError(texts, line, f"plate must be a 0-based line number, got {row['plate']!r}") from exc
        by_image.setdefault(Path(row["file"]).stem, []).append((plate_index, normalise(row["text"]), line))
    for sample in dataset.samples:
        entries = by_image.pop(sample.name, [])
        for order, (plate_index, text, line) in enumerate(entries):
            index = order if plate_index is None else plate_index
            if not 0 <= index < len(sample.plates):
                raise DataFormatError(texts, line, f"{sample.name} has {len(sample.plates)} labelled boxes; "
                                      f"no box {index} for text {text!r}")
            sample.plates[index].text = text or None
    if by_image:
        name, entries = next(iter(by_image.items()))
        raise DataFormatError(texts, entries[0][2], f"image {name!r} is not among the labelled images of {folder}")
    return dataset


def read_box_csv(path: Path) -> PlateDataset:
    """A CSV ``file,x,y,w,h,text`` (or ``file,x1,y1,x2,y2,text``); images relative to the CSV's folder."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as handle:
        header = [h.strip().lower() for h in next(csv.reader(handle), [])]
    corners = all(c in header for c in ("x1", "y1", "x2", "y2"))
    rows = _csv_rows(path, ("file", "x1", "y1", "x2", "y2", "text") if corners else ("file", "x", "y", "w", "h", "text"))
    samples: dict[str, PlateSample] = {}
    for line, row in rows:
        try:
            if corners:
                box = (float(row["x1"]), float(row["y1"]), float(row["x2"]), float(row["y2"]))
            else:
                x, y, w, h = (float(row[k]) for k in ("x", "y", "w", "h"))
                box = (x, y, x + w, y + h)
        except ValueError as exc:
            raise DataFormatError(path, line, f"the box must be numbers: {row}") from exc
        if box[2] <= box[0] or box[3] <= box[1]:
            raise DataFormatError(path, line, f"empty box {box}")
        image = path.parent / row["file"]
        if not image.exists():
            raise DataFormatError(path, line, f"image {row['file']!r} not found beside the CSV")
        sample = samples.setdefault(row["file"], PlateSample(image.stem, [], image))
        sample.plates.append(LabelledPlate(box, normalise(row["text"]) or None))
    if not samples:
        raise DataFormatError(path, None, "no labelled rows")
    return PlateDataset(path.stem, list(samples.values()))


def parse_ccpd_name(stem: str) -> tuple[tuple[float, float, float, float], str]:
    """(box, plate text) of a CCPD file name; ``InvalidInput`` where it does not follow the pattern."""
    match = CCPD_NAME.match(stem)
    if match is None:
        raise InvalidInput(f"{stem!r} is not a CCPD name 'area-tilt-x1&y1_x2&y2-corners-indices-brightness-blur'")
    x1, y1, x2, y2 = (float(v) for v in match.groups()[:4])
    indices = [int(v) for v in match.group(5).split("_")]
    if len(indices) < 7:
        raise InvalidInput(f"{stem!r}: a CCPD plate has at least 7 character indices, got {len(indices)}")
    try:
        text = CCPD_PROVINCES[indices[0]] + CCPD_LETTERS[indices[1]] + "".join(CCPD_CHARS[i] for i in indices[2:])
    except IndexError as exc:
        raise InvalidInput(f"{stem!r}: character index out of range") from exc
    return (x1, y1, x2, y2), text


def read_ccpd_folder(folder: Path) -> PlateDataset:
    """Images named the CCPD way; each holds one plate. Characters outside ``formats.ALPHABET`` (the
    province) stay in the label and are counted in ``notes["unsupported_characters"]``."""
    folder = Path(folder)
    samples, unsupported = [], Counter[str]()
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    for image in images:
        try:
            box, text = parse_ccpd_name(image.stem)
        except InvalidInput as exc:
            raise DataFormatError(folder / image.name, None, exc.message) from exc
        unsupported.update(c for c in text if c not in ALPHABET)
        samples.append(PlateSample(image.stem, [LabelledPlate(box, text)], image))
    if not samples:
        raise DataFormatError(folder, None, "no CCPD-named images")
    dataset = PlateDataset(folder.name, samples)
    dataset.notes["unsupported_characters"] = dict(unsupported)
    dataset.notes["plates_with_unsupported_characters"] = sum(
        any(c not in ALPHABET for c in p.text or "") for s in samples for p in s.plates)
    return dataset

"""Labelled plate data: openalpr-style ``file x y w h text`` folders, YOLO txt folders, and generated sets.

>>> sample = synthetic(1, seed=5).samples[0]
>>> len(sample.plates) >= 0 and sample.image.size[0] > 0
True
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from core.errors import DataFormatError, InvalidInput, NotFound
from core.images import load_image
from vision.plate.formats import normalise

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
HELD_OUT_SEED = 777_000  # training uses seeds 0.. and 10_000..; this stream is never trained on


@dataclass
class LabelledPlate:
    """Ground truth of one plate: pixel xyxy and its text (None when the source has no text), and how tall its
    characters are in pixels where the source knows it (generated scenes; ``evaluate.MIN_CHAR_HEIGHT``)."""

    box: tuple[float, float, float, float]
    text: str | None
    char_height: float | None = None


@dataclass
class PlateSample:
    """One image with every plate in it labelled."""

    name: str
    plates: list[LabelledPlate] = field(default_factory=list)
    path: Path | None = None
    _image: Image.Image | None = None

    @property
    def image(self) -> Image.Image:
        if self._image is None:
            if self.path is None:
                raise InvalidInput(f"sample {self.name!r} has neither an image nor a path")
            self._image = load_image(self.path)
        return self._image


@dataclass
class PlateDataset:
    """A named list of samples (what ``PlateReader.evaluate`` takes)."""

    name: str
    samples: list[PlateSample]
    origin: str = "labelled"  # "generated": scenes we rendered (a development number)
    notes: dict[str, object] = field(default_factory=dict)  # what the reader reports about the labels

    def __len__(self) -> int:
        return len(self.samples)

    def __iter__(self) -> Iterator[PlateSample]:
        return iter(self.samples)


def _images_in(folder: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted(folder.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES}


def read_openalpr_folder(folder: Path) -> PlateDataset:
    """Folder of images, each with ``<stem>.txt`` lines ``file x y w h text`` (openalpr benchmarks)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotFound(f"plate data folder {str(folder)!r} does not exist")
    images = _images_in(folder)
    samples: list[PlateSample] = []
    for label_file in sorted(folder.glob("*.txt")):
        plates: list[LabelledPlate] = []
        image_name = None
        for line_no, line in enumerate(label_file.read_text().splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) < 5:
                raise DataFormatError(label_file, line_no, f"expected 'file x y w h [text]', got {line!r}")
            image_name = parts[0]
            try:
                x, y, w, h = (float(v) for v in parts[1:5])
            except ValueError as exc:
                raise DataFormatError(label_file, line_no, f"x y w h must be numbers: {line!r}") from exc
            text = normalise("".join(parts[5:])) if len(parts) > 5 else None
            plates.append(LabelledPlate((x, y, x + w, y + h), text or None))
        if image_name is None:
            continue
        path = images.get(image_name) or folder / image_name
        if not path.exists():
            raise DataFormatError(label_file, None, f"image {image_name!r} not found in {folder}")
        samples.append(PlateSample(path.stem, plates, path))
    if not samples:
        raise InvalidInput(f"no openalpr-style labels (*.txt 'file x y w h text') in {folder}")
    return PlateDataset(folder.name, samples)


def read_yolo_folder(folder: Path) -> PlateDataset:
    """``images/`` + ``labels/`` (YOLO ``cls cx cy w h`` normalised; an optional 6th column is the text)."""
    folder = Path(folder)
    image_dir = folder / "images" if (folder / "images").is_dir() else folder
    label_dir = folder / "labels" if (folder / "labels").is_dir() else folder
    samples: list[PlateSample] = []
    for path in sorted(p for p in image_dir.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES):
        rel = path.relative_to(image_dir).with_suffix(".txt")
        label_file = label_dir / rel
        if not label_file.exists():
            continue
        with Image.open(path) as img:
            width, height = img.size
        plates = []
        for line_no, line in enumerate(label_file.read_text().splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) < 5:
                raise DataFormatError(label_file, line_no, f"expected 'cls cx cy w h [text]', got {line!r}")
            try:
                cx, cy, w, h = (float(v) for v in parts[1:5])
            except ValueError as exc:
                raise DataFormatError(label_file, line_no, f"cx cy w h must be numbers: {line!r}") from exc
            box = ((cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height)
            plates.append(LabelledPlate(box, normalise(parts[5]) if len(parts) > 5 else None))
        samples.append(PlateSample(path.stem, plates, path))
    if not samples:
        raise InvalidInput(f"no YOLO-labelled images (images/ + labels/*.txt) in {folder}")
    return PlateDataset(folder.name, samples)


def load_folder(folder: Path | str) -> PlateDataset:
    """Detect the label format of a folder (YOLO layout or openalpr ``file x y w h text``) and read it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotFound(f"plate data folder {str(folder)!r} does not exist")
    if (folder / "labels").is_dir():
        return read_yolo_folder(folder)
    return read_openalpr_folder(folder)


def synthetic(n: int = 200, seed: int = HELD_OUT_SEED) -> PlateDataset:
    """``n`` generated scenes from a seed stream training never uses (a held-out set)."""
    from vision.plate.synth import scenes

    if n < 1:
        raise InvalidInput("a synthetic dataset needs at least one image")
    samples = [PlateSample(f"synthetic-{seed}-{i:05d}",
                           [LabelledPlate(p.box, p.text, p.char_height) for p in scene.plates], None, scene.image)
               for i, scene in enumerate(scenes(n, seed=seed))]
    return PlateDataset(f"synthetic-{n}-seed{seed}", samples, origin="generated")


def synthetic_held_out() -> PlateDataset:
    """The registry's default generated evaluation set (200 scenes)."""
    return synthetic(200)


def shared_br_folder() -> Path:
    """Where the 60 real Brazilian development photos live (``$AIS_SHARED_DATA/plates/br``)."""
    root = Path(os.environ.get("AIS_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
    return root / "plates" / "br"


# Labels of the openalpr BR set that disagree with their photo: image stem -> (published text, the text the
# plate shows). FZB9581.jpg shows "FBZ-9581" (B before Z), plain at 258 px wide; every reader reads FBZ.
BR_LABEL_FIXES: dict[str, tuple[str, str]] = {"FZB9581": ("FZB9581", "FBZ9581")}


def br_real(fix_labels: bool = True) -> PlateDataset:
    """The real Brazilian photos (openalpr benchmarks, AGPL): evaluation only, never training.

    ``fix_labels`` replaces the published texts that ``BR_LABEL_FIXES`` lists by what their photo shows
    (each fix applies only while the published label is still the wrong one); ``False`` scores against
    the labels exactly as published.
    """
    folder = shared_br_folder()
    if not folder.is_dir():
        raise NotFound(f"the Brazilian plate photos are not at {folder}; set AIS_SHARED_DATA or pass --data")
    dataset = read_openalpr_folder(folder)
    if fix_labels:
        for sample in dataset.samples:
            published, shown = BR_LABEL_FIXES.get(sample.name, (None, None))
            for plate in sample.plates:
                if published is not None and plate.text == published:
                    log.info("BR label of %s corrected: %s -> %s (what the photo shows)", sample.name, published, shown)
                    plate.text = shown
    return dataset


def subset(dataset: PlateDataset, names: Sequence[str]) -> PlateDataset:
    """The samples whose names are listed, in that order (tests pick a few real photos)."""
    by_name = {s.name: s for s in dataset.samples}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise NotFound(f"samples not in {dataset.name}: {missing}")
    return PlateDataset(f"{dataset.name}[{len(names)}]", [by_name[n] for n in names])

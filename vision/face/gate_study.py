"""Measure how embeddings degrade with face size, blur, compression and pose, on real development faces.

Every face of the development photos (``../shared/data/faces``) is cut out (``degrade.face_crop``)
and degraded under every ``degrade.CONDITIONS`` entry (fixed seed). Each variant is detected again,
its quality scores measured (``quality.measure``) and embedded twice: as is, and with small faces
enlarged before alignment. The result (``Variants``) is what the gate limits, the upscale size and
the before/after comparison in the README are computed from (``vision.face.gate_choice``).

This is a development tool: it needs the development photos and takes minutes on a CPU.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vision.face.datasets import identity_folders, shared_faces_root
from vision.face.degrade import CONDITIONS, DEVELOPMENT_SEED, degrade, face_crop
from vision.face.quality import measure

if TYPE_CHECKING:
    from vision.face.analyzer import FaceAnalyzer

log = logging.getLogger(__name__)

STUDY_UPSCALE = 150.0  # dlib's chip size: the upscaled embedding of each variant is taken at this size
SAME_FACE_MAX = 0.5  # a clean test face within this distance of an enrolled person is that person


@dataclass(frozen=True)
class FaceUnit:
    """One real face of the development photos: where it is, who it is, which role it plays."""

    face_id: int
    source: str
    box: list[float]
    person: str
    role: str  # "enroll" (knn/train), "probe" (knn/test, enrolled person), "stranger" (not enrolled)


@dataclass
class VariantRow:
    face_id: int
    condition: str
    family: str
    detected: bool
    n_faces: int
    size: float
    sharpness: float
    yaw: float
    roll: float
    directional: float = float("nan")  # rows measured before this score: unknown, never refused


def _largest_faces(analyzer: FaceAnalyzer, path: Path) -> list:
    return analyzer.analyze([path], embed=False)[0].faces


def face_units(analyzer: FaceAnalyzer, root: Path | None = None) -> list[FaceUnit]:
    """The development faces with identities: knn/train (enroll), knn/test (probe if the clean face lies
    within ``SAME_FACE_MAX`` of an enrolled person, else stranger), facenet photos (strangers)."""
    root = root or shared_faces_root()
    units: list[FaceUnit] = []
    references: list[tuple[str, np.ndarray]] = []
    for person, paths in identity_folders(root / "knn" / "train").items():
        for path in paths:
            analyzed = analyzer.analyze([path], embed=False)[0]
            face = analyzed.faces[0]
            units.append(FaceUnit(len(units), str(path), face.box.tolist(), person, "enroll"))
            references.append((person, analyzer.embed(analyzed.image, [face], upscale_to=0)[0]))
    for path in sorted((root / "knn" / "test").glob("*.jpg")):
        analyzed = analyzer.analyze([path], embed=False)[0]
        vectors = analyzer.embed(analyzed.image, analyzed.faces, upscale_to=0)
        for i, (face, vector) in enumerate(zip(analyzed.faces, vectors)):
            person, distance = min(((p, float(np.linalg.norm(v - vector))) for p, v in references),
                                   key=lambda pd: pd[1])
            known = distance <= SAME_FACE_MAX
            units.append(FaceUnit(len(units), str(path), face.box.tolist(),
                                  person if known else f"{path.stem}:{i}", "probe" if known else "stranger"))
    for path in sorted((root / "facenet" / "test_images").glob("*/*.jpg")) + [root / "facenet" / "multiface.jpg"]:
        for i, face in enumerate(_largest_faces(analyzer, path)):
            units.append(FaceUnit(len(units), str(path), face.box.tolist(), f"{path.parent.name}/{path.stem}:{i}",
                                  "stranger"))
    return units


def collect(analyzer: FaceAnalyzer, out: Path, *, seed: int = DEVELOPMENT_SEED,
            conditions: list[str] | None = None) -> Path:
    """Degrade, detect, measure and embed every development face under every condition; write
    ``variants.json`` (units + rows) and ``embeddings.npz`` (``plain``/``upscaled``, one row per variant)."""
    from PIL import Image
    from tqdm import tqdm

    out.mkdir(parents=True, exist_ok=True)
    names = conditions or [c.name for c in CONDITIONS]
    family = {c.name: c.family for c in CONDITIONS}
    rows: list[VariantRow] = []
    plain: list[np.ndarray] = []
    upscaled: list[np.ndarray] = []
    done: set[tuple[int, str]] = set()
    if (out / "variants.json").is_file() and (out / "embeddings.npz").is_file():  # resume: keep what was measured
        meta = json.loads((out / "variants.json").read_text())
        if meta["seed"] == seed and meta["upscale_to"] == STUDY_UPSCALE:
            units = [FaceUnit(**u) for u in meta["units"]]
            rows = [VariantRow(**r) for r in meta["rows"]]
            arrays = np.load(out / "embeddings.npz")
            plain, upscaled = list(arrays["plain"]), list(arrays["upscaled"])
            done = {(r.face_id, r.condition) for r in rows}
    if not done:
        units = face_units(analyzer)
    zero = np.zeros(analyzer.embedder.dim, np.float32)  # type: ignore[union-attr]
    images: dict[str, Image.Image] = {}
    todo = [(u, n) for u in units for n in names if (u.face_id, n) not in done]
    for unit, name in tqdm(todo, desc="face variants"):
        if unit.source not in images:
            images = {unit.source: Image.open(unit.source).convert("RGB")}  # one source image in memory
        crop, size = face_crop(images[unit.source], np.asarray(unit.box))
        variant = degrade(crop, size, name, seed=seed, face_index=unit.face_id)
        faces = analyzer.detector.detect([variant])[0]  # type: ignore[union-attr]
        centre = np.array(variant.size, dtype=np.float64) / 2
        near = [f for f in faces if np.linalg.norm((f.box[:2] + f.box[2:]) / 2 - centre) < 0.5 * max(f.size, 1)]
        if not near:
            rows.append(VariantRow(unit.face_id, name, family[name], False, len(faces), 0.0, 0.0, 0.0, 0.0))
            plain.append(zero)
            upscaled.append(zero)
            continue
        face = near[0]
        scores = measure(variant, face)
        rows.append(VariantRow(unit.face_id, name, family[name], True, len(faces), scores.size, scores.sharpness,
                               scores.yaw, scores.roll_degrees, scores.directional_sharpness))
        plain.append(analyzer.embed(variant, [face], upscale_to=0)[0])
        upscaled.append(analyzer.embed(variant, [face], upscale_to=STUDY_UPSCALE)[0]
                        if face.size < STUDY_UPSCALE else plain[-1])
    (out / "variants.json").write_text(json.dumps({
        "seed": seed, "upscale_to": STUDY_UPSCALE, "units": [asdict(u) for u in units],
        "rows": [asdict(r) for r in rows]}, indent=1))
    np.savez_compressed(out / "embeddings.npz", plain=np.vstack(plain), upscaled=np.vstack(upscaled))
    log.info("wrote %d variants of %d faces to %s", len(rows), len(units), out)
    return out

"""Identification evaluation: enroll a dataset's persons in a temporary gallery, then identify its probes."""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.schemas import Metrics
from vision.face.datasets import IdentityDataset
from vision.face.openset import OpenSetScores
from vision.face.schemas import UNKNOWN

if TYPE_CHECKING:
    from vision.face.analyzer import FaceAnalyzer

log = logging.getLogger(__name__)


def _photo_values(dataset: IdentityDataset, decisions: list[list[str]]) -> tuple[
        dict[str, float], dict[str, tuple[float, float]], list[bool]]:
    """Recall of enrolled persons, false accepts per face, stranger rejection and photos fully correct,
    with 95 % Wilson intervals, from each probe's per-face decisions."""
    from core.stats import wilson_interval

    found = expected = false_accepts = stranger_faces = stranger_rejected = correct_images = n_faces = 0
    correct: list[bool] = []
    for probe, faces in zip(dataset.probes, decisions):
        named = {d for d in faces if d != UNKNOWN}
        wrong = [d for d in faces if d != UNKNOWN and d not in probe.persons]
        hits = probe.persons & named
        found += len(hits)
        expected += len(probe.persons)
        false_accepts += len(wrong)
        n_faces += len(faces)
        if not probe.persons:
            stranger_faces += len(faces)
            stranger_rejected += faces.count(UNKNOWN)
        ok = hits == probe.persons and not wrong
        correct_images += ok
        correct.append(ok)
    n = len(dataset.probes)
    counts = {"identification_recall": (found, expected), "false_accepts_per_face": (false_accepts, n_faces),
              "stranger_rejection_rate": (stranger_rejected, stranger_faces), "images_fully_correct": (correct_images, n)}
    values = {k: (a / b if b else 0.0) for k, (a, b) in counts.items()}
    return values, {k: wilson_interval(a, b) for k, (a, b) in counts.items()}, correct


def evaluate_identification(analyzer: FaceAnalyzer, dataset: IdentityDataset, *, top_k: int = 3) -> Metrics:
    """ML metric: recall of enrolled persons in probe photos; business metrics: false accepts and the
    share of photos resolved with no error (every enrolled person found, nobody wrongly named). Beside
    it (``baselines``): plain MTCNN + dlib nearest neighbour at 0.6, every enrollment photo's largest face."""
    from core.errors import InvalidInput
    from vision.face.gallery import Gallery

    tenant = "eval"
    details: list[dict[str, object]] = []
    ours: list[list[str]] = []
    plain: list[list[str]] = []
    not_enrolled: list[str] = []
    plain_refs: list[tuple[str, np.ndarray]] = []
    with tempfile.TemporaryDirectory() as tmp:
        gallery = Gallery(Path(tmp) / "eval.db", analyzer=analyzer)
        for person, paths in dataset.enroll.items():
            try:
                gallery.enroll(tenant, paths, person, person_id=person)
            except InvalidInput as exc:
                log.warning("%s not enrolled: %s", person, exc.message)
                not_enrolled.append(person)
            for path in paths:
                vector = _largest_face_vector(analyzer, Path(path), 0.0)
                if vector is not None:
                    plain_refs.append((person, vector))
        names = [p for p, _ in plain_refs]
        matrix = np.vstack([v for _, v in plain_refs])
        for probe in dataset.probes:
            result = gallery.identify(tenant, probe.path, top_k=top_k)
            decisions = [f.decision for f in result.faces]
            ours.append(decisions)
            analyzed = analyzer.analyze([probe.path], embed=False)[0]
            plain_decisions = []
            for vector in analyzer.embed(analyzed.image, analyzed.faces, upscale_to=0.0):
                d = np.linalg.norm(matrix - vector, axis=1)
                plain_decisions.append(names[int(d.argmin())] if d.min() <= 0.6 else UNKNOWN)
            plain.append(plain_decisions)
            details.append({"image": f"{probe.path.parent.name}/{probe.path.name}", "expected": sorted(probe.persons),
                            "decisions": decisions, "plain_decisions": plain_decisions,
                            "nearest": [round(f.candidates[0].distance, 3) if f.candidates else None
                                        for f in result.faces]})
            log.info("%s: expected %s, got %s", probe.path.name, sorted(probe.persons), decisions)
        threshold = gallery.threshold
        gallery.close()
    values, intervals, correct = _photo_values(dataset, ours)
    for row, ok in zip(details, correct):
        row["correct"] = ok
    base, _, _ = _photo_values(dataset, plain)
    values["threshold"] = threshold
    return Metrics(task="face", dataset=dataset.name, n_samples=len(dataset.probes), values=values,
                   intervals=intervals, origin="labelled", baselines={PLAIN: base},
                   details={"probes": details, "enrolled_persons": len(dataset.enroll) - len(not_enrolled),
                            "not_enrolled": not_enrolled, "faces": sum(len(d) for d in ours)})


PLAIN = "plain_mtcnn_dlib_nn_0.6"


def _largest_face_vector(analyzer: FaceAnalyzer, path: Path, upscale_to: float) -> np.ndarray | None:
    analyzed = analyzer.analyze([path], embed=False)[0]
    if not analyzed.faces:
        return None
    return analyzer.embed(analyzed.image, analyzed.faces[:1], upscale_to=upscale_to)[0]


def open_set_scores(analyzer: FaceAnalyzer, dataset: IdentityDataset) -> tuple[OpenSetScores, OpenSetScores,
                                                                            dict[str, object]]:
    """(ours, plain) open-set scores of a dataset whose probes show one person each (largest face).

    Ours: the ``Gallery`` (enrollment gate, upscaling, reference weights) as deployed. Plain: every
    enrollment photo with a detected face, no upscaling, nearest neighbour (the baseline).
    """
    from tqdm import tqdm

    from core.errors import InvalidInput
    from vision.face.gallery import Gallery

    tenant = "eval"
    plain_refs: list[tuple[str, np.ndarray]] = []
    details: dict[str, object] = {"refused": {}, "persons_not_enrolled": []}
    with tempfile.TemporaryDirectory() as tmp:
        gallery = Gallery(Path(tmp) / "eval.db", analyzer=analyzer)
        photos = accepted = 0
        for person, paths in tqdm(dataset.enroll.items(), desc="enroll"):
            photos += len(paths)
            try:
                result = gallery.enroll(tenant, [str(p) for p in paths], person, person_id=_safe_id(person))
                accepted += result.added
                if result.refused:
                    details["refused"][person] = [r.reason for r in result.refused]  # type: ignore[index]
            except InvalidInput as exc:
                details["persons_not_enrolled"].append(person)  # type: ignore[union-attr]
                details["refused"][person] = [r["reason"] for r in exc.detail.get("refused", [])] or [  # type: ignore[index]
                    exc.detail.get("reason")]
            for path in paths:
                vector = _largest_face_vector(analyzer, path, 0.0)
                if vector is not None:
                    plain_refs.append((person, vector))
        details["enroll_photos"] = photos
        details["enroll_accepted"] = accepted
        index = gallery.index(tenant)
        plain_names = np.asarray([p for p, _ in plain_refs], dtype=object)
        plain_matrix = np.vstack([v for _, v in plain_refs]) if plain_refs else np.zeros((0, 128), np.float32)
        ours: dict[bool, tuple[list[float], list[bool]]] = {True: ([], []), False: ([], [])}
        plain: dict[bool, tuple[list[float], list[bool]]] = {True: ([], []), False: ([], [])}
        ids = {_safe_id(p): p for p in dataset.enroll}
        undetected = 0
        for probe in tqdm(dataset.probes, desc="probes"):
            known = bool(probe.persons)
            analyzed = analyzer.analyze([probe.path], embed=False)[0]
            if not analyzed.faces:
                undetected += 1
                if known:  # a known face we cannot find is a miss for both systems
                    for scores in (ours, plain):
                        scores[True][0].append(np.inf)
                        scores[True][1].append(False)
                continue
            vector = analyzer.embed(analyzed.image, analyzed.faces[:1])[0]
            match = index.search(vector, k=1)
            ours[known][0].append(match[0][1] if match else np.inf)
            ours[known][1].append(bool(match) and ids.get(match[0][0]) in probe.persons)
            plain_vector = analyzer.embed(analyzed.image, analyzed.faces[:1], upscale_to=0.0)[0]
            if len(plain_matrix):
                d = np.linalg.norm(plain_matrix - plain_vector, axis=1)
                best = int(d.argmin())
                plain[known][0].append(float(d[best]))
                plain[known][1].append(plain_names[best] in probe.persons)
            else:
                plain[known][0].append(np.inf)
                plain[known][1].append(False)
        details["probes_without_face"] = undetected
        gallery.close()

    def to_scores(s: dict[bool, tuple[list[float], list[bool]]]) -> OpenSetScores:
        return OpenSetScores(np.asarray(s[True][0], float), np.asarray(s[True][1], bool), np.asarray(s[False][0], float))

    return to_scores(ours), to_scores(plain), details


def _safe_id(name: str) -> str:
    import re

    cleaned = re.sub(r"[^A-Za-z0-9_.:@-]", "_", name)[:128]
    return cleaned if cleaned[:1].isalnum() else f"p{cleaned}"[:128]


def evaluate_open_set(analyzer: FaceAnalyzer, dataset: IdentityDataset, *, threshold: float,
                      plot: Path | None = None, origin: str = "labelled") -> Metrics:
    """Open-set identification of ``dataset`` (probes of enrolled persons and of strangers): identification
    rate at the operating threshold and at FAR 1 % / 0.1 %, strangers' false-accept rate, enrollment
    acceptance; the plain MTCNN + dlib nearest-neighbour baseline at 0.6 on the same photos."""
    from core.stats import wilson_interval
    from vision.face.openset import open_set_values, plot_det

    ours, plain, details = open_set_scores(analyzer, dataset)
    values, intervals, extra = open_set_values(ours, threshold)
    photos, accepted = int(details["enroll_photos"]), int(details["enroll_accepted"])  # type: ignore[call-overload]
    values["enroll_acceptance_rate"] = accepted / photos if photos else 0.0
    intervals["enroll_acceptance_rate"] = wilson_interval(accepted, photos)
    base, _, base_extra = open_set_values(plain, 0.6)
    details.update(extra)
    details["baseline"] = base_extra
    details["threshold"] = threshold
    if plot is not None:
        details["det_plot"] = str(plot_det({"this project": ours, "plain MTCNN + dlib NN": plain}, plot,
                                           threshold=threshold))
    return Metrics(task="face", dataset=dataset.name, n_samples=len(dataset.probes), values=values,
                   intervals=intervals, details=details, origin=origin,  # type: ignore[arg-type]
                   baselines={PLAIN: base})


def evaluate_pairs(analyzer: FaceAnalyzer, pairs: list, *, threshold: float, name: str,
                   origin: str = "labelled") -> Metrics:
    """Verification on labelled pairs: accuracy and false-accept rate at the threshold, TAR at FAR 1 % /
    0.1 % (where measurable), ROC AUC; baseline: the same without upscaling at dlib's 0.6."""
    from sklearn.metrics import roc_auc_score

    from core.stats import wilson_interval
    from vision.face.calibrate import pair_distances, tar_at_far

    out: dict[str, dict[str, float]] = {}
    intervals: dict[str, tuple[float, float]] = {}
    skipped: list[str] = []
    for system, upscale, t in (("ours", None, threshold), (PLAIN, 0.0, 0.6)):
        distances, same, skipped = pair_distances(analyzer, pairs, upscale_to=upscale)
        values: dict[str, float] = {}
        accepted = distances <= t
        correct = int(np.sum(accepted == same))
        values["accuracy"] = correct / len(same) if len(same) else 0.0
        negatives, positives = int((~same).sum()), int(same.sum())
        values["false_accept_rate"] = float(np.sum(accepted & ~same)) / negatives if negatives else 0.0
        values["true_accept_rate"] = float(np.sum(accepted & same)) / positives if positives else 0.0
        if same.any() and (~same).any():
            values["roc_auc"] = float(roc_auc_score(same, -distances))
        for far in (1e-2, 1e-3):
            tar = tar_at_far(distances, same, far)
            if tar is not None:
                values[f"tar_at_far_{far:g}"] = tar
                if system == "ours":
                    intervals[f"tar_at_far_{far:g}"] = wilson_interval(round(tar * positives), positives)
        if system == "ours":
            intervals["accuracy"] = wilson_interval(correct, len(same))
            intervals["false_accept_rate"] = wilson_interval(int(np.sum(accepted & ~same)), negatives)
            intervals["true_accept_rate"] = wilson_interval(int(np.sum(accepted & same)), positives)
        out[system] = values
    return Metrics(task="face", dataset=name, n_samples=len(pairs), values=out["ours"], intervals=intervals,
                   origin=origin, baselines={PLAIN: out[PLAIN]},  # type: ignore[arg-type]
                   details={"threshold": threshold, "skipped_images": skipped})

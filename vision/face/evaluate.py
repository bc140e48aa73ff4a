"""Identification evaluation: enroll a dataset's persons in a temporary gallery, then identify its probes."""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from core.schemas import Metrics
from vision.face.datasets import IdentityDataset
from vision.face.schemas import UNKNOWN

if TYPE_CHECKING:
    from vision.face.analyzer import FaceAnalyzer

log = logging.getLogger(__name__)


def evaluate_identification(analyzer: FaceAnalyzer, dataset: IdentityDataset, *, top_k: int = 3) -> Metrics:
    """ML metric: recall of enrolled persons in probe photos; business metrics: false accepts and the
    share of photos resolved with no error (every enrolled person found, nobody wrongly named)."""
    from vision.face.gallery import Gallery

    tenant = "eval"
    found = expected = false_accepts = stranger_faces = stranger_rejected = correct_images = n_faces = 0
    details: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        gallery = Gallery(Path(tmp) / "eval.db", analyzer=analyzer)
        for person, paths in dataset.enroll.items():
            gallery.enroll(tenant, paths, person, person_id=person)
        for probe in dataset.probes:
            result = gallery.identify(tenant, probe.path, top_k=top_k)
            decisions = [f.decision for f in result.faces]
            named = {d for d in decisions if d != UNKNOWN}
            wrong = [d for d in decisions if d != UNKNOWN and d not in probe.persons]
            hits = probe.persons & named
            found += len(hits)
            expected += len(probe.persons)
            false_accepts += len(wrong)
            n_faces += len(decisions)
            if not probe.persons:
                stranger_faces += len(decisions)
                stranger_rejected += decisions.count(UNKNOWN)
            ok = hits == probe.persons and not wrong
            correct_images += ok
            details.append({"image": f"{probe.path.parent.name}/{probe.path.name}", "expected": sorted(probe.persons), "decisions": decisions,
                            "nearest": [round(f.candidates[0].distance, 3) if f.candidates else None
                                        for f in result.faces], "correct": ok})
            log.info("%s: expected %s, got %s", probe.path.name, sorted(probe.persons), decisions)
        threshold = gallery.threshold
        gallery.close()
    n = len(dataset.probes)
    values = {
        "identification_recall": found / expected if expected else 1.0,
        "false_accepts_per_face": false_accepts / n_faces if n_faces else 0.0,
        "stranger_rejection_rate": stranger_rejected / stranger_faces if stranger_faces else 1.0,
        "images_fully_correct": correct_images / n if n else 0.0,
        "threshold": threshold,
    }
    return Metrics(task="face", dataset=dataset.name, n_samples=n, values=values,
                   details={"probes": details, "enrolled_persons": len(dataset.enroll), "faces": n_faces})

"""From the measured variants (``vision.face.gate_study``): how reliable an embedding is per quality level,
and what a gate, upscaling and reference weights do to open-set identification.

Reliability of one enrollment variant (a degraded photo of a person whose other photos we have):
- ``self``: distance to the clean embedding of the same face (what the degradation alone moved it);
- ``genuine``: share of the person's *other* clean photos within the match threshold (would a
  reference made from this photo still find the person?);
- ``false``: does it come within the threshold of any stranger's clean face (would it name a stranger?).

Open-set protocol (``simulate``): for every condition, each of the 5 ``knn/train`` persons is enrolled
from their ``knn/train`` photos under that condition, keeping the photos the gate admits; the
probes are every condition of the ``knn/test`` faces of those persons (known) and of the 11 faces of
people never enrolled (strangers). Decisions pool over the conditions; one threshold serves them all.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.stats import wilson_interval
from vision.face.openset import OpenSetScores
from vision.face.quality import QualityGate, QualityScores

THRESHOLD = 0.6


@dataclass
class Study:
    units: list[dict]
    rows: list[dict]
    plain: np.ndarray
    upscaled: np.ndarray
    seed: int
    upscale_to: float
    index: dict[tuple[int, str], int] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path) -> Study:
        meta = json.loads((folder / "variants.json").read_text())
        arrays = np.load(folder / "embeddings.npz")
        study = cls(meta["units"], meta["rows"], arrays["plain"], arrays["upscaled"], meta["seed"], meta["upscale_to"])
        study.index = {(r["face_id"], r["condition"]): i for i, r in enumerate(study.rows)}
        return study

    @property
    def conditions(self) -> list[str]:
        return list(dict.fromkeys(r["condition"] for r in self.rows))

    def role(self, face_id: int) -> str:
        return self.units[face_id]["role"]

    def person(self, face_id: int) -> str:
        return self.units[face_id]["person"]

    def vector(self, i: int, upscale: bool) -> np.ndarray:
        return (self.upscaled if upscale else self.plain)[i]

    def clean(self, face_id: int, upscale: bool = False) -> np.ndarray:
        return self.vector(self.index[(face_id, "clean")], upscale)

    def scores(self, i: int) -> QualityScores:
        r = self.rows[i]
        return QualityScores(size=r["size"], sharpness=r["sharpness"], yaw=r["yaw"], roll_degrees=r["roll"])


def reliability(study: Study, upscale: bool) -> list[dict]:
    """One record per detected variant of an enrolled person's face: scores, self/genuine/false."""
    known = [u["face_id"] for u in study.units if u["role"] in ("enroll", "probe")]
    strangers = np.vstack([study.clean(u["face_id"]) for u in study.units if u["role"] == "stranger"])
    out = []
    for face_id in known:
        others = [f for f in known if f != face_id and study.person(f) == study.person(face_id)]
        other_vectors = np.vstack([study.clean(f) for f in others])
        clean = study.clean(face_id)
        for name in study.conditions:
            i = study.index[(face_id, name)]
            row = study.rows[i]
            if not row["detected"]:
                continue
            v = study.vector(i, upscale)
            genuine = np.linalg.norm(other_vectors - v, axis=1)
            out.append({**row, "person": study.person(face_id), "self": float(np.linalg.norm(v - clean)),
                        "genuine_match": float(np.mean(genuine <= THRESHOLD)),
                        "genuine_min": float(genuine.min()),
                        "stranger_min": float(np.linalg.norm(strangers - v, axis=1).min())})
    return out


def binned(records: list[dict], key: Callable[[dict], float], edges: list[float]) -> list[dict]:
    """Per bin of ``key``: n, median self distance, share of unreliable variants (a reference that would
    miss most of the person's other photos, or match a stranger) with its Wilson interval."""
    out = []
    for low, high in zip(edges[:-1], edges[1:]):
        inside = [r for r in records if low <= key(r) < high]
        if not inside:
            continue
        bad = sum(1 for r in inside if r["genuine_match"] < 0.5 or r["stranger_min"] <= THRESHOLD)
        out.append({"low": low, "high": high, "n": len(inside),
                    "median_self": float(np.median([r["self"] for r in inside])),
                    "p90_self": float(np.percentile([r["self"] for r in inside], 90)),
                    "genuine_match": float(np.mean([r["genuine_match"] for r in inside])),
                    "false_match": float(np.mean([r["stranger_min"] <= THRESHOLD for r in inside])),
                    "unreliable": bad / len(inside), "unreliable_ci": wilson_interval(bad, len(inside))})
    return out


@dataclass(frozen=True)
class System:
    """How a deployment enrolls and matches: which gate (None: any detected face), upscaling, weights."""

    name: str
    gate: QualityGate | None
    upscale: bool
    penalty: float = 0.0


def simulate(study: Study, system: System) -> tuple[OpenSetScores, dict[str, int]]:
    """Open-set scores pooled over every enrollment condition, and the gate's counts."""
    enroll_units = [u["face_id"] for u in study.units if u["role"] == "enroll"]
    probe_units = [u["face_id"] for u in study.units if u["role"] == "probe"]
    stranger_units = [u["face_id"] for u in study.units if u["role"] == "stranger"]
    counts = {"photos": 0, "accepted": 0, "not_detected": 0, "persons_not_enrolled": 0}
    known_d, known_ok, stranger_d = [], [], []
    probe_rows = [study.index[(f, c)] for f in probe_units for c in study.conditions]
    stranger_rows = [study.index[(f, c)] for f in stranger_units for c in study.conditions]
    probe_rows = [i for i in probe_rows if study.rows[i]["detected"]]
    stranger_rows = [i for i in stranger_rows if study.rows[i]["detected"]]
    probes = np.vstack([study.vector(i, system.upscale) for i in probe_rows])
    probe_people = [study.person(study.rows[i]["face_id"]) for i in probe_rows]
    strangers = np.vstack([study.vector(i, system.upscale) for i in stranger_rows])
    for name in study.conditions:
        people: list[str] = []
        vectors: list[np.ndarray] = []
        penalties: list[float] = []
        enrolled_people = set()
        for face_id in enroll_units:
            i = study.index[(face_id, name)]
            counts["photos"] += 1
            row = study.rows[i]
            if not row["detected"]:
                counts["not_detected"] += 1
                continue
            quality = 1.0
            if system.gate is not None:
                scores = study.scores(i)
                g = system.gate
                if (scores.size < g.min_face_size or scores.sharpness < g.min_sharpness
                        or abs(scores.yaw) > g.max_yaw or abs(scores.roll_degrees) > g.max_roll_degrees):
                    continue
                quality = g.quality(scores)
            counts["accepted"] += 1
            people.append(study.person(face_id))
            vectors.append(study.vector(i, system.upscale))
            penalties.append(system.penalty * (1 - quality))
            enrolled_people.add(study.person(face_id))
        counts["persons_not_enrolled"] += len({study.person(f) for f in enroll_units} - enrolled_people)
        if not vectors:
            known_d += [np.inf] * len(probes)
            known_ok += [False] * len(probes)
            stranger_d += [np.inf] * len(strangers)
            continue
        gallery = np.vstack(vectors)
        pen = np.asarray(penalties)
        names = np.asarray(people, dtype=object)
        for batch, is_known in ((probes, True), (strangers, False)):
            d = np.linalg.norm(batch[:, None, :] - gallery[None, :, :], axis=2) + pen[None, :]
            best = d.argmin(axis=1)
            if is_known:
                known_d += d[np.arange(len(d)), best].tolist()
                known_ok += [names[b] == p for b, p in zip(best, probe_people)]
            else:
                stranger_d += d[np.arange(len(d)), best].tolist()
    return OpenSetScores(np.asarray(known_d), np.asarray(known_ok, dtype=bool), np.asarray(stranger_d)), counts


def system_row(study: Study, system: System, threshold: float = THRESHOLD) -> dict:
    """Gate acceptance, identification at FAR 1 % and at the threshold, strangers' FAR (Wilson intervals)."""
    scores, counts = simulate(study, system)
    n_known, n_strangers = len(scores.known_distance), len(scores.stranger_distance)
    row: dict = {"system": system.name, "photos": counts["photos"], "accepted": counts["accepted"],
                 "acceptance": counts["accepted"] / counts["photos"],
                 "acceptance_ci": wilson_interval(counts["accepted"], counts["photos"]),
                 "persons_not_enrolled": counts["persons_not_enrolled"], "known": n_known, "strangers": n_strangers}
    t1 = scores.threshold_at_far(0.01)
    if t1 is not None:
        hits = scores.identified(t1)
        row.update({"threshold_far_1pct": t1, "dir_far_1pct": hits / n_known,
                    "dir_far_1pct_ci": wilson_interval(hits, n_known)})
    hits = scores.identified(threshold)
    fa = scores.false_accepts(threshold)
    row.update({"dir_at_threshold": hits / n_known, "dir_at_threshold_ci": wilson_interval(hits, n_known),
                "far_at_threshold": fa / n_strangers, "far_at_threshold_ci": wilson_interval(fa, n_strangers)})
    return row


def _ci(pair: tuple[float, float]) -> str:
    return f"{pair[0]:.3f}–{pair[1]:.3f}"


def markdown_systems(rows: list[dict]) -> str:
    head = ("| system | gate acceptance (95% CI) | identification at FAR 1% (95% CI) | threshold at FAR 1% "
            "| identification at 0.6 | strangers' FAR at 0.6 (95% CI) |\n|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        lines.append(f"| {r['system']} | {r['acceptance']:.3f} ({r['accepted']}/{r['photos']}; {_ci(r['acceptance_ci'])}) "
                     f"| {r.get('dir_far_1pct', float('nan')):.3f} ({_ci(r.get('dir_far_1pct_ci', (0, 1)))}) "
                     f"| {r.get('threshold_far_1pct', float('nan')):.3f} "
                     f"| {r['dir_at_threshold']:.3f} ({_ci(r['dir_at_threshold_ci'])}) "
                     f"| {r['far_at_threshold']:.4f} ({_ci(r['far_at_threshold_ci'])}) |")
    return "\n".join(lines)


def markdown_bins(bins: list[dict], what: str) -> str:
    lines = [f"| {what} | variants | median / p90 self distance | genuine match | false match | unreliable (95% CI) |",
             "|---|---|---|---|---|---|"]
    for b in bins:
        lines.append(f"| {b['low']:g}–{b['high']:g} | {b['n']} | {b['median_self']:.3f} / {b['p90_self']:.3f} "
                     f"| {b['genuine_match']:.3f} | {b['false_match']:.3f} | {b['unreliable']:.3f} "
                     f"({_ci(b['unreliable_ci'])}) |")
    return "\n".join(lines)

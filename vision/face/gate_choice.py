"""From the measured variants (``vision.face.gate_study``): how reliable an embedding is per quality level,
and what a gate, upscaling and reference weights do to open-set identification.

Reliability of one enrollment variant (a degraded photo of a person whose other photos we have):
- ``self``: distance to the clean embedding of the same face (what the degradation alone moved it);
- ``genuine``: share of the person's *other* clean photos within the match threshold (would a
  reference made from this photo still find the person?);
- ``false``: does it come within the threshold of any stranger's face, clean or degraded the same way
  (would it name a stranger?).

Open-set protocol (``simulate``): for every condition, each of the 5 ``knn/train`` persons is enrolled
from their ``knn/train`` photos under that condition, keeping the photos the gate admits; the
probes are every condition of the ``knn/test`` faces of those persons (known) and of the 11 faces of
people never enrolled (strangers). Decisions pool over the conditions; one threshold serves them all.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import pairwise
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
        return QualityScores(size=r["size"], sharpness=r["sharpness"], yaw=r["yaw"], roll_degrees=r["roll"],
                             directional_sharpness=r.get("directional", float("inf")))


def reliability(study: Study, upscale: bool) -> list[dict]:
    """One record per detected variant of an enrolled person's face: scores, self/genuine/false."""
    known = [u["face_id"] for u in study.units if u["role"] in ("enroll", "probe")]
    stranger_units = [u["face_id"] for u in study.units if u["role"] == "stranger"]
    strangers = np.vstack([study.clean(f) for f in stranger_units])
    # strangers photographed the same way (e.g. CCTV reference against CCTV passers-by)
    alike = {name: np.vstack([study.vector(study.index[(f, name)], upscale) for f in stranger_units
                              if study.rows[study.index[(f, name)]]["detected"]] or [np.full(strangers.shape[1], 1e3)])
             for name in study.conditions}
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
                        "stranger_min": min(float(np.linalg.norm(strangers - v, axis=1).min()),
                                            float(np.linalg.norm(alike[name] - v, axis=1).min()))})
    return out


def binned(records: list[dict], key: Callable[[dict], float], edges: list[float]) -> list[dict]:
    """Per bin of ``key``: n, median self distance, share of unreliable variants (a reference that would
    miss most of the person's other photos, or match a stranger) with its Wilson interval."""
    out = []
    for low, high in pairwise(edges):
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


def reference_penalties(people: list[str], qualities: np.ndarray, penalty: float) -> np.ndarray:
    """What the gallery adds to a reference's distance: ``penalty`` times how far its quality lies below
    the best reference of the same person (a person's best photo is never penalised)."""
    from vision.face.index import relative_penalties

    return relative_penalties(people, qualities, penalty)


def plan_per_condition(study: Study) -> list[list[tuple[int, str]]]:
    """Protocol A: one trial per condition; every enrolled person's photos all under that condition."""
    enroll_units = [u["face_id"] for u in study.units if u["role"] == "enroll"]
    return [[(f, name) for f in enroll_units] for name in study.conditions]


def plan_mixed(study: Study, trials: int = 200, per_photo: int = 2, seed: int | None = None) -> list[list[tuple[int, str]]]:
    """Protocol B: each trial gives every enrolled person ``per_photo`` versions of each of their photos,
    each under a condition drawn at random (clean included): a client's mix of scans, crops and web photos."""
    enroll_units = [u["face_id"] for u in study.units if u["role"] == "enroll"]
    rng = np.random.default_rng(study.seed if seed is None else seed)
    names = study.conditions
    return [[(f, names[int(rng.integers(len(names)))]) for f in enroll_units for _ in range(per_photo)]
            for _ in range(trials)]


def simulate(study: Study, system: System, plan: list[list[tuple[int, str]]] | None = None,
             ) -> tuple[OpenSetScores, dict[str, object]]:
    """Open-set scores pooled over the trials of ``plan`` (default: protocol A), and the gate's counts.
    Probes: every detected variant of the known test faces and of the strangers."""
    plan = plan if plan is not None else plan_per_condition(study)
    enroll_people = {study.person(u["face_id"]) for u in study.units if u["role"] == "enroll"}
    probe_units = [u["face_id"] for u in study.units if u["role"] == "probe"]
    stranger_units = [u["face_id"] for u in study.units if u["role"] == "stranger"]
    counts: dict = {"photos": 0, "accepted": 0, "not_detected": 0, "persons_not_enrolled": 0}
    known_d, known_ok, stranger_d = [], [], []
    probe_rows = [study.index[(f, c)] for f in probe_units for c in study.conditions]
    stranger_rows = [study.index[(f, c)] for f in stranger_units for c in study.conditions]
    probe_rows = [i for i in probe_rows if study.rows[i]["detected"]]
    stranger_rows = [i for i in stranger_rows if study.rows[i]["detected"]]
    probes = np.vstack([study.vector(i, system.upscale) for i in probe_rows])
    probe_people = [study.person(study.rows[i]["face_id"]) for i in probe_rows]
    probe_faces = np.array([study.rows[i]["face_id"] for i in probe_rows])
    stranger_faces = np.array([study.rows[i]["face_id"] for i in stranger_rows])
    strangers = np.vstack([study.vector(i, system.upscale) for i in stranger_rows])
    for trial in plan:
        people: list[str] = []
        vectors: list[np.ndarray] = []
        penalties: list[float] = []
        for face_id, name in trial:
            i = study.index[(face_id, name)]
            counts["photos"] += 1
            row = study.rows[i]
            if not row["detected"]:
                counts["not_detected"] += 1
                continue
            quality = 1.0
            if system.gate is not None:
                scores = study.scores(i)
                if not system.gate.admits(scores):
                    continue
                quality = system.gate.quality(scores)
            counts["accepted"] += 1
            people.append(study.person(face_id))
            vectors.append(study.vector(i, system.upscale))
            penalties.append(quality)
        counts["persons_not_enrolled"] += len(enroll_people - set(people))
        if not vectors:
            known_d += [np.inf] * len(probes)
            known_ok += [False] * len(probes)
            stranger_d += [np.inf] * len(strangers)
            continue
        gallery = np.vstack(vectors)
        pen = reference_penalties(people, np.asarray(penalties), system.penalty)
        names = np.asarray(people, dtype=object)
        for batch, is_known in ((probes, True), (strangers, False)):
            d = np.sqrt(np.maximum((batch ** 2).sum(1)[:, None] + (gallery ** 2).sum(1)[None, :]
                                   - 2 * batch @ gallery.T, 0)) + pen[None, :]
            best = d.argmin(axis=1)
            if is_known:
                known_d += d[np.arange(len(d)), best].tolist()
                known_ok += [names[b] == p for b, p in zip(best, probe_people)]
            else:
                stranger_d += d[np.arange(len(d)), best].tolist()
    counts["known_faces"] = np.tile(probe_faces, len(plan))  # which real face each pooled decision came from
    counts["stranger_faces"] = np.tile(stranger_faces, len(plan))
    return OpenSetScores(np.asarray(known_d), np.asarray(known_ok, dtype=bool), np.asarray(stranger_d)), counts


def bootstrap_difference(study: Study, a: System, b: System, plan: list[list[tuple[int, str]]], *,
                         far: float = 0.01, n_resamples: int = 300, seed: int = 0) -> tuple[float, float, float]:
    """Identification rate at ``far`` of ``a`` minus ``b``, with a 95 % interval from resampling the real
    faces (known and strangers, with replacement): the pooled decisions of one face are not independent,
    so this interval, not a Wilson interval over pooled decisions, says how sure the difference is."""
    (sa, ca), (sb, _) = simulate(study, a, plan), simulate(study, b, plan)
    known_faces, stranger_faces = ca["known_faces"], ca["stranger_faces"]
    known_ids, stranger_ids = np.unique(known_faces), np.unique(stranger_faces)
    by_known = {f: np.flatnonzero(known_faces == f) for f in known_ids}
    by_stranger = {f: np.flatnonzero(stranger_faces == f) for f in stranger_ids}

    def rate(scores: OpenSetScores, k: np.ndarray, s_: np.ndarray) -> float:
        sub = OpenSetScores(scores.known_distance[k], scores.known_correct[k], scores.stranger_distance[s_])
        t = sub.threshold_at_far(far)
        return sub.identification_rate(t) if t is not None else float("nan")

    everything = (np.arange(len(known_faces)), np.arange(len(stranger_faces)))
    point = rate(sa, *everything) - rate(sb, *everything)
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(n_resamples):
        k = np.concatenate([by_known[f] for f in rng.choice(known_ids, len(known_ids))])
        s_ = np.concatenate([by_stranger[f] for f in rng.choice(stranger_ids, len(stranger_ids))])
        diffs.append(rate(sa, k, s_) - rate(sb, k, s_))
    low, high = np.nanpercentile(diffs, [2.5, 97.5])
    return point, float(low), float(high)


def system_row(study: Study, system: System, threshold: float = THRESHOLD,
               plan: list[list[tuple[int, str]]] | None = None) -> dict:
    """Gate acceptance, identification at FAR 1 % and at the threshold, strangers' FAR (Wilson intervals)."""
    scores, counts = simulate(study, system, plan)
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


def per_condition(records: list[dict], study: Study, gates: dict[str, QualityGate]) -> str:
    """Per degradation: detected share, median measured size/sharpness, self distance, genuine/false match,
    and how many of the photos each gate admits."""
    known = [u["face_id"] for u in study.units if u["role"] in ("enroll", "probe")]
    lines = ["| condition | detected | median size px | median sharpness | median self | genuine match "
             "| false match | " + " | ".join(f"{name} admits" for name in gates) + " |",
             "|---|---|---|---|---|---|---|" + "---|" * len(gates)]
    for name in study.conditions:
        rows = [study.index[(f, name)] for f in known]
        detected = sum(study.rows[i]["detected"] for i in rows)
        admitted = [sum(study.rows[i]["detected"] and g.admits(study.scores(i)) for i in rows) for g in gates.values()]
        rs = [r for r in records if r["condition"] == name]
        if not rs:
            lines.append(f"| {name} | 0/{len(known)} | | | | | | " + " | ".join("0" for _ in gates) + " |")
            continue
        lines.append(f"| {name} | {detected}/{len(known)} | {np.median([r['size'] for r in rs]):.0f} "
                     f"| {np.median([r['sharpness'] for r in rs]):.1f} | {np.median([r['self'] for r in rs]):.3f} "
                     f"| {np.mean([r['genuine_match'] for r in rs]):.3f} "
                     f"| {np.mean([r['stranger_min'] <= THRESHOLD for r in rs]):.3f} | "
                     + " | ".join(f"{a}/{len(known)}" for a in admitted) + " |")
    return "\n".join(lines)


def systems(gate: QualityGate, penalty: float) -> list[System]:
    from vision.face.quality import LEGACY_LIMITS

    return [System("plain MTCNN + dlib NN at 0.6 (no gate)", None, False),
            System("before (gate 80 px / sharpness 40 / yaw 0.4 / roll 30)", QualityGate(**LEGACY_LIMITS), False),
            System("after, gate only (no reference weights)", gate, False),
            System("after, gate + upscaling to 150 px (not shipped)", gate, True, penalty),
            System("after, gate + motion-blur refusal below 1.5 (not shipped)",
                   replace(gate, min_directional_sharpness=1.5), False, penalty),
            System(f"after (gate + reference weights {penalty:g})", gate, False, penalty)]


SIZE_BINS = [0, 18, 22, 26, 30, 36, 44, 52, 60, 72, 88, 110, 150, 1e9]
SHARPNESS_BINS = [0, 3, 4, 5, 6, 8, 10, 15, 20, 40, 80, 1e9]
DIRECTIONAL_BINS = [0, 0.5, 1, 1.5, 2, 3, 4, 6, 8, 12, 20, 40, 1e9]
YAW_BINS = [0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 9]
ROLL_BINS = [0, 20, 40, 50, 60, 70, 80, 180]


def report(study: Study, out: Path, *, mixed_trials: int = 200) -> str:
    """The README's gate tables from a collected study; writes ``det.png`` and ``systems.json`` to ``out``."""
    from vision.face.gallery import QUALITY_PENALTY
    from vision.face.openset import plot_det
    from vision.face.quality import LEGACY_LIMITS

    gate = QualityGate()
    records = reliability(study, False)
    parts = [(f"Seed {study.seed}; {len(study.units)} faces x {len(study.conditions)} conditions "
              f"({sum(u['role'] != 'stranger' for u in study.units)} faces of the 5 enrolled persons, "
              f"{sum(u['role'] == 'stranger' for u in study.units)} strangers). Gate now: {gate}."), "",
             "### Reliability per condition (faces of enrolled persons)", "",
             per_condition(records, study, {"before": QualityGate(**LEGACY_LIMITS), "after": gate}), "",
             "### By measured face size", "", markdown_bins(binned(records, lambda r: r["size"], SIZE_BINS), "face px"),
             "", "### By sharpness", "",
             markdown_bins(binned(records, lambda r: r["sharpness"], SHARPNESS_BINS), "sharpness"), "",
             "### By weakest-direction sharpness (motion blur)", "",
             markdown_bins(binned(records, lambda r: r.get("directional", float("inf")), DIRECTIONAL_BINS),
                           "weakest direction"), "",
             "### By |yaw|", "", markdown_bins(binned(records, lambda r: abs(r["yaw"]), YAW_BINS), "abs yaw"), "",
             "### By |roll|", "", markdown_bins(binned(records, lambda r: abs(r["roll"]), ROLL_BINS), "abs roll deg"), ""]
    upscaled = reliability(study, True)
    parts += ["### Upscaling before alignment (paired, same variants)", "",
              "| face px | variants | mean change of self distance | mean change of distance to own other photos |",
              "|---|---|---|---|"]
    for low, high in pairwise(SIZE_BINS):
        pairs = [(p, u) for p, u in zip(records, upscaled) if low <= p["size"] < high <= 150]
        if pairs:
            parts.append(f"| {low:g}–{high:g} | {len(pairs)} | {np.mean([u['self'] - p['self'] for p, u in pairs]):+.4f} "
                         f"| {np.mean([u['genuine_min'] - p['genuine_min'] for p, u in pairs]):+.4f} |")
    chosen = systems(gate, QUALITY_PENALTY)
    plans = {"A": plan_per_condition(study), "B": plan_mixed(study, trials=mixed_trials)}
    all_rows = {}
    titles = {"A": ("Protocol A: every person enrolled from their photos all degraded the same way "
                    f"(one trial per condition, {len(study.conditions)} trials)"),
              "B": ("Protocol B: every person enrolled from 2 versions of each photo under random "
                    f"conditions ({mixed_trials} trials)")}
    for key, title in titles.items():
        rows = [system_row(study, s, plan=plans[key]) for s in chosen]
        all_rows[key] = rows
        parts += ["", f"### {title}", "", markdown_systems(rows), ""]
        for other in (chosen[0], chosen[1]):
            d, low, high = bootstrap_difference(study, chosen[-1], other, plans[key])
            parts.append(f"- identification at FAR 1 %, after minus {other.name.split(' (')[0]}: {d:+.3f} "
                         f"(95 % interval from resampling the {len(study.units)} real faces: {low:+.3f} to {high:+.3f})")
    (out / "systems.json").write_text(json.dumps(all_rows, indent=1, default=float))
    plot_det({s.name: simulate(study, s, plans["B"])[0] for s in (chosen[0], chosen[1], chosen[-1])},
             out / "det.png", threshold=THRESHOLD)
    return "\n".join(parts) + "\n"

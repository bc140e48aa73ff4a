"""The ``ppocr`` engine's detector and line crops: 2-fold CV of ``DetectorSettings`` on the SROIE tuning part.

Every tuning receipt (001-052) is read through the engine's own steps (``PpOcrEngine.scale`` ->
``probability_map`` -> ``boxes`` -> ``read_boxes`` -> ``read_words``, lone marks included) once per candidate
setting of the detector: its input size (rapidocr's ``max_side_len``, ``limit_side_len`` / ``limit_type``), its
post-processing (binarisation ``thresh``, ``box_thresh``, ``unclip_ratio``, dilation) and whether the line crops
are cut from the input page or from the page shrunk to ``max_side`` (``full_resolution_crops``). The network runs
once per receipt and input size (its probability map is cached, ``.npz``); each candidate's words are
cached per receipt (JSON), so a rerun or a new post-processing setting re-reads nothing else. Scoring as
``benchmarks/ocr_vocabulary_cv.py``: page-text word F1 after the receipt vocabulary built from the *other* fold
(odd / even file numbers), per fold and pooled with a 95 % bootstrap interval over receipts; "chosen by CV"
scores each fold with the candidate best on the other fold.

    .venv/bin/python -m benchmarks.ocr_detector_cv --data ../shared/data/ocr/receipts_sroie \
        --cache runs/ocr_detector_cv [--grid first|post|crops] [--limit N] [--only "name;name"]

onnxruntime runs with one thread. The tuning part only: the reported receipts (053-105) are never read here.

Issue 25: the defaults score 0.8980 (0.8981 / 0.8979 per fold, as ``ocr_vocabulary_cv``); the best candidate, box
threshold 0.4, 0.8993 (+0.0023 / +0.0002, paired 95 % -0.0008 to +0.0044), crops at full resolution 0.8970, a
second reading from a grown crop 0.8958;
every candidate with its folds in vision/ocr/README.md ("Issue 25, detector and crops"). No default changed.
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, fields, replace
from pathlib import Path

import numpy as np

from benchmarks.ocr_folds import f1_summary, folds, paired_gain, rows_to_lines, tuning_pages
from benchmarks.ocr_folds import page_text as fold_page_text
from core.images import load_image
from vision.ocr.metrics import WordCounts, word_counts, word_f1
from vision.ocr.ppocr import DetectorSettings, PpOcrEngine
from vision.ocr.tesseract import TesseractWord

log = logging.getLogger("benchmarks.ocr_detector_cv")

DEFAULT = DetectorSettings()
SIZE_FIELDS = ("max_side", "limit_side", "limit_type")


def name(setting: DetectorSettings) -> str:
    """The fields that differ from the engine's defaults, ``default`` for none."""
    changed = [f"{f.name}={getattr(setting, f.name)}" for f in fields(setting)
               if getattr(setting, f.name) != getattr(DEFAULT, f.name)]
    return ",".join(changed) or "default"


def grid_first() -> list[DetectorSettings]:
    """Each candidate alone on top of the defaults: crops, input size, post-processing."""
    full = DetectorSettings(full_resolution_crops=True)
    return [DEFAULT, full,
            DetectorSettings(max_side=4000),  # no shrinking: the detector too sees the input's pixels
            DetectorSettings(limit_side=960), DetectorSettings(limit_side=1280),
            DetectorSettings(limit_side=1536, limit_type="max"), DetectorSettings(limit_side=2000, limit_type="max"),
            DetectorSettings(thresh=0.2), DetectorSettings(thresh=0.4),
            DetectorSettings(box_thresh=0.4), DetectorSettings(box_thresh=0.6),
            DetectorSettings(unclip_ratio=1.4), DetectorSettings(unclip_ratio=1.8),
            DetectorSettings(dilation=False)]


def grid_post() -> list[DetectorSettings]:
    """The box threshold around the first grid's best (0.4, the only candidate ahead in both folds there)."""
    return [DEFAULT] + [DetectorSettings(box_thresh=b) for b in (0.3, 0.35, 0.4, 0.45)]


def grid_crops() -> list[DetectorSettings]:
    """A second reading of each line from its quad grown vertically, the more confident reading kept."""
    return [DEFAULT] + [DetectorSettings(second_crop_grow=g) for g in (0.1, 0.2)]


GRIDS: dict[str, Callable[[], list[DetectorSettings]]] = {"first": grid_first, "post": grid_post, "crops": grid_crops}


def _rows(words: list[TesseractWord]) -> list[list]:
    return [[w.text, list(w.box), w.confidence, w.line] for w in words]


class Reader:
    """One engine per detector input size (its recogniser read with one thread), probability maps cached."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.engines: dict[tuple, PpOcrEngine] = {}
        self.cpu: dict[str, float] = {}

    def engine(self, setting: DetectorSettings) -> PpOcrEngine:
        key = tuple(getattr(setting, f) for f in SIZE_FIELDS)
        if key not in self.engines:
            size = {f: getattr(setting, f) for f in SIZE_FIELDS}
            # the spacing rules alone: the bundled boundary model was trained on every tuning receipt
            self.engines[key] = PpOcrEngine(threads=1, detector=DetectorSettings(**size), boundary=None)
        return self.engines[key]

    def words(self, page: str, rgb: np.ndarray, setting: DetectorSettings, done: dict[str, list[list]]
              ) -> list[list]:
        engine = self.engine(setting)
        scaled = engine.scale(rgb)
        same = replace(setting, full_resolution_crops=False)
        if scaled.image.shape[:2] == rgb.shape[:2] and scaled.top == 0 and name(same) in done:
            return done[name(same)]  # page not shrunk: the crops are the same pixels either way
        size = "_".join(str(getattr(setting, f)) for f in SIZE_FIELDS)
        path = self.cache / "maps" / f"{page}_{size}.npz"
        if path.is_file():
            probabilities = np.load(path)["map"]
        else:
            start = time.process_time()
            probabilities = engine.probability_map(scaled)
            self.cpu[f"detector {size}"] = self.cpu.get(f"detector {size}", 0.0) + time.process_time() - start
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(path, map=probabilities)
        start = time.process_time()
        lines = engine.read_boxes(rgb, scaled, engine.boxes(probabilities, scaled, setting), setting)
        rows = _rows(engine.read_words(rgb, lines=lines))
        self.cpu[name(setting)] = self.cpu.get(name(setting), 0.0) + time.process_time() - start
        return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the SROIE folder (img/ box/ key/)")
    parser.add_argument("--cache", type=Path, required=True, help="folder for probability maps and words")
    parser.add_argument("--limit", type=int, default=None, help="only the first N tuning receipts")
    parser.add_argument("--grid", choices=sorted(GRIDS), default="first")
    parser.add_argument("--only", default=None, help="semicolon list of candidate names: only these")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    pages = tuning_pages(args.data, args.limit)
    candidates = GRIDS[args.grid]()
    if args.only:
        candidates = [c for c in candidates if name(c) in args.only.split(";")]
    reader = Reader(args.cache)
    words: dict[str, dict[str, list[list]]] = {}
    for n, page in enumerate(pages):
        path = args.cache / "words" / f"{page.name}.json"
        got = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        todo = [c for c in candidates if name(c) not in got]
        if todo:
            start = time.process_time()
            rgb = np.asarray(load_image(page.image_path))
            order = [f.name for f in fields(DetectorSettings) if f.name != "full_resolution_crops"]
            for c in sorted(todo, key=lambda c: (*[str(getattr(c, f)) for f in order], c.full_resolution_crops)):
                got[name(c)] = reader.words(page.name, rgb, c, got)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(got), encoding="utf-8")
            log.info("%s (%d/%d): %d candidates, %.1f s CPU", page.name, n + 1, len(pages), len(todo),
                     time.process_time() - start)
        words[page.name] = got

    counts: dict[str, list[list[WordCounts]]] = {name(c): [[], []] for c in candidates}
    for fold, vocabulary, test in folds(pages):
        for page in test:
            reference = page.reference_text.upper()
            for c in candidates:
                text = fold_page_text(rows_to_lines(words[page.name][name(c)]), vocabulary)
                counts[name(c)][fold].append(word_counts(reference, text.upper()))
    log.info("%-40s %-44s %-7s %-7s %s", "candidate", "pooled word F1 (95 %)", "fold 0", "fold 1",
             "vs default, paired (95 %)")
    base = counts[name(DEFAULT)][0] + counts[name(DEFAULT)][1] if name(DEFAULT) in counts else None
    for c in candidates:
        k = name(c)
        pooled = counts[k][0] + counts[k][1]
        delta = ""
        if base is not None:
            _, low, high = paired_gain(base, pooled)
            delta = f"{word_f1(pooled)[2] - word_f1(base)[2]:+.4f} ({low:+.4f} to {high:+.4f})"
        log.info("%-40s %-44s %.4f  %.4f  %s", k, f1_summary(pooled), word_f1(counts[k][0])[2],
                 word_f1(counts[k][1])[2], delta)
    names = [name(c) for c in candidates]
    chosen = [max(names, key=lambda k: word_f1(counts[k][1 - fold])[2]) for fold in (0, 1)]
    log.info("chosen by CV: fold 0 <- %s, fold 1 <- %s: %s", chosen[0], chosen[1],
             f1_summary(counts[chosen[0]][0] + counts[chosen[1]][1]))
    if reader.cpu:
        log.info("CPU seconds this run: %s", {k: round(v, 1) for k, v in reader.cpu.items()})
    log.debug("settings: %s", [asdict(c) for c in candidates])


if __name__ == "__main__":
    main()

"""Does reading each receipt line more than once (test-time variants of its crop) help? 2-fold CV on the SROIE tuning part.

Research for issue 25 (page-text word F1 >= 0.90 on receipts never tuned on). Misread characters are the largest class
of misses left on the tuning receipts (``benchmarks/ocr_spacing_cv.py --misses``). Here every detected line of the
``ppocr`` engine is read again by the same recogniser (PP-OCRv6 small) from variants of its crop:

- ``full``: cut from the input page at full resolution instead of from the detector's shrunken page;
- ``stretch``: the crop's grey levels stretched so its 2nd / 98th percentiles become black / white;
- ``gamma``: the crop darkened (``255 * (x / 255) ** 2``: faint thermal strokes get darker);
- ``sharpen``: an unsharp mask (``2 x crop - Gaussian blur``, sigma 1.5).

A *method* picks, per line, one of the readings of a set of variants: the one of highest mean character probability
(``max``), or the engine's own reading unless it is below a probability ``t`` and another variant is more confident
(``low@t``). The chosen reading then goes through the engine's post-processing (printed spaces, receipt vocabulary
of the *other* fold, lone marks; ``benchmarks.ocr_spacing_cv``'s replay with the engine's settings), and page-text
word F1 is scored per fold (odd / even file numbers) and pooled, with a 95 % bootstrap interval over receipts and the
paired gain over the engine's own reading. The engine's lines, crops and lone marks come from
``benchmarks.ocr_spacing_cv``'s cache (same folder layout; built if missing); each variant's readings are cached
beside them (``NNN.tta.json``).

    .venv/bin/python -m benchmarks.ocr_tta_cv --data ../shared/data/ocr/receipts_sroie --cache runs/ocr_spacing_cv \
        [--limit N]
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from benchmarks.ocr_folds import folds, page_text, print_cv_table, tuning_pages
from benchmarks.ocr_spacing_cv import ENGINE, CachedLine, mark_candidates, page_lines, read_cached, redetect
from vision.ocr.labelled import LabelledPage
from vision.ocr.metrics import WordCounts, word_counts
from vision.ocr.ppocr import PpOcrEngine
from vision.ocr.recognisers import CtcChar

log = logging.getLogger("benchmarks.ocr_tta_cv")


def _stretch(crop: np.ndarray) -> np.ndarray:
    lo, hi = np.percentile(crop, [2, 98])
    if hi - lo < 1:
        return crop
    return np.clip((crop.astype(np.float32) - lo) * 255.0 / (hi - lo), 0, 255).astype(np.uint8)


def _gamma(crop: np.ndarray) -> np.ndarray:
    return (255.0 * (crop.astype(np.float32) / 255.0) ** 2).astype(np.uint8)


def _sharpen(crop: np.ndarray) -> np.ndarray:
    import cv2

    blurred = cv2.GaussianBlur(crop, (0, 0), 1.5)
    return cv2.addWeighted(crop, 2.0, blurred, -1.0, 0)


CROP_VARIANTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"stretch": _stretch, "gamma": _gamma,
                                                                 "sharpen": _sharpen}
VARIANTS = ("engine", "full", *CROP_VARIANTS)

Row = tuple[str, float, list[list]]  # text, mean probability, characters [text, centre, probability]


def read_variants(engine: PpOcrEngine | None, page: LabelledPage, lines: list[CachedLine], cache: Path
                  ) -> list[dict[str, Row]]:
    """Per cached engine line, its reading from every variant crop (``engine`` = the cached reading itself)."""
    if not cache.is_file():
        assert engine is not None
        rgb, scaled, boxes, crops, order = redetect(engine, page.image_path, lines)
        _, full = engine.line_crops(rgb, scaled, boxes, full_resolution_crops=True)
        readings = {"full": engine.recogniser.recognise(full)}
        for name, change in CROP_VARIANTS.items():
            readings[name] = engine.recogniser.recognise([change(c) for c in crops])
        rows = []
        for k in order:
            rows.append({name: (r[k][0], r[k][1], [[c.text, c.centre, c.confidence] for c in r[k][2]])
                         for name, r in readings.items()})
        cache.write_text(json.dumps(rows), encoding="utf-8")
    rows = json.loads(cache.read_text(encoding="utf-8"))
    return [{"engine": (c.line.text, c.line.confidence, [[x.text, x.centre, x.confidence] for x in c.line.chars]),
             **row} for c, row in zip(lines, rows)]


@dataclass(frozen=True)
class Method:
    variants: tuple[str, ...]
    below: float = 2.0  # only lines whose engine reading's mean probability is below this are read again

    def name(self) -> str:
        gate = f"@{self.below}" if self.below <= 1 else ""
        return f"max({','.join(self.variants)}){gate}" if len(self.variants) > 1 else self.variants[0]

    def choose(self, row: dict[str, Row]) -> Row:
        own = row["engine"]
        if "engine" in self.variants and own[1] >= self.below:
            return own
        candidates = [row[v] for v in self.variants if row[v][0].strip()]
        return max(candidates, key=lambda r: r[1]) if candidates else own


def chosen_lines(lines: list[CachedLine], rows: list[dict[str, Row]], method: Method) -> list[CachedLine]:
    out = []
    for cached, row in zip(lines, rows):
        text, confidence, chars = method.choose(row)
        line = replace(cached.line, text=text, confidence=confidence,
                       chars=tuple(CtcChar(t, c, p) for t, c, p in chars))
        out.append(CachedLine(line, cached.crop))
    return out


def evaluate(pages: list[LabelledPage], data: dict, method: Method) -> tuple[list[WordCounts], list[WordCounts]]:
    counts: tuple[list[WordCounts], list[WordCounts]] = ([], [])
    for fold, vocabulary, test in folds(pages):
        for page in test:
            lines, marks, candidates, rows = data[page.name]
            text = page_text(page_lines(chosen_lines(lines, rows, method), marks, ENGINE, vocabulary, candidates))
            counts[fold].append(word_counts(page.reference_text.upper(), text.upper()))
    return counts


def methods() -> list[Method]:
    out = [Method(("engine",))] + [Method((v,)) for v in VARIANTS[1:]]
    out += [Method(("engine", v)) for v in VARIANTS[1:]]
    out += [Method(VARIANTS)]
    for t in (0.8, 0.9, 0.95):
        out += [Method(("engine", v), t) for v in VARIANTS[1:]] + [Method(VARIANTS, t)]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    pages = tuning_pages(args.data, args.limit)
    suffixes = (".npz", ".marks.json", ".tta.json")
    engine = None
    if not all((args.cache / f"{p.name}{s}").is_file() for p in pages for s in suffixes):
        engine = PpOcrEngine(threads=1)
    data = {}
    cpu = time.process_time()
    for n, page in enumerate(pages):
        start = time.process_time()
        lines, marks = read_cached(engine, page.image_path, args.cache / f"{page.name}.npz")
        candidates = mark_candidates(engine, page.image_path, lines, args.cache / f"{page.name}.marks.json")
        rows = read_variants(engine, page, lines, args.cache / f"{page.name}.tta.json")
        data[page.name] = (lines, marks, candidates, rows)
        log.info("%s (%d/%d) %.1f s CPU", page.name, n + 1, len(pages), time.process_time() - start)
    log.info("reading: %.0f s CPU", time.process_time() - cpu)
    print_cv_table({m.name(): evaluate(pages, data, m) for m in methods()}, base="engine")

if __name__ == "__main__":
    main()
